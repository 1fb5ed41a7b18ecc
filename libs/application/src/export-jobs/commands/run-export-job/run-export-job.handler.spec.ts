import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { type ExportJob, exportObjectKey, type FormatRowCaps } from '@app/domain';
import { anExportJob, COMPLETED_AT } from '@app/domain/testing/export-job.factory';
import { FixedClock } from '../../../testing/api-fakes';
import {
  FakeClassifier,
  FakeFileSource,
  FakeJournal,
  FakeStorage,
  LoggingJobRepository,
} from '../../../testing/engine-fakes';
import { RetryableExportError, RunExportJobCommand } from './run-export-job.command';
import { RunExportJobHandler } from './run-export-job.handler';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The engine's ports as strict fakes sharing one log, and the handler wired to them. */
function setup(attemptTimeoutMs = 60_000, maxRowsByFormat: FormatRowCaps = { xlsx: 1000 }) {
  const log: string[] = [];
  const jobs = new LoggingJobRepository(log);
  const files = new FakeFileSource(log);
  const storage = new FakeStorage(log);
  const journal = new FakeJournal(log);
  const settings = {
    retentionHours: 72,
    maxAttempts: 3,
    progressIntervalMs: 5,
    attemptTimeoutMs,
    stallAfterMs: 300_000,
    maxRowsByFormat,
  };
  const handler = new RunExportJobHandler(
    jobs,
    files,
    storage,
    journal,
    new FakeClassifier(),
    settings,
    new FixedClock(COMPLETED_AT),
  );
  const queued = (overrides: Parameters<typeof anExportJob>[0] = {}): ExportJob => {
    const job = anExportJob({ status: 'queued', ...overrides });
    jobs.seed(job);
    return job;
  };
  const run = (job: ExportJob, shutdown?: AbortSignal) =>
    handler.execute(new RunExportJobCommand(job.tenantId, job.id, shutdown));
  /** Resolves once the attempt's upload began (its bytes are flowing, up to the fake file's stall point). */
  const uploading = async (): Promise<void> => {
    while (!log.includes('journal upload-1 started')) await new Promise((r) => setTimeout(r, 1));
  };
  return { log, jobs, files, storage, journal, queued, run, uploading };
}

describe('RunExportJobHandler', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('streams the file into storage and completes the job with its record, in this order', async () => {
    const { log, jobs, files, storage, journal, queued, run } = setup();
    const job = queued();
    expect(await run(job)).toBe('completed');

    const key = exportObjectKey(jobs.stored(job.id) ?? job.toSnapshot());
    const bytes = Buffer.from(files.rows.join(''));
    expect(storage.objects.get(key)).toEqual(bytes);
    const progressWrites = (line: string): boolean =>
      line.startsWith('save running exporting ') || line.startsWith('progress ');
    expect(log.filter((line) => !progressWrites(line))).toEqual([
      'save running counting 0',
      'open file',
      `begin ${key}`,
      'journal upload-1 started',
      'save running uploading 3',
      `stored ${key}`,
      'save completed null 3',
      'journal upload-1 completed',
      'close file',
    ]);
    expect(log).toContain('save running exporting 0');
    const done = jobs.stored(job.id);
    expect(done).toMatchObject({
      status: 'completed',
      attempts: 1,
      snapshotAt: files.snapshotAt,
      progress: { percent: 100, rowsExported: 3, totalRows: 3 },
      file: { sizeBytes: bytes.length, sha256: sha256(bytes), rowCount: 3 },
    });
    expect(jobs.files).toEqual([
      expect.objectContaining({
        objectKey: key,
        sizeBytes: bytes.length,
        sha256: sha256(bytes),
        provider: 's3',
      }),
    ]);
    expect(jobs.audit.map((a) => [a.action, a.details])).toEqual([
      ['export.completed', { source: 'tickets', rows: 3, bytes: bytes.length, attempts: 1 }],
    ]);
    expect(journal.lookups).toBe(1); // the leftovers, before anything began
    expect(files.requests[0]).toMatchObject({
      tenantId: job.tenantId,
      format: 'csv',
      requestedAt: job.toSnapshot().requestedAt,
    });
  });

  it('aborts the uploads of a lost attempt before it opens the file', async () => {
    const { log, journal, queued, run } = setup();
    const job = queued({ attempts: 1 });
    const key = exportObjectKey(job.toSnapshot());
    journal.seed({
      tenantId: job.tenantId,
      jobId: job.id,
      attempt: 1,
      provider: 's3',
      objectKey: key,
      uploadId: 'lost',
    });
    expect(await run(job)).toBe('completed');
    expect(log.indexOf('abortUpload lost')).toBeLessThan(log.indexOf('open file'));
    expect(journal.rows.map((r) => [r.upload.uploadId, r.outcome])).toEqual([
      ['lost', 'aborted'],
      ['upload-1', 'completed'],
    ]);
  });

  it('stops within a tick when the job is cancelled mid-export: upload aborted, nothing stored', async () => {
    const { log, jobs, files, storage, queued, run, uploading } = setup();
    files.stallAfter = 1;
    const job = queued();
    const outcome = run(job);
    await uploading();
    const other = await jobs.findById(job.tenantId, job.id);
    other?.cancel();
    if (other) await jobs.save(other);

    expect(await outcome).toBe('cancelled');
    expect(storage.objects.size).toBe(0);
    expect(log.slice(-3)).toEqual(['abort upload-1', 'journal upload-1 aborted', 'close file']);
    expect(jobs.stored(job.id)?.status).toBe('cancelled');
    expect(jobs.audit).toEqual([]);
  });

  it('releases the job when the worker shuts down mid-export, without spending its attempt', async () => {
    const { jobs, files, storage, queued, run, uploading } = setup();
    files.stallAfter = 2;
    const job = queued();
    const shutdown = new AbortController();
    const outcome = run(job, shutdown.signal);
    await uploading();
    shutdown.abort();
    expect(await outcome).toBe('released');
    expect(jobs.stored(job.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(storage.objects.size).toBe(0);
  });

  it('takes over a job whose attempt was lost while attempts remain', async () => {
    const { jobs, queued, run } = setup();
    const job = queued({ status: 'running', attempts: 2 });
    expect(await run(job)).toBe('completed');
    expect(jobs.stored(job.id)).toMatchObject({ status: 'completed', attempts: 3 });
  });

  it('fails a job whose last attempt was lost instead of running it past EXPORT_MAX_ATTEMPTS', async () => {
    const { log, jobs, queued, run } = setup();
    const job = queued({ status: 'running', attempts: 3 });
    expect(await run(job)).toBe('failed');
    expect(jobs.stored(job.id)).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: {
        code: 'EXPORT_JOB.FAILED',
        message: 'The export failed after 3 attempts. Please try again later.',
      },
    });
    expect(jobs.audit.map((a) => [a.action, a.details])).toEqual([
      ['export.failed', { code: 'EXPORT_JOB.FAILED', attempts: 3, cause: 'LostAttemptError' }],
    ]);
    expect(log).not.toContain('open file');
  });

  it('fails the job with EXPORT_JOB.TIMED_OUT once the attempt outlives its timeout, not retried', async () => {
    const { jobs, files, storage, queued, run } = setup(50);
    files.stallAfter = 2;
    const job = queued();
    expect(await run(job)).toBe('failed');
    expect(jobs.stored(job.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'EXPORT_JOB.TIMED_OUT' },
    });
    expect(storage.objects.size).toBe(0);
  });

  it("fails the job at counting with EXPORT_JOB.TOO_LARGE when the count exceeds its format's cap, not retried", async () => {
    const { log, jobs, files, queued, run } = setup(60_000, { xlsx: 1000 });
    files.totalRows = 1001;
    const job = queued({ format: 'xlsx' });
    expect(await run(job)).toBe('failed');
    expect(jobs.stored(job.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: {
        code: 'EXPORT_JOB.TOO_LARGE',
        message:
          'XLSX exports hold at most 1000 rows and this one has more. Export it as CSV, which has no row limit, or narrow the filters.',
      },
    });
    // Failed while counting: it never entered `exporting` and began no upload.
    expect(log.filter((line) => line.startsWith('save '))).toEqual([
      'save running counting 0',
      'save failed null 0',
    ]);
    expect(log.some((line) => line.startsWith('begin '))).toBe(false);
    expect(log.at(-1)).toBe('close file');
    expect(jobs.audit.map((a) => [a.action, a.details])).toEqual([
      ['export.failed', { code: 'EXPORT_JOB.TOO_LARGE', attempts: 1, cause: 'EXPORT_JOB.TOO_LARGE' }],
    ]);
  });

  it('exports a capped format at its cap exactly', async () => {
    const { files, queued, run } = setup(60_000, { xlsx: 3 });
    files.totalRows = 3;
    expect(await run(queued({ format: 'xlsx' }))).toBe('completed');
  });

  it('hands a transient failure with attempts left back to the queue, with nothing left in storage', async () => {
    const { log, jobs, files, queued, run } = setup();
    files.failAfter = 2;
    const job = queued();
    await expect(run(job)).rejects.toBeInstanceOf(RetryableExportError);
    expect(jobs.stored(job.id)).toMatchObject({ status: 'queued', attempts: 1, error: null });
    expect(log.slice(-4)).toEqual([
      'abort upload-1',
      'journal upload-1 aborted',
      'save queued queued 0',
      'close file',
    ]);
  });

  it('fails the job for good in its last attempt, with a safe message', async () => {
    const { jobs, files, queued, run } = setup();
    files.failAfter = 1;
    const job = queued({ attempts: 2 });
    expect(await run(job)).toBe('failed');
    expect(jobs.stored(job.id)).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: {
        code: 'EXPORT_JOB.FAILED',
        message: 'The export failed after 3 attempts. Please try again later.',
      },
    });
    expect(jobs.audit.map((a) => a.action)).toEqual(['export.failed']);
  });

  it('fails at once when the file cannot be opened for a reason that will not pass, and begins no upload', async () => {
    const { log, jobs, files, queued, run } = setup();
    files.failOpen = new Error('permission denied for table tickets');
    const job = queued();
    expect(await run(job)).toBe('failed');
    expect(log.some((line) => line.startsWith('begin '))).toBe(false);
    expect(jobs.stored(job.id)?.error?.code).toBe('EXPORT_JOB.FAILED');
  });

  it('deletes the stored object when the completed job cannot be saved (cancelled at the last moment)', async () => {
    const { log, jobs, storage, journal, queued, run } = setup();
    const job = queued();
    const save = jobs.save.bind(jobs);
    jest.spyOn(jobs, 'save').mockImplementation(async (j, options) => {
      if (j.toSnapshot().status === 'completed') {
        const other = await jobs.findById(j.tenantId, j.id);
        other?.cancel();
        if (other) await save(other);
      }
      await save(j, options);
    });
    expect(await run(job)).toBe('cancelled');
    expect(storage.objects.size).toBe(0);
    expect(log.slice(-4)).toEqual([
      'save cancelled null 3',
      `delete ${exportObjectKey({ ...job.toSnapshot(), attempts: 1 })}`,
      'journal upload-1 aborted',
      'close file',
    ]);
    expect(jobs.files).toEqual([]);
    expect(journal.rows.map((r) => r.outcome)).toEqual(['aborted']);
  });

  it('keeps the file when the completion was committed but its save failed (connection lost after COMMIT)', async () => {
    const { log, jobs, files, storage, journal, queued, run } = setup();
    const job = queued();
    const save = jobs.save.bind(jobs);
    jest.spyOn(jobs, 'save').mockImplementation(async (j, options) => {
      await save(j, options);
      if (j.toSnapshot().status === 'completed') throw new Error('Connection terminated unexpectedly');
    });
    expect(await run(job)).toBe('completed');

    const stored = jobs.stored(job.id);
    const key = exportObjectKey({ ...job.toSnapshot(), attempts: 1 });
    const bytes = Buffer.from(files.rows.join(''));
    expect(stored?.status).toBe('completed');
    expect(stored?.file?.sha256).toBe(sha256(bytes));
    expect(storage.objects.get(key)).toEqual(bytes);
    expect(log.some((line) => line.startsWith('delete '))).toBe(false);
    expect(journal.rows.map((r) => r.outcome)).toEqual(['completed']);
  });

  it('keeps the object, and its journal entry open for the cleanup, when the completion cannot be confirmed', async () => {
    const { log, jobs, storage, journal, queued, run } = setup();
    const job = queued();
    const save = jobs.save.bind(jobs);
    const findById = jobs.findById.bind(jobs);
    let down = false;
    jest.spyOn(jobs, 'save').mockImplementation(async (j, options) => {
      if (j.toSnapshot().status === 'completed') down = true;
      if (down) throw new Error('Connection terminated unexpectedly');
      await save(j, options);
    });
    jest.spyOn(jobs, 'findById').mockImplementation(async (tenantId, id) => {
      if (down) throw new Error('connect ECONNREFUSED');
      return findById(tenantId, id);
    });
    await expect(run(job)).rejects.toThrow();

    const key = exportObjectKey({ ...job.toSnapshot(), attempts: 1 });
    expect(storage.objects.has(key)).toBe(true);
    expect(log.some((line) => line.startsWith('delete ') || line.startsWith('abort '))).toBe(false);
    expect(journal.rows.map((r) => r.outcome)).toEqual([null]);
  });

  it('skips a job that is no longer runnable, or that another worker started first', async () => {
    const { log, jobs, queued, run } = setup();
    const done = anExportJob({ status: 'completed' });
    jobs.seed(done);
    expect(await run(done)).toBe('skipped');
    const job = queued();
    jobs.staleSaves = 1;
    expect(await run(job)).toBe('skipped');
    expect(log).toEqual([]);
  });
});
