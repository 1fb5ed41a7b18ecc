import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The fixture ships in the source tree beside the seed (the build copies no data files). */
export function nastyStrings(): string[] {
  const file = join(
    __dirname,
    '..',
    '..',
    '..',
    '..',
    '..',
    'libs',
    'infrastructure',
    'src',
    'seed',
    'nasty-strings.json',
  );
  return (JSON.parse(readFileSync(file, 'utf8')) as { strings: string[] }).strings;
}
