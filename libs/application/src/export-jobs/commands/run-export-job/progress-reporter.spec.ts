import { Logger } from '@nestjs/common';
import { ConcurrentUpdateError, type ExportJob } from '@app/domain';
import { anExportJob, STARTED_AT } from '@app/domain/testing/export-job.factory';
import type { SaveOptions } from '../../../ports/export-job.repository';
import { LoggingJobRepository } from '../../../testing/engine-fakes';
import { ProgressReporter } from './progress-reporter';

const INTERVAL_MS = 500;

/** A job started by this attempt (loaded, started and saved through the repository, as the handler does). */
async function started(repo: LoggingJobRepository): Promise<ExportJob> {
  const seeded = anExportJob({ status: 'queued' });
  repo.seed(seeded);
  const job = await repo.findById(seeded.tenantId, seeded.id);
  if (!job) throw new Error('not seeded');
  job.start(STARTED_AT);
  await repo.save(job);
  return job;
}

/** What another process does to the stored job behind the attempt's back. */
async function elsewhere(repo: LoggingJobRepository, job: ExportJob, change: (j: ExportJob) => void) {
  const other = await repo.findById(job.tenantId, job.id);
  if (!other) throw new Error('gone');
  change(other);
  await repo.save(other);
}

describe('ProgressReporter', () => {
  let log: string[];
  let warnings: string[];
  let repo: LoggingJobRepository;
  let rows: number;
  const probe = () => ({ rowsRead: rows, totalRows: 10 });

  beforeEach(() => {
    jest.useFakeTimers();
    log = [];
    warnings = [];
    rows = 0;
    repo = new LoggingJobRepository(log);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(JSON.stringify(args));
    });
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('writes the progress (its columns only) on every tick where it changed, and only then', async () => {
    const job = await started(repo);
    log.length = 0;
    const reporter = new ProgressReporter(repo, job, INTERVAL_MS);
    reporter.start(probe);
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    rows = 4;
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    rows = 7;
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    reporter.stop();
    rows = 9;
    await jest.advanceTimersByTimeAsync(5 * INTERVAL_MS);
    expect(log).toEqual(['progress 4', 'progress 7']);
    expect(repo.stored(job.id)?.progress).toEqual({ percent: 70, rowsExported: 7, totalRows: 10 });
    expect(reporter.signal.aborted).toBe(false);
  });

  it('reads the job back on a tick without progress (rows not counted yet, or none read since)', async () => {
    const job = await started(repo);
    const reporter = new ProgressReporter(repo, job, INTERVAL_MS);
    let counted = false;
    reporter.start(() => (counted ? probe() : null));
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    counted = true;
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    reporter.stop();
    expect(repo.reads).toBe(3); // started() read once
    expect(reporter.signal.aborted).toBe(false);
  });

  it.each([
    ['without progress (it reads the job back)', 0],
    ['with progress (its save is refused)', 5],
  ])('stops with "cancelled" when the job was cancelled meanwhile, on a tick %s', async (_, read) => {
    const job = await started(repo);
    const reporter = new ProgressReporter(repo, job, INTERVAL_MS);
    reporter.start(probe);
    await elsewhere(repo, job, (j) => j.cancel());
    rows = read;
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    reporter.stop();
    expect(reporter.signal.aborted).toBe(true);
    expect(reporter.signal.reason).toBe('cancelled');
    expect(() => reporter.throwIfStopped()).toThrow('attempt stopped: cancelled');
    expect(repo.stored(job.id)?.status).toBe('cancelled');
  });

  it('stops with "superseded" when another attempt took the job over', async () => {
    const job = await started(repo);
    const reporter = new ProgressReporter(repo, job, INTERVAL_MS);
    reporter.start(probe);
    await elsewhere(repo, job, (j) => j.release());
    await elsewhere(repo, job, (j) => j.start(STARTED_AT));
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    reporter.stop();
    expect(reporter.signal.reason).toBe('superseded');
  });

  it('keeps going when a progress write fails for another reason', async () => {
    const job = await started(repo);
    const reporter = new ProgressReporter(repo, job, INTERVAL_MS);
    jest.spyOn(repo, 'saveProgress').mockRejectedValueOnce(new Error('connection reset'));
    reporter.start(probe);
    rows = 3;
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    rows = 4;
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    reporter.stop();
    expect(reporter.signal.aborted).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(repo.stored(job.id)?.progress.rowsExported).toBe(4);
  });

  it('serializes saves: a save waits for the one before it', async () => {
    const job = await started(repo);
    const reporter = new ProgressReporter(repo, job, INTERVAL_MS);
    const releases: (() => void)[] = [];
    const save = repo.save.bind(repo);
    jest.spyOn(repo, 'save').mockImplementation(async (j: ExportJob, options?: SaveOptions) => {
      log.push('save begins');
      await new Promise<void>((resolve) => releases.push(resolve));
      await save(j, options);
    });
    log.length = 0;
    const first = reporter.save();
    const second = reporter.save();
    await jest.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['save begins']);
    releases[0]();
    await first;
    await jest.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['save begins', 'save running counting 0', 'save begins']);
    releases[1]();
    await second;
  });

  it('runs the next save after one that failed', async () => {
    const job = await started(repo);
    const reporter = new ProgressReporter(repo, job, INTERVAL_MS);
    jest.spyOn(repo, 'save').mockRejectedValueOnce(new Error('connection reset'));
    await expect(reporter.save()).rejects.toThrow('connection reset');
    job.enterStage('exporting');
    await reporter.save();
    expect(repo.stored(job.id)?.stage).toBe('exporting');
  });

  describe('stopReason', () => {
    it('is null for a failure while the job is still this attempt’s ("superseded" for a refused save)', async () => {
      const job = await started(repo);
      const reporter = new ProgressReporter(repo, job, INTERVAL_MS);
      expect(await reporter.stopReason(new Error('boom'))).toBeNull();
      expect(await reporter.stopReason(new ConcurrentUpdateError('x'))).toBe('superseded');
    });

    it('reads the job back for a refused save: "cancelled" when it was cancelled', async () => {
      const job = await started(repo);
      const reporter = new ProgressReporter(repo, job, INTERVAL_MS);
      await elsewhere(repo, job, (j) => j.cancel());
      const refused = await reporter.save().catch((error: unknown) => error);
      expect(await reporter.stopReason(refused)).toBe('cancelled');
    });

    it('is "shutdown" once the worker shuts down, whatever the error', async () => {
      const job = await started(repo);
      const shutdown = new AbortController();
      const reporter = new ProgressReporter(repo, job, INTERVAL_MS, shutdown.signal);
      expect(reporter.signal.aborted).toBe(false);
      shutdown.abort();
      expect(await reporter.stopReason(new Error('aborted'))).toBe('shutdown');
      const late = new ProgressReporter(repo, job, INTERVAL_MS, shutdown.signal);
      expect(late.signal.reason).toBe('shutdown');
    });
  });
});
