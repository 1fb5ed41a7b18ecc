import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';

/** What the static specs of docker-compose.yml and the Dockerfile both read. */
export const ROOT = join(__dirname, '..', '..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');

export interface Service {
  readonly image?: string;
  readonly build?: string | { readonly context?: string; readonly dockerfile?: string };
  readonly command?: string | readonly string[];
  readonly entrypoint?: string | readonly string[];
  readonly environment?: Readonly<Record<string, string | number | boolean | null>> | readonly string[];
  readonly depends_on?: readonly string[] | Readonly<Record<string, { readonly condition?: string }>>;
  readonly healthcheck?: { readonly test?: string | readonly string[]; readonly disable?: boolean };
  readonly ports?: readonly unknown[];
  readonly container_name?: string;
  readonly hostname?: string;
  readonly restart?: string;
  readonly volumes?: readonly string[];
  readonly profiles?: readonly string[];
}

export interface ComposeFile {
  readonly services: Readonly<Record<string, Service>>;
  readonly volumes?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/** docker-compose.yml as Compose reads it (merge keys on, duplicate keys refused), with the parser's complaints. */
export function loadCompose(): { compose: ComposeFile; errors: string[]; warnings: string[] } {
  const doc = parseDocument(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true, uniqueKeys: true });
  return {
    compose: doc.toJS() as ComposeFile,
    errors: doc.errors.map((e) => e.message),
    warnings: doc.warnings.map((w) => w.message),
  };
}

/** A command or entrypoint as its argument list. */
export function argv(command: string | readonly string[] | undefined): string[] {
  if (command === undefined) return [];
  return typeof command === 'string' ? command.split(/\s+/).filter(Boolean) : [...command];
}
