import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'nasty-strings.json';

/**
 * The seed's awkward text fixture. It sits beside this file in the source tree; the build copies no data files, so
 * from dist/libs/infrastructure/src/seed it is read from the source tree (the Dockerfile copies it there too).
 */
export function nastyStrings(): string[] {
  const beside = join(__dirname, FILE);
  const file = existsSync(beside)
    ? beside
    : join(__dirname, '..', '..', '..', '..', '..', 'libs', 'infrastructure', 'src', 'seed', FILE);
  return (JSON.parse(readFileSync(file, 'utf8')) as { strings: string[] }).strings;
}
