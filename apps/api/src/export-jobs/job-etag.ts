import { createHash } from 'node:crypto';
import type { ExportJobDto } from './export-job.dto';

/**
 * The ETag of a job's representation (quoted): it changes whenever anything the caller sees changes. The event
 * stream uses the same value, unquoted, as each event's id.
 */
export function etagOf(body: ExportJobDto): string {
  return `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
}

export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}
