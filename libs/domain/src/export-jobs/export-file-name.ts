import { FORMAT_FILE_TYPES, type ExportFormat } from './export-format';

/** What the name of an export's file depends on: the user's name or the view's, the format, the request time. */
export interface ExportFileNameSource {
  /** Names a file without a view (`tickets`, `audit-events`, ...); absent: tickets. */
  readonly source?: string;
  readonly format: ExportFormat;
  readonly requestedAt: Date;
  readonly query: {
    readonly fileName: string | null;
    readonly viewName: string | null;
    readonly timezone: string;
  };
}

/** A user-chosen file name (without extension): letters, digits, space, dot, underscore, dash; 1 to 100 characters. */
export const FILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/;

/** `Billing & Refunds (EU)` -> `billing-refunds-eu`; ASCII letters and digits only, `tickets` when nothing is left. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
  return slug === '' ? 'tickets' : slug;
}

/** `yyyyMMdd-HHmmss` of an instant in an IANA zone. */
export function compactTimestamp(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes): string =>
    parts.find((p) => p.type === type)?.value ?? '00';
  return `${part('year')}${part('month')}${part('day')}-${part('hour')}${part('minute')}${part('second')}`;
}

/** CONTRACT §6: `<fileName or view-slug>-<yyyyMMdd-HHmmss>.<ext>`, the time being the request's in the job's zone. */
export function exportFileName(job: ExportFileNameSource): string {
  const base = job.query.fileName ?? slugify(job.query.viewName ?? job.source ?? 'tickets');
  return `${base}-${compactTimestamp(job.requestedAt, job.query.timezone)}.${FORMAT_FILE_TYPES[job.format].extension}`;
}

/**
 * CONTRACT §9: `exports/<tenantId>/<jobId>/<attempt>/<file>`. Each attempt writes its own key, so an attempt that
 * wakes up after another one took the job over (a worker frozen past its lock) can only overwrite or delete its own
 * object, never the file of the attempt that won.
 */
export function exportObjectKey(
  job: ExportFileNameSource & { readonly tenantId: string; readonly id: string; readonly attempts: number },
): string {
  return `${exportAttemptPrefix(job)}${exportFileName(job)}`;
}

/** `exports/<tenantId>/<jobId>/<attempt>/`: every object one attempt writes lies under it, and only that attempt's. */
export function exportAttemptPrefix(job: {
  readonly tenantId: string;
  readonly id: string;
  readonly attempts: number;
}): string {
  return `exports/${job.tenantId}/${job.id}/${job.attempts}/`;
}
