import { DEFAULT_TICKET_QUERY } from '../tickets/ticket-query';
import type { Actor } from '../permissions/actor';
import { SystemPermissions } from '../permissions/system-permissions';
import {
  ExportJob,
  type ExportedFile,
  type ExportJobFailure,
  type ExportJobProps,
  type ExportJobQuery,
} from '../export-jobs/export-job';
import type { ExportJobStatusValue } from '../export-jobs/export-job-status';

/**
 * Test data builders for the domain specs. Every builder gives a valid, self-consistent value and takes overrides
 * for what a spec cares about, so a spec states only the facts its assertion depends on.
 */

/** The moment every default job was requested at. */
export const REQUESTED_AT = new Date('2026-03-02T09:00:00.000Z');
export const STARTED_AT = new Date('2026-03-02T09:00:05.000Z');
export const COMPLETED_AT = new Date('2026-03-02T09:01:00.000Z');
export const RETENTION_HOURS = 72;
const HOUR_MS = 3_600_000;

export const ACME_TENANT_ID = '0a000000-0000-4000-8000-000000000001';
export const GLOBEX_TENANT_ID = '0a000000-0000-4000-8000-000000000002';

let sequence = 0;

/** A fresh, well-formed id (UUID layout) per call: deterministic within a run, distinct across calls. */
export function aUuid(): string {
  sequence += 1;
  return `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`;
}

export function anActor(overrides: Partial<Actor> = {}): Actor {
  const userId = overrides.userId ?? aUuid();
  return {
    userId,
    tenantId: ACME_TENANT_ID,
    email: `user-${userId.slice(-4)}@acme.test`,
    isAdmin: false,
    permissions: SystemPermissions.ImportExportTickets,
    ...overrides,
  };
}

export function anExportJobQuery(overrides: Partial<ExportJobQuery> = {}): ExportJobQuery {
  return {
    ...DEFAULT_TICKET_QUERY,
    viewId: null,
    viewName: null,
    timezone: 'UTC',
    fileName: null,
    ...overrides,
  };
}

export function anExportedFile(overrides: Partial<ExportedFile> = {}): ExportedFile {
  return {
    storedFileId: aUuid(),
    name: 'all-tickets-20260302-090100.csv',
    contentType: 'text/csv; charset=utf-8',
    sizeBytes: 123_456,
    sha256: 'a'.repeat(64),
    rowCount: 1000,
    ...overrides,
  };
}

export function anExportJobFailure(overrides: Partial<ExportJobFailure> = {}): ExportJobFailure {
  return {
    code: 'EXPORT_JOB.SOURCE_UNAVAILABLE',
    message: 'The export could not read the tickets.',
    ...overrides,
  };
}

/** The fields a job in `status` holds, as the aggregate's own state changes would have left them. */
function stateOf(status: ExportJobStatusValue): Partial<ExportJobProps> {
  const finished = {
    stage: null,
    startedAt: STARTED_AT,
    snapshotAt: STARTED_AT,
    completedAt: COMPLETED_AT,
    expiresAt: new Date(COMPLETED_AT.getTime() + RETENTION_HOURS * HOUR_MS),
    attempts: 1,
    file: anExportedFile({ rowCount: 1000 }),
    progress: { percent: 100, rowsExported: 1000, totalRows: 1000 },
  } as const;
  const partial = { percent: 40, rowsExported: 400, totalRows: 1000 };
  switch (status) {
    case 'queued':
      return {};
    case 'running':
      return { stage: 'exporting', startedAt: STARTED_AT, attempts: 1, progress: partial };
    case 'completed':
      return finished;
    case 'expired':
      return finished;
    case 'failed':
      return {
        stage: null,
        startedAt: STARTED_AT,
        attempts: 3,
        progress: partial,
        error: anExportJobFailure(),
      };
    case 'cancelled':
      return { stage: null, startedAt: STARTED_AT, attempts: 1, progress: partial };
  }
}

export interface ExportJobOverrides extends Partial<ExportJobProps> {
  /** Sets tenantId, requestedById and requestedByEmail from one actor (explicit props still win). */
  readonly requestedBy?: Actor;
}

/**
 * A job as ExportJob.request makes it, then, for another status, restored with the fields that status implies
 * (a completed job has a file and an expiry, a running one a stage and an attempt, ...), then the overrides.
 */
export function anExportJob(overrides: ExportJobOverrides = {}): ExportJob {
  const { requestedBy = anActor(), ...props } = overrides;
  const requested = ExportJob.request({
    id: props.id ?? aUuid(),
    tenantId: requestedBy.tenantId,
    requestedBy: { id: requestedBy.userId, email: requestedBy.email },
    source: 'tickets',
    format: 'csv',
    query: anExportJobQuery(),
    now: props.requestedAt ?? REQUESTED_AT,
  });
  const status = props.status ?? 'queued';
  return ExportJob.restore({ ...requested.toSnapshot(), ...stateOf(status), ...props });
}

/** What a call threw; fails the test when it returned instead. */
export function errorThrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw, but it returned');
}
