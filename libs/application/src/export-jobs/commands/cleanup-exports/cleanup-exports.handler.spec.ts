import type { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { type ExportJob, type ExportJobProps } from '@app/domain';
import { anExportedFile, anExportJob } from '@app/domain/testing/export-job.factory';
import { FakeExportJobRepository, FixedClock } from '../../../testing/api-fakes';
import {
  type ExpiredExport,
  ExportCleanupStore,
  type IdleRunningJob,
} from '../../../ports/export-cleanup.store';
import type { SaveOptions } from '../../../ports/export-job.repository';
import { type ExportJobRef, ExportQueue } from '../../../ports/export-queue';
import { FileStorage, type ObjectUpload, type StorageProvider } from '../../../ports/file-storage';
import {
  type AbandonedUploadCriteria,
  type JournaledUpload,
  UploadJournal,
} from '../../../ports/upload-journal';
import { CleanupExportsCommand, type CleanupSummary } from './cleanup-exports.command';
import { CleanupExportsHandler } from './cleanup-exports.handler';

const NOW = new Date('2026-03-10T12:00:00.000Z');
const ago = (ms: number): Date => new Date(NOW.getTime() - ms);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

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

const keyOf = (job: ExportJob): string => `exports/${job.tenantId}/${job.id}/file.csv`;

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

class FakeQueue extends ExportQueue {
  readonly entries = new Set<string>();
  readonly asked: string[] = [];
  down = false;

  contains(jobId: string): Promise<boolean> {
    this.asked.push(jobId);
    if (this.down) return Promise.reject(new Error('Connection is closed.'));
    return Promise.resolve(this.entries.has(jobId));
  }
  enqueue(_ref: ExportJobRef): Promise<void> {
    return unexpected('ExportQueue.enqueue');
  }
  isLive(): Promise<boolean> {
    return unexpected('ExportQueue.isLive');
  }
  requeue(): Promise<void> {
    return unexpected('ExportQueue.requeue');
  }
}

function setup() {
  const world = new World();
  const store = new FakeCleanupStore(world);
  const storage = new FakeStorage(world.log);
  const journal = new FakeJournal(world);
  const queue = new FakeQueue();
  const handler = new CleanupExportsHandler(store, world.jobs, storage, journal, queue, new FixedClock(NOW));
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

const summary = (counts: Partial<CleanupSummary>): CleanupSummary => ({
  skipped: false,
  expiredJobs: 0,
  filesDeleted: 0,
  uploadsAborted: 0,
  lostJobsFailed: 0,
  errors: 0,
  ...counts,
});

describe('CleanupExportsHandler', () => {
  let warnings: string[];

  beforeEach(() => {
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(JSON.stringify(args));
    });
  });
  afterEach(() => jest.restoreAllMocks());

  describe('expired files', () => {
    it('deletes the object, then marks the file deleted and the job expired with a system audit row', async () => {
      const { world, storage, run, completed } = setup();
      const expired = completed(ago(MINUTE));
      const dueNow = completed(NOW);
      const current = completed(new Date(NOW.getTime() + HOUR));

      await expect(run()).resolves.toEqual(summary({ expiredJobs: 2, filesDeleted: 2 }));

      expect([...storage.objects]).toEqual([keyOf(current)]);
      expect(world.props(expired.id)).toMatchObject({ status: 'expired', stage: null });
      expect(world.props(dueNow.id).status).toBe('expired');
      expect(world.props(current.id).status).toBe('completed');
      const fileOf = (job: ExportJob) => world.files.get(job.toSnapshot().file?.storedFileId ?? '');
      expect(fileOf(expired)?.deletedAt).toEqual(NOW);
      expect(fileOf(current)?.deletedAt).toBeNull();
      const [first] = [expired, dueNow].sort((a, b) => a.id.localeCompare(b.id));
      expect(world.log.slice(0, 3)).toEqual([
        `delete ${keyOf(first)}`,
        `mark file ${first.toSnapshot().file?.storedFileId}`,
        `save ${first.id} expired`,
      ]);
      expect(world.jobs.audit).toEqual(
        expect.arrayContaining([
          {
            tenantId: expired.tenantId,
            actorId: null,
            action: 'export.expired',
            jobId: expired.id,
            details: { expiresAt: ago(MINUTE).toISOString(), fileDeleted: true },
          },
        ]),
      );
      expect(world.jobs.audit).toHaveLength(2);
    });

    it('leaves a job whose object could not be deleted completed, expires the others, and the next run finishes it', async () => {
      const { world, storage, run, completed } = setup();
      const jobs = [completed(ago(HOUR)), completed(ago(HOUR)), completed(ago(HOUR))];
      const stuck = jobs[1];
      storage.failing.add(keyOf(stuck));

      await expect(run()).resolves.toEqual(summary({ expiredJobs: 2, filesDeleted: 2, errors: 1 }));
      expect(jobs.map((j) => world.props(j.id).status)).toEqual(['expired', 'completed', 'expired']);
      expect(storage.objects.has(keyOf(stuck))).toBe(true);
      expect(world.files.get(stuck.toSnapshot().file?.storedFileId ?? '')?.deletedAt).toBeNull();
      expect(world.jobs.audit.map((a) => a.jobId)).not.toContain(stuck.id);
      expect(warnings.join('\n')).toContain(stuck.id);

      storage.failing.clear();
      await expect(run()).resolves.toEqual(summary({ expiredJobs: 1, filesDeleted: 1 }));
      expect(world.props(stuck.id).status).toBe('expired');
      expect(storage.objects.size).toBe(0);
    });

    it('finishes a job whose object went but whose save lost a race: the next run deletes again (idempotent) and saves', async () => {
      const { world, storage, run, completed } = setup();
      const job = completed(ago(HOUR));
      world.jobs.staleSaves = 1;

      await expect(run()).resolves.toEqual(summary({ filesDeleted: 1, errors: 1 }));
      expect(world.props(job.id).status).toBe('completed');
      expect(storage.objects.size).toBe(0);

      await expect(run()).resolves.toEqual(summary({ expiredJobs: 1 }));
      expect(world.props(job.id).status).toBe('expired');
      expect(world.jobs.audit.map((a) => a.action)).toEqual(['export.expired']);
    });

    it('works in batches of 100 and never hands out a failed item again in the same run', async () => {
      const { world, store, storage, run, completed } = setup();
      const jobs = Array.from({ length: 230 }, () => completed(ago(HOUR)));
      const firstPage = [...jobs].sort((a, b) => a.id.localeCompare(b.id)).slice(0, 100);
      for (const job of firstPage) storage.failing.add(keyOf(job));

      await expect(run()).resolves.toEqual(summary({ expiredJobs: 130, filesDeleted: 130, errors: 100 }));
      expect(store.pages.filter((p) => p.what === 'expired')).toEqual([
        { what: 'expired', limit: 100 },
        { what: 'expired', limit: 100 },
        { what: 'expired', limit: 100 },
      ]);
      expect(jobs.filter((j) => world.props(j.id).status === 'completed')).toHaveLength(100);
    });
  });

  describe('one run at a time', () => {
    it('skips, touching nothing, while another run holds the lock', async () => {
      const { world, store, storage, run, completed } = setup();
      completed(ago(HOUR));
      store.held = true;

      await expect(run()).resolves.toEqual({ ...summary({}), skipped: true });
      expect(storage.objects.size).toBe(1);
      expect(world.jobs.writes).toEqual([]);
      expect(store.pages).toEqual([]);
    });

    it('two runs at once: one does the work, the other is skipped, and a third finds nothing left', async () => {
      const { world, run, completed } = setup();
      const jobs = [completed(ago(HOUR)), completed(ago(HOUR))];

      const results = await Promise.all([run(), run()]);

      expect(results).toEqual(
        expect.arrayContaining([
          summary({ expiredJobs: 2, filesDeleted: 2 }),
          { ...summary({}), skipped: true },
        ]),
      );
      expect(jobs.map((j) => world.props(j.id).status)).toEqual(['expired', 'expired']);
      await expect(run()).resolves.toEqual(summary({}));
      expect(world.jobs.audit).toHaveLength(2);
    });
  });

  describe('abandoned uploads', () => {
    it('aborts uploads of attempts that are over, after their grace, and journals them aborted', async () => {
      const { world, storage, journal, run, running } = setup();
      const retried = running(NOW, 2);
      const superseded = journal.begin(retried, ago(20 * MINUTE), { attempt: 1 });
      const justSuperseded = journal.begin(retried, ago(5 * MINUTE), { attempt: 1 });
      const live = journal.begin(retried, ago(20 * MINUTE));
      const failed = world.add(anExportJob({ status: 'failed' }), ago(10 * MINUTE));
      const ofFailed = journal.begin(failed, ago(HOUR));
      const otherProvider = journal.begin(failed, ago(HOUR), { provider: 'local' });
      const cancelled = world.add(anExportJob({ status: 'cancelled' }), ago(30_000));
      const justCancelled = journal.begin(cancelled, ago(MINUTE));
      const ancient = journal.begin(running(NOW), ago(25 * HOUR));

      await expect(run()).resolves.toEqual(summary({ uploadsAborted: 3 }));

      const aborted = [superseded, ofFailed, ancient].map((u) => u.uploadId);
      expect(world.log.filter((l) => l.startsWith('abort'))).toEqual(aborted.map((id) => `abort ${id}`));
      for (const id of aborted) expect(journal.outcomeOf(id)).toBe('aborted');
      for (const untouched of [justSuperseded, live, otherProvider, justCancelled])
        expect(journal.outcomeOf(untouched.uploadId)).toBeNull();
      expect(journal.criteria).toEqual({
        provider: storage.provider,
        jobSettledBefore: ago(2 * MINUTE),
        supersededBefore: ago(15 * MINUTE),
        startedBefore: ago(24 * HOUR),
      });
    });

    it('counts an upload storage refuses to abort as an error and leaves it for the next run', async () => {
      const { world, storage, journal, run } = setup();
      const failed = world.add(anExportJob({ status: 'failed' }), ago(HOUR));
      const stuck = journal.begin(failed, ago(HOUR));
      storage.failing.add(stuck.objectKey);

      await expect(run()).resolves.toEqual(summary({ errors: 1 }));
      expect(journal.outcomeOf(stuck.uploadId)).toBeNull();

      storage.failing.clear();
      await expect(run()).resolves.toEqual(summary({ uploadsAborted: 1 }));
      expect(journal.outcomeOf(stuck.uploadId)).toBe('aborted');
    });
  });

  describe('lost running jobs', () => {
    it('fails an idle running job without a queue entry with a safe message, audits it and aborts its upload', async () => {
      const { world, journal, queue, run, running } = setup();
      const lost = running(ago(5 * MINUTE));
      const upload = journal.begin(lost, ago(6 * MINUTE));
      const stalled = running(ago(5 * MINUTE));
      queue.entries.add(stalled.id);
      const busy = running(ago(30_000));

      await expect(run()).resolves.toEqual(summary({ lostJobsFailed: 1, uploadsAborted: 1 }));

      expect(world.props(lost.id)).toMatchObject({
        status: 'failed',
        stage: null,
        error: { code: 'EXPORT_JOB.WORKER_LOST', message: 'The export stopped unexpectedly; retry it.' },
      });
      expect(world.jobs.audit).toEqual([
        {
          tenantId: lost.tenantId,
          actorId: null,
          action: 'export.failed',
          jobId: lost.id,
          details: { code: 'EXPORT_JOB.WORKER_LOST', attempts: 1, cause: 'worker and queue entry gone' },
        },
      ]);
      expect(journal.outcomeOf(upload.uploadId)).toBe('aborted');
      expect(world.props(stalled.id).status).toBe('running');
      expect(world.props(busy.id).status).toBe('running');
      expect(queue.asked.sort()).toEqual([lost.id, stalled.id].sort());
    });

    it('leaves the job running and counts an error when the queue cannot be asked', async () => {
      const { world, queue, run, running } = setup();
      const job = running(ago(5 * MINUTE));
      queue.down = true;

      await expect(run()).resolves.toEqual(summary({ errors: 1 }));
      expect(world.props(job.id).status).toBe('running');
      expect(world.jobs.writes).toEqual([]);
    });
  });
});
