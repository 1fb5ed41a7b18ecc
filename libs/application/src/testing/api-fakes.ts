import { Readable } from 'node:stream';
import { ConcurrentUpdateError, ExportJob, type ExportJobProps, type FormatRowCaps } from '@app/domain';
import type { AuditEntry } from '../ports/audit-log';
import { AuditLog } from '../ports/audit-log';
import { Clock } from '../ports/clock';
import { exportJobView } from '../export-jobs/queries/export-job-details';
import {
  type ExportDownloadView,
  type ExportJobListFilter,
  type ExportJobListPage,
  ExportJobReadModel,
  type ExportJobView,
} from '../ports/export-job.read-model';
import {
  type AddOptions,
  type AddOutcome,
  ExportJobRepository,
  type SaveOptions,
  type StoredFileRecord,
} from '../ports/export-job.repository';
import { ExportRequestSettings } from '../ports/export-request-settings';
import { TicketCounter, type TicketCountRequest } from '../ports/ticket-counter';
import {
  FileStorage,
  type ObjectUpload,
  type StorageProvider,
  StoredObjectNotFoundError,
} from '../ports/file-storage';
import {
  type TicketViewPage,
  type TicketViewRecord,
  TicketViewRepository,
} from '../ports/ticket-view.repository';

/**
 * Strict in-memory fakes of the ports the API's handlers use. They keep the rules the real adapters keep (tenant
 * scoping, optimistic versions, the active-job limit, idempotency keys) and record what was written; a method a
 * handler has no business calling throws.
 */

const unexpected = (what: string): never => {
  throw new Error(`unexpected call: ${what}`);
};

export class FixedClock extends Clock {
  constructor(public current: Date) {
    super();
  }
  now(): Date {
    return new Date(this.current);
  }
}

export class FakeExportJobRepository extends ExportJobRepository {
  private readonly rows = new Map<string, { props: ExportJobProps; version: number }>();
  private readonly versions = new WeakMap<ExportJob, number>();
  readonly audit: AuditEntry[] = [];
  readonly files: StoredFileRecord[] = [];
  /** Jobs saved or added, in order (snapshots). */
  readonly writes: ExportJobProps[] = [];
  /** Makes the next save fail as if another process had changed the job since it was loaded. */
  staleSaves = 0;

  /** Stores a job as if it had been saved long ago. */
  seed(...jobs: ExportJob[]): void {
    for (const job of jobs) this.rows.set(job.id, { props: job.toSnapshot(), version: 1 });
  }

  stored(id: string): ExportJobProps | undefined {
    return this.rows.get(id)?.props;
  }

  findById(tenantId: string, id: string): Promise<ExportJob | null> {
    const row = this.rows.get(id);
    if (!row || row.props.tenantId !== tenantId) return Promise.resolve(null);
    return Promise.resolve(this.handOut(row.props, row.version));
  }

  save(job: ExportJob, options: SaveOptions = {}): Promise<void> {
    const loaded = this.versions.get(job);
    const row = this.rows.get(job.id);
    if (this.staleSaves > 0 || (row && loaded !== row.version) || (!row && loaded !== undefined)) {
      this.staleSaves = Math.max(0, this.staleSaves - 1);
      if (row) row.version += 1;
      return Promise.reject(new ConcurrentUpdateError(job.id));
    }
    const version = (row?.version ?? 0) + 1;
    this.rows.set(job.id, { props: job.toSnapshot(), version });
    this.versions.set(job, version);
    this.writes.push(job.toSnapshot());
    this.audit.push(...(options.audit ?? []));
    if (options.newFile) this.files.push(options.newFile);
    return Promise.resolve();
  }

  /** Like `save`, but only the progress of the loaded job lands on the stored one. */
  saveProgress(job: ExportJob): Promise<void> {
    const loaded = this.versions.get(job);
    const row = this.rows.get(job.id);
    if (this.staleSaves > 0 || !row || loaded !== row.version) {
      this.staleSaves = Math.max(0, this.staleSaves - 1);
      if (row) row.version += 1;
      return Promise.reject(new ConcurrentUpdateError(job.id));
    }
    const props = { ...row.props, progress: job.toSnapshot().progress };
    this.rows.set(job.id, { props, version: row.version + 1 });
    this.versions.set(job, row.version + 1);
    this.writes.push(props);
    return Promise.resolve();
  }

  findByIdempotencyKey(
    tenantId: string,
    requestedById: string,
    key: string,
    since: Date,
  ): Promise<ExportJob | null> {
    const row = [...this.rows.values()].find(
      ({ props }) =>
        props.tenantId === tenantId &&
        props.requestedById === requestedById &&
        props.idempotencyKey === key &&
        props.requestedAt.getTime() >= since.getTime(),
    );
    return Promise.resolve(row ? this.handOut(row.props, row.version) : null);
  }

  add(job: ExportJob, options: AddOptions): Promise<AddOutcome> {
    const props = job.toSnapshot();
    const retried = [...this.rows.values()].find(
      (r) =>
        props.retryOf !== null && r.props.tenantId === props.tenantId && r.props.retryOf === props.retryOf,
    );
    if (retried)
      return Promise.resolve({
        outcome: 'duplicate',
        existing: this.handOut(retried.props, retried.version),
      });
    const mine = [...this.rows.values()].filter(
      (r) => r.props.tenantId === props.tenantId && r.props.requestedById === props.requestedById,
    );
    const holder = mine.find(
      (r) => props.idempotencyKey !== null && r.props.idempotencyKey === props.idempotencyKey,
    );
    if (holder && holder.props.requestedAt.getTime() >= options.idempotentSince.getTime())
      return Promise.resolve({ outcome: 'duplicate', existing: this.handOut(holder.props, holder.version) });
    if (holder) {
      holder.props = { ...holder.props, idempotencyKey: null };
      holder.version += 1;
    }
    const active = mine.filter((r) => r.props.status === 'queued' || r.props.status === 'running').length;
    if (active >= options.maxActivePerRequester)
      return Promise.resolve({ outcome: 'too-many-active', active });
    this.rows.set(job.id, { props, version: 1 });
    this.versions.set(job, 1);
    this.writes.push(props);
    this.audit.push(...(options.audit ?? []));
    return Promise.resolve({ outcome: 'added' });
  }

  private handOut(props: ExportJobProps, version: number): ExportJob {
    const job = ExportJob.restore(props);
    this.versions.set(job, version);
    return job;
  }
}

export class FakeTicketViewRepository extends TicketViewRepository {
  constructor(private readonly views: TicketViewRecord[] = []) {
    super();
  }

  findUsable(tenantId: string, userId: string, viewId: string): Promise<TicketViewRecord | null> {
    const view = this.views.find(
      (v) => v.id === viewId && v.tenantId === tenantId && (v.isSystem || v.ownerId === userId),
    );
    return Promise.resolve(view ?? null);
  }

  listUsable(): Promise<TicketViewPage> {
    return unexpected('TicketViewRepository.listUsable');
  }
}

export class RecordingAuditLog extends AuditLog {
  readonly entries: AuditEntry[] = [];
  record(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
    return Promise.resolve();
  }
}

/**
 * Reads the jobs a FakeExportJobRepository holds, as the SQL read model reads the table the repository writes;
 * `files` are the stored files that still exist (a job's file missing here has been deleted).
 */
export class FakeReadModel extends ExportJobReadModel {
  constructor(
    private readonly jobs: FakeExportJobRepository,
    readonly files: StoredFileRecord[] = [],
  ) {
    super();
  }
  findById(tenantId: string, id: string): Promise<ExportJobView | null> {
    const props = this.jobs.stored(id);
    if (!props || props.tenantId !== tenantId) return Promise.resolve(null);
    return Promise.resolve(exportJobView(ExportJob.restore(props)));
  }
  list(_tenantId: string, _filter: ExportJobListFilter): Promise<ExportJobListPage> {
    return unexpected('ExportJobReadModel.list');
  }
  findDownload(tenantId: string, jobId: string): Promise<ExportDownloadView | null> {
    const props = this.jobs.stored(jobId);
    if (!props || props.tenantId !== tenantId) return Promise.resolve(null);
    const { file } = props;
    const stored = file && this.files.find((f) => f.id === file.storedFileId && f.tenantId === tenantId);
    return Promise.resolve({
      tenantId: props.tenantId,
      source: props.source,
      requestedById: props.requestedById,
      status: props.status,
      expiresAt: props.expiresAt,
      file: file && {
        name: file.name,
        contentType: file.contentType,
        sha256: file.sha256,
        objectKey: stored ? stored.objectKey : null,
      },
    });
  }
}

/** Reads only: the objects it holds, by key. */
export class InMemoryStorage extends FileStorage {
  readonly provider: StorageProvider = 'local';
  constructor(readonly objects = new Map<string, Buffer>()) {
    super();
  }
  openRead(key: string): Promise<{ stream: Readable; sizeBytes: number }> {
    const bytes = this.objects.get(key);
    if (!bytes) return Promise.reject(new StoredObjectNotFoundError(key));
    return Promise.resolve({ stream: Readable.from([bytes]), sizeBytes: bytes.length });
  }
  beginUpload(): Promise<ObjectUpload> {
    return unexpected('FileStorage.beginUpload');
  }
  delete(): Promise<void> {
    return unexpected('FileStorage.delete');
  }
  abortUpload(): Promise<void> {
    return unexpected('FileStorage.abortUpload');
  }
  check(): Promise<void> {
    return unexpected('FileStorage.check');
  }
}

export const settings = (
  maxActivePerRequester = 3,
  maxRowsByFormat: FormatRowCaps = {},
): ExportRequestSettings => ({
  maxActivePerRequester,
  retryAfterSeconds: 30,
  maxRowsByFormat,
  emailNotifications: false,
});

/** Answers every count with `rows` (null: the count was not cheap), and records what it was asked. */
export class FakeTicketCounter extends TicketCounter {
  readonly requests: { request: TicketCountRequest; atMost: number }[] = [];

  constructor(private readonly rows: number | null = 0) {
    super();
  }

  countAtMost(request: TicketCountRequest, atMost: number): Promise<number | null> {
    this.requests.push({ request, atMost });
    return Promise.resolve(this.rows === null ? null : Math.min(this.rows, atMost));
  }
}
