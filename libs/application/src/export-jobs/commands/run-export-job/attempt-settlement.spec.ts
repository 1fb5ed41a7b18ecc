import { Logger } from '@nestjs/common';
import { ConcurrentUpdateError, ValidationError } from '@app/domain';
import { anExportJob, STARTED_AT } from '@app/domain/testing/export-job.factory';
import { FakeClassifier, LoggingJobRepository } from '../../../testing/engine-fakes';
import { AttemptSettlement } from './attempt-settlement';
import type { JobWriter, StopReason } from './progress-reporter';
import { AttemptTimedOutError, RetryableExportError } from './run-export-job.command';

const MAX_ATTEMPTS = 3;
const transient = new Error('connection reset (transient)');
const permanent = new Error('permission denied for table tickets');
const invalid = new ValidationError([{ field: 'columns', message: 'unknown column "foo"' }]);

/** A job in its `attempts`th attempt, and a writer saving it through the repository. */
async function writerFor(attempts: number): Promise<{ writer: JobWriter; repo: LoggingJobRepository }> {
  const repo = new LoggingJobRepository([]);
  const seeded = anExportJob({ status: 'queued', attempts: attempts - 1 });
  repo.seed(seeded);
  const job = await repo.findById(seeded.tenantId, seeded.id);
  if (!job) throw new Error('not seeded');
  job.start(STARTED_AT);
  await repo.save(job);
  return { writer: { job, save: (options) => repo.save(job, options) }, repo };
}

describe('AttemptSettlement', () => {
  const settlement = new AttemptSettlement(new FakeClassifier(), MAX_ATTEMPTS);
  let warnings: string[];

  beforeEach(() => {
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(JSON.stringify(args));
    });
  });
  afterEach(() => jest.restoreAllMocks());

  describe('end: which row of the table', () => {
    it.each<[string, unknown, StopReason | null, number, string]>([
      ['a stop wins over the error it caused', transient, 'cancelled', 1, 'cancelled'],
      ['superseded', new ConcurrentUpdateError('x'), 'superseded', 1, 'superseded'],
      ['shutdown', permanent, 'shutdown', 3, 'shutdown'],
      ['a view or filter no longer valid', invalid, null, 1, 'invalid-query'],
      ['a failure that cannot succeed', permanent, null, 1, 'permanent'],
      ['a transient failure with attempts left', transient, null, 2, 'transient'],
      ['a transient failure in the last attempt', transient, null, 3, 'exhausted'],
      [
        'an attempt past EXPORT_ATTEMPT_TIMEOUT_S, not retried',
        new AttemptTimedOutError(60_000),
        null,
        1,
        'timed-out',
      ],
    ])('%s', (_, error, stopped, attempts, end) => {
      expect(settlement.end(error, stopped, attempts)).toBe(end);
    });
  });

  it('leaves a cancelled or superseded job as the other party left it', async () => {
    for (const [stopped, outcome] of [
      ['cancelled', 'cancelled'],
      ['superseded', 'skipped'],
    ] as const) {
      const { writer, repo } = await writerFor(1);
      const writes = repo.writes.length;
      expect(await settlement.settle(writer, new Error('aborted'), stopped)).toBe(outcome);
      expect(repo.writes.length).toBe(writes);
    }
    expect(warnings).toEqual([]);
  });

  it('releases the job on shutdown, for another worker, without spending the attempt', async () => {
    const { writer, repo } = await writerFor(2);
    expect(await settlement.settle(writer, new Error('aborted'), 'shutdown')).toBe('released');
    expect(repo.stored(writer.job.id)).toMatchObject({
      status: 'queued',
      stage: 'queued',
      error: null,
      attempts: 1,
    });
    expect(repo.audit).toEqual([]);
  });

  it('releases the job and throws for the queue to retry a transient failure with attempts left', async () => {
    const { writer, repo } = await writerFor(2);
    const thrown = await settlement.settle(writer, transient, null).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(RetryableExportError);
    expect(thrown).toMatchObject({ causeName: 'Error' });
    expect(repo.stored(writer.job.id)).toMatchObject({ status: 'queued', attempts: 2 });
    expect(warnings).toHaveLength(1);
  });

  it.each([
    [
      'invalid query',
      invalid,
      1,
      'EXPORT_JOB.INVALID_QUERY',
      'The view or filters of this export are no longer valid: columns: unknown column "foo"',
      'VALIDATION_FAILED',
    ],
    [
      'permanent',
      permanent,
      1,
      'EXPORT_JOB.FAILED',
      'The export failed and cannot succeed as requested. Please contact support.',
      'Error',
    ],
    [
      'exhausted',
      transient,
      3,
      'EXPORT_JOB.FAILED',
      'The export failed after 3 attempts. Please try again later.',
      'Error',
    ],
    [
      'timed out',
      new AttemptTimedOutError(1_800_000),
      1,
      'EXPORT_JOB.TIMED_OUT',
      'The export took longer than the 1800 s allowed and was stopped. Narrow the filters or try again later.',
      'AttemptTimedOutError',
    ],
  ])(
    'fails the job (%s) with a safe message and an audit row',
    async (_, error, attempts, code, message, cause) => {
      const { writer, repo } = await writerFor(attempts);
      expect(await settlement.settle(writer, error, null)).toBe('failed');
      expect(repo.stored(writer.job.id)).toMatchObject({ status: 'failed', error: { code, message } });
      expect(repo.audit).toEqual([
        {
          tenantId: writer.job.tenantId,
          actorId: null,
          action: 'export.failed',
          jobId: writer.job.id,
          details: { code, attempts, cause },
        },
      ]);
      expect(message).not.toMatch(/permission denied|reset/);
    },
  );
});
