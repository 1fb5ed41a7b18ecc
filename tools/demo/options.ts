import { resolve } from 'node:path';
import { EXPORT_SOURCES, type ExportSource, isExportSource } from '@app/domain';
import { parseArgs, UsageError } from '../../apps/cli/src/cli';

export const USAGE =
  'usage: npm run demo -- [--tickets N] [--out DIR] [--timeout SECONDS] [--keep] [--source KEY]';

export interface DemoOptions {
  /** Tickets of tenant acme (globex gets a tenth), as `npm run db:seed -- --tickets N`. */
  readonly tickets: number;
  /** Where the downloaded file goes (absolute). */
  readonly outDir: string;
  /** How long the export may take, from the request to `completed`. */
  readonly timeoutSeconds: number;
  /** After the export, keep the API and the worker running (printing the sign-in link) until Ctrl-C. */
  readonly keep: boolean;
  /** What to export: the "All tickets" view (tickets, the default) or all rows of another source. */
  readonly source: ExportSource;
}

export const DEFAULT_TICKETS = 200_000;
const DEFAULT_OUT_DIR = 'exports';
const DEFAULT_TIMEOUT_SECONDS = 600;

function wholeNumber(
  raw: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new UsageError(`--${name} takes a whole number from ${min} to ${max} (${USAGE})`);
  return Number(raw);
}

export function parseDemoOptions(argv: readonly string[]): DemoOptions {
  const { values, positionals } = parseArgs(argv, {
    tickets: { type: 'string' },
    out: { type: 'string' },
    timeout: { type: 'string' },
    keep: { type: 'boolean' },
    source: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(USAGE);
  const out = values.out ?? DEFAULT_OUT_DIR;
  if (out.trim() === '') throw new UsageError(`--out takes a directory (${USAGE})`);
  const source = values.source ?? 'tickets';
  if (!isExportSource(source))
    throw new UsageError(`--source takes one of ${EXPORT_SOURCES.join(', ')} (${USAGE})`);
  return {
    tickets: wholeNumber(values.tickets, 'tickets', DEFAULT_TICKETS, 1, 99_999_999),
    outDir: resolve(out),
    timeoutSeconds: wholeNumber(values.timeout, 'timeout', DEFAULT_TIMEOUT_SECONDS, 1, 86_400),
    keep: values.keep ?? false,
    source,
  };
}
