/**
 * "This export job's stored state changed": what every writer of a job announces on one Redis channel, and what
 * each API process's one subscriber fans out to the event streams of that job. It carries no state: a stream
 * re-reads the job, so a message may be lost, repeated or reordered without showing anything wrong.
 */
export interface JobChange {
  readonly tenantId: string;
  readonly jobId: string;
}

/** Redis pub/sub channels ignore the database number: every process on one Redis shares this channel. */
export const JOB_CHANGE_CHANNEL = 'export-jobs:changed';

export function encodeJobChange(change: JobChange): string {
  return JSON.stringify({ tenantId: change.tenantId, jobId: change.jobId });
}

/** The change a message names, or null for anything else (a foreign publisher, a truncated message). */
export function decodeJobChange(message: string): JobChange | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { tenantId, jobId } = parsed as Record<string, unknown>;
  if (typeof tenantId !== 'string' || typeof jobId !== 'string') return null;
  return { tenantId, jobId };
}
