/**
 * What the `cleanup-exports.*.spec.ts` files share: strict fakes of the cleanup's ports over one world that records
 * side effects in order, a `setup()` that wires them into the handler, and the warnings it logs.
 */
import type { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { type ExportJob, type ExportJobProps } from '@app/domain';
import { anExportedFile, anExportJob } from '@app/domain/testing/export-job.factory';
import { FakeExportJobRepository, FixedClock } from '../../../../testing/api-fakes';
import {
  type ExpiredExport,
  ExportCleanupStore,
  type IdleRunningJob,
} from '../../../../ports/export-cleanup.store';
import type { SaveOptions } from '../../../../ports/export-job.repository';
import { RecordingQueue } from '../../../../testing/recording-queue';
import { FileStorage, type ObjectUpload, type StorageProvider } from '../../../../ports/file-storage';
import {
  type AbandonedUploadCriteria,
  type JournaledUpload,
  UploadJournal,
} from '../../../../ports/upload-journal';
import { CleanupExportsCommand, type CleanupSummary } from '../cleanup-exports.command';
import { CleanupExportsHandler } from '../cleanup-exports.handler';

export const NOW = new Date('2026-03-10T12:00:00.000Z');
export const ago = (ms: number): Date => new Date(NOW.getTime() - ms);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

const unexpected = (what: string): never => {
  throw new Error(`unexpected call: ${what}`);
};

/**
 * Strict fakes sharing one world: the jobs (in the repository fake), when each job row last changed, the stored
 * files, and an ordered log of the side effects, so a spec can check that an object goes before its job.
 */
class World {
  readonly log: string[] = [];
  readonly updatedAt = new Map<string, Date>();
  readonly files = new Map<string, { objectKey: string; deletedAt: Date | null }>();
  readonly ids: string[] = [];
  /** Saving a job logs it and, as the real repository does, stamps its row as changed now. */
  readonly jobs = new LoggingJobRepository((job) => {
    this.log.push(`save ${job.id} ${job.status.value}`);
    this.updatedAt.set(job.id, NOW);
  });

  add(job: ExportJob, updatedAt = ago(HOUR)): ExportJob {
    this.jobs.seed(job);
    this.ids.push(job.id);
    this.ids.sort();
    this.updatedAt.set(job.id, updatedAt);
    const file = job.toSnapshot().file;
    if (file) this.files.set(file.storedFileId, { objectKey: keyOf(job), deletedAt: null });
    return job;
  }

  props(id: string): ExportJobProps {
    const props = this.jobs.stored(id);
    if (!props) throw new Error(`no job ${id}`);
    return props;
  }
}

export const keyOf = (job: ExportJob): string => `exports/${job.tenantId}/${job.id}/file.csv`;

class LoggingJobRepository extends FakeExportJobRepository {
  constructor(private readonly onSaved: (job: ExportJob) => void) {
    super();
  }
  override async save(job: ExportJob, options?: SaveOptions): Promise<void> {
    await super.save(job, options);
    this.onSaved(job);
  }
}

class FakeCleanupStore extends ExportCleanupStore {
  /** Another run holds the lock. */
  held = false;
  readonly pages: { what: string; limit: number }[] = [];

  constructor(private readonly world: World) {
    super();
  }

  async runExclusive<T>(work: () => Promise<T>): Promise<T | null> {
    if (this.held) return null;
    this.held = true;
    try {
      return await work();
    } finally {
      this.held = false;
    }
  }

  expiredExports(now: Date, after: ExpiredExport | null, limit: number): Promise<ExpiredExport[]> {
    this.pages.push({ what: 'expired', limit });
    const items = this.after(after)
      .map((id) => this.world.props(id))
      .filter((p) => p.status === 'completed' && p.expiresAt !== null && p.expiresAt <= now)
      .slice(0, limit)
      .map((p) => {
        const file = p.file ? this.world.files.get(p.file.storedFileId) : undefined;
        return {
          tenantId: p.tenantId,
          jobId: p.id,
          expiresAt: p.expiresAt ?? now,
          file:
            p.file && file && file.deletedAt === null
              ? { id: p.file.storedFileId, objectKey: file.objectKey }
              : null,
        };
      });
    return Promise.resolve(items);
  }

  markFileDeleted(_tenantId: string, fileId: string, at: Date): Promise<void> {
    const file = this.world.files.get(fileId);
    if (file) file.deletedAt ??= at;
    this.world.log.push(`mark file ${fileId}`);
    return Promise.resolve();
  }

  idleRunningJobs(idleSince: Date, after: IdleRunningJob | null, limit: number): Promise<IdleRunningJob[]> {
    this.pages.push({ what: 'idle', limit });
    const items = this.after(after)
      .map((id) => this.world.props(id))
      .filter((p) => p.status === 'running' && (this.world.updatedAt.get(p.id) ?? NOW) < idleSince)
      .slice(0, limit)
      .map((p) => ({ tenantId: p.tenantId, jobId: p.id }));
    return Promise.resolve(items);
  }

  private after(after: { jobId: string } | null): string[] {
    return this.world.ids.filter((id) => after === null || id > after.jobId);
  }
}

interface JournalRow {
  readonly upload: JournaledUpload;
  readonly startedAt: Date;
  outcome: 'completed' | 'aborted' | null;
}

class FakeJournal extends UploadJournal {
  readonly rows: JournalRow[] = [];
  criteria: AbandonedUploadCriteria | null = null;

  constructor(private readonly world: World) {
    super();
  }

  begin(job: ExportJob, startedAt: Date, overrides: Partial<JournaledUpload> = {}): JournaledUpload {
    const upload: JournaledUpload = {
      tenantId: job.tenantId,
      jobId: job.id,
      attempt: job.toSnapshot().attempts,
      provider: 's3',
      objectKey: keyOf(job),
      uploadId: `upload-${String(this.rows.length + 1).padStart(3, '0')}`,
      ...overrides,
    };
    this.rows.push({ upload, startedAt, outcome: null });
    return upload;
  }

  outcomeOf(uploadId: string): JournalRow['outcome'] | undefined {
    return this.rows.find((r) => r.upload.uploadId === uploadId)?.outcome;
  }

  started(): Promise<void> {
    return unexpected('UploadJournal.started');
  }

  finished(uploadId: string, outcome: 'completed' | 'aborted'): Promise<void> {
    const row = this.rows.find((r) => r.upload.uploadId === uploadId && r.outcome === null);
    if (row) row.outcome = outcome;
    return Promise.resolve();
  }

  unfinished(tenantId: string, jobId: string): Promise<JournaledUpload[]> {
    return Promise.resolve(
      this.rows
        .filter((r) => r.outcome === null && r.upload.tenantId === tenantId && r.upload.jobId === jobId)
        .map((r) => r.upload),
    );
  }

  /** The rule as the port states it; the SQL that implements it has its own integration spec. */
  abandoned(
    criteria: AbandonedUploadCriteria,
    after: JournaledUpload | null,
    limit: number,
  ): Promise<JournaledUpload[]> {
    this.criteria = criteria;
    const items = this.rows
      .filter(({ upload, startedAt, outcome }) => {
        const job = this.world.props(upload.jobId);
        const updatedAt = this.world.updatedAt.get(upload.jobId) ?? NOW;
        return (
          outcome === null &&
          upload.provider === criteria.provider &&
          (after === null || upload.uploadId > after.uploadId) &&
          ((job.status !== 'running' && updatedAt < criteria.jobSettledBefore) ||
            (upload.attempt < job.attempts && startedAt < criteria.supersededBefore) ||
            startedAt < criteria.startedBefore)
        );
      })
      .map((r) => r.upload)
      .sort((a, b) => a.uploadId.localeCompare(b.uploadId))
      .slice(0, limit);
    return Promise.resolve(items);
  }
}

/** Objects by key and open multipart uploads; keys in `failing` answer every call with an error. */
class FakeStorage extends FileStorage {
  readonly provider: StorageProvider = 's3';
  readonly objects = new Set<string>();
  readonly openUploads = new Set<string>();
  readonly failing = new Set<string>();

  constructor(private readonly log: string[]) {
    super();
  }

  delete(key: string): Promise<void> {
    if (this.failing.has(key))
      return Promise.reject(new Error('InternalError: We encountered an internal error.'));
    this.objects.delete(key);
    this.log.push(`delete ${key}`);
    return Promise.resolve();
  }

  abortUpload(key: string, uploadId: string): Promise<void> {
    if (this.failing.has(key)) return Promise.reject(new Error('SlowDown: Please reduce your request rate.'));
    this.openUploads.delete(uploadId);
    this.log.push(`abort ${uploadId}`);
    return Promise.resolve();
  }

  beginUpload(): Promise<ObjectUpload> {
    return unexpected('FileStorage.beginUpload');
  }
  openRead(): Promise<{ stream: Readable; sizeBytes: number }> {
    return unexpected('FileStorage.openRead');
  }
  check(): Promise<void> {
    return unexpected('FileStorage.check');
  }
}

export function setup() {
  const world = new World();
  const store = new FakeCleanupStore(world);
  const storage = new FakeStorage(world.log);
  const journal = new FakeJournal(world);
  const queue = new RecordingQueue();
  const settings = {
    retentionHours: 72,
    maxAttempts: 3,
    progressIntervalMs: 500,
    stallAfterMs: 300_000,
    maxRowsByFormat: {},
    attemptTimeoutMs: 1_800_000,
  };
  const handler = new CleanupExportsHandler(
    store,
    world.jobs,
    storage,
    journal,
    queue,
    new FixedClock(NOW),
    settings,
  );
  const run = (): Promise<CleanupSummary> => handler.execute(new CleanupExportsCommand());
  /** A completed job whose file is in storage, expiring at `expiresAt`. */
  const completed = (expiresAt: Date): ExportJob => {
    const job = world.add(anExportJob({ status: 'completed', expiresAt, file: anExportedFile() }));
    storage.objects.add(keyOf(job));
    return job;
  };
  const running = (updatedAt: Date, attempts = 1): ExportJob =>
    world.add(anExportJob({ status: 'running', attempts }), updatedAt);
  return { world, store, storage, journal, queue, run, completed, running };
}

export const summary = (counts: Partial<CleanupSummary>): CleanupSummary => ({
  skipped: false,
  expiredJobs: 0,
  filesDeleted: 0,
  uploadsAborted: 0,
  lostJobsFailed: 0,
  errors: 0,
  ...counts,
});

/** Silences the handler's warnings in each test of the calling block; returns those of the running test. */
export function captureWarnings(): string[] {
  const warnings: string[] = [];
  beforeEach(() => {
    warnings.length = 0;
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(JSON.stringify(args));
    });
  });
  afterEach(() => jest.restoreAllMocks());
  return warnings;
}
