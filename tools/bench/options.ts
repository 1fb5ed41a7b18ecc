import { UsageError } from '../../apps/cli/src/cli';
import type { BenchFormat, Driver } from './figures';

export const USAGE =
  'usage: npm run bench -- [--tickets N] [--drivers local,s3,azure] [--formats csv,xlsx] ' +
  '[--phases exports,polling,concurrency] [--no-estimates] [--poll-seconds S] [--json FILE]';

const DRIVERS: readonly Driver[] = ['local', 's3', 'azure'];
const FORMATS: readonly BenchFormat[] = ['csv', 'xlsx'];
/** `exports` runs the COPY baseline (phase 1) and the single exports (phase 2): the ratio needs both. */
export const PHASES = ['exports', 'polling', 'concurrency'] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchOptions {
  readonly tickets: number;
  readonly drivers: readonly Driver[];
  readonly formats: readonly BenchFormat[];
  readonly phases: readonly Phase[];
  readonly estimates: boolean;
  readonly pollSeconds: number;
  readonly connections: number;
  readonly json: string | null;
}

export interface RawOptions {
  readonly tickets?: string;
  readonly drivers?: string;
  readonly formats?: string;
  readonly phases?: string;
  readonly 'no-estimates'?: boolean;
  readonly 'poll-seconds'?: string;
  readonly json?: string;
}

export const OPTION_SPEC = {
  tickets: { type: 'string' },
  drivers: { type: 'string' },
  formats: { type: 'string' },
  phases: { type: 'string' },
  'no-estimates': { type: 'boolean' },
  'poll-seconds': { type: 'string' },
  json: { type: 'string' },
} as const;

/** The command line's values, checked: a bad one is a UsageError naming the flag. */
export function benchOptions(values: RawOptions): BenchOptions {
  const tickets = Number(values.tickets ?? 1_000_000);
  if (!Number.isInteger(tickets) || tickets < 10)
    throw new UsageError(`--tickets takes a whole number >= 10 (${USAGE})`);
  const pollSeconds = Number(values['poll-seconds'] ?? 10);
  if (!Number.isInteger(pollSeconds) || pollSeconds < 1 || pollSeconds > 120)
    throw new UsageError(`--poll-seconds takes a whole number from 1 to 120 (${USAGE})`);
  if (values.json === '') throw new UsageError(`--json takes a file name (${USAGE})`);
  return {
    tickets,
    drivers: list('--drivers', values.drivers ?? 'local,s3', DRIVERS),
    formats: list('--formats', values.formats ?? 'csv,xlsx', FORMATS),
    phases: list('--phases', values.phases ?? PHASES.join(','), PHASES),
    estimates: !values['no-estimates'],
    pollSeconds,
    connections: 20,
    json: values.json ?? null,
  };
}

function list<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim());
  const unknown = items.filter((i) => !allowed.includes(i as T));
  if (unknown.length > 0 || items.length === 0)
    throw new UsageError(`${flag} takes ${allowed.join(', ')} (not ${unknown.join(', ')}) (${USAGE})`);
  return [...new Set(items as T[])];
}
