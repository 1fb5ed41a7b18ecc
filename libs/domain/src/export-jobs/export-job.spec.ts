import { DomainError } from '../errors/domain-error';
import {
  anActor,
  anExportedFile,
  anExportJob,
  anExportJobFailure,
  anExportJobQuery,
  errorThrownBy,
  REQUESTED_AT,
  STARTED_AT,
} from '../testing/export-job.factory';
import { ExportJob } from './export-job';
import { EXPORT_JOB_STATUSES, type ExportJobStatusValue } from './export-job-status';

const HOUR_MS = 3_600_000;
const at = (iso: string): Date => new Date(iso);

/** A queued job driven by the aggregate's own methods into `running`. */
function aRunningJob(): ExportJob {
  const job = anExportJob();
  job.start(STARTED_AT);
  return job;
}

function completeNow(job: ExportJob, now: Date, retentionHours = 72, rowCount = 1000): void {
  job.complete({ file: anExportedFile({ rowCount }), snapshotAt: STARTED_AT, now, retentionHours });
}

describe('ExportJob', () => {
  describe('request', () => {
    it('makes a queued job with no progress, no attempt and nothing finished yet', () => {
      const requester = anActor({ email: 'agent@acme.test' });
      const query = anExportJobQuery({
        viewId: 'view-1',
        viewName: 'Open tickets',
        timezone: 'Europe/Paris',
      });
      const job = ExportJob.request({
        id: 'job-1',
        tenantId: requester.tenantId,
        requestedBy: { id: requester.userId, email: requester.email },
        source: 'tickets',
        format: 'ndjson',
        query,
        now: REQUESTED_AT,
        idempotencyKey: 'key-1',
        requestHash: 'hash-1',
      });

      expect(job.toSnapshot()).toEqual({
        id: 'job-1',
        tenantId: requester.tenantId,
        requestedById: requester.userId,
        requestedByEmail: 'agent@acme.test',
        source: 'tickets',
        format: 'ndjson',
        query,
        status: 'queued',
        stage: 'queued',
        progress: { percent: 0, rowsExported: 0, totalRows: null },
        requestedAt: REQUESTED_AT,
        snapshotAt: null,
        startedAt: null,
        completedAt: null,
        expiresAt: null,
        attempts: 0,
        retryOf: null,
        file: null,
        error: null,
        idempotencyKey: 'key-1',
        requestHash: 'hash-1',
        notify: [],
      });
      expect(job.status.value).toBe('queued');
      expect(job.id).toBe('job-1');
      expect(job.tenantId).toBe(requester.tenantId);
      expect(job.requestedById).toBe(requester.userId);
    });
  });

  describe('restore', () => {
    it('gives back a job with exactly the stored props', () => {
      const stored = anExportJob({ status: 'completed' }).toSnapshot();
      expect(ExportJob.restore(stored).toSnapshot()).toEqual(stored);
      expect(ExportJob.restore(stored).status.value).toBe('completed');
    });
  });

  describe('named state changes from every status', () => {
    type Change =
      'start' | 'release' | 'complete' | 'fail' | 'cancel' | 'expire' | 'enterStage' | 'reportProgress';
    const later = at('2026-03-02T09:30:00Z');
    const perform: Readonly<Record<Change, (job: ExportJob) => void>> = {
      start: (job) => job.start(later),
      release: (job) => job.release(),
      complete: (job) => completeNow(job, later),
      fail: (job) => job.fail(anExportJobFailure()),
      cancel: (job) => job.cancel(),
      expire: (job) => job.expire(),
      enterStage: (job) => job.enterStage('uploading'),
      reportProgress: (job) => job.reportProgress(500, 1000),
    };
    const __ = null;
    // The status after the change, or __ when the change is refused.
    // prettier-ignore
    const EXPECTED: Readonly<Record<Change, readonly (ExportJobStatusValue | null)[]>> = {
      //                queued       running      completed  failed  cancelled  expired
      start:          ['running',   'running',   __,        __,     __,        __],
      release:        [__,          'queued',    __,        __,     __,        __],
      complete:       [__,          'completed', __,        __,     __,        __],
      fail:           ['failed',    'failed',    __,        __,     __,        __],
      cancel:         ['cancelled', 'cancelled', __,        __,     __,        __],
      expire:         [__,          __,          'expired', __,     __,        __],
      enterStage:     [__,          'running',   __,        __,     __,        __],
      reportProgress: [__,          'running',   __,        __,     __,        __],
    };
    const cases = (Object.keys(EXPECTED) as Change[]).flatMap((change) =>
      EXPORT_JOB_STATUSES.map((from, i) => ({ change, from, to: EXPECTED[change][i] })),
    );

    it('has a cell for each of the 8 changes from each of the 6 statuses', () => {
      expect(cases).toHaveLength(48);
      expect(EXPORT_JOB_STATUSES).toEqual([
        'queued',
        'running',
        'completed',
        'failed',
        'cancelled',
        'expired',
      ]);
    });

    it.each(cases.filter((c) => c.to !== null))('$change() from $from -> $to', ({ change, from, to }) => {
      const job = anExportJob({ status: from });
      perform[change](job);
      expect(job.status.value).toBe(to);
      expect(job.toSnapshot().status).toBe(to);
    });

    it.each(cases.filter((c) => c.to === null))(
      '$change() from $from is refused with EXPORT_JOB.INVALID_TRANSITION and changes nothing',
      ({ change, from }) => {
        const job = anExportJob({ status: from });
        const before = job.toSnapshot();
        const error = errorThrownBy(() => perform[change](job));
        expect(error).toBeInstanceOf(DomainError);
        expect(error).toMatchObject({ code: 'EXPORT_JOB.INVALID_TRANSITION' });
        expect(job.toSnapshot()).toEqual(before);
      },
    );
  });

  describe('stage', () => {
    it('follows the attempt: counting on start, the entered stage, queued on release, none once finished', () => {
      const job = anExportJob();
      expect(job.toSnapshot().stage).toBe('queued');
      job.start(STARTED_AT);
      expect(job.toSnapshot().stage).toBe('counting');
      job.enterStage('exporting');
      expect(job.toSnapshot().stage).toBe('exporting');
      job.enterStage('finalizing');
      expect(job.toSnapshot().stage).toBe('finalizing');
      job.release();
      expect(job.toSnapshot().stage).toBe('queued');
      job.start(STARTED_AT);
      completeNow(job, at('2026-03-02T10:00:00Z'));
      expect(job.toSnapshot().stage).toBeNull();
    });

    it.each([
      ['fail', (job: ExportJob) => job.fail(anExportJobFailure())],
      ['cancel', (job: ExportJob) => job.cancel()],
    ] as const)('is cleared by %s()', (_name, change) => {
      const job = aRunningJob();
      change(job);
      expect(job.toSnapshot().stage).toBeNull();
    });
  });

  describe('attempts', () => {
    it('count every start: the first, one after a release, and one taking over a lost attempt', () => {
      const job = anExportJob();
      expect(job.toSnapshot().attempts).toBe(0);
      job.start(at('2026-03-02T09:00:05Z'));
      expect(job.toSnapshot().attempts).toBe(1);
      job.release();
      expect(job.toSnapshot().attempts).toBe(1);
      job.start(at('2026-03-02T09:05:00Z'));
      expect(job.toSnapshot().attempts).toBe(2);
      job.start(at('2026-03-02T09:10:00Z'));
      expect(job.toSnapshot().attempts).toBe(3);
    });

    it('are not spent by a shutdown: the released attempt is handed back unspent', () => {
      const job = anExportJob();
      job.start(at('2026-03-02T09:00:05Z'));
      job.release('retry');
      job.start(at('2026-03-02T09:05:00Z'));
      expect(job.toSnapshot().attempts).toBe(2);
      job.release('shutdown');
      expect(job.toSnapshot()).toMatchObject({ status: 'queued', stage: 'queued', attempts: 1 });
      job.start(at('2026-03-02T09:10:00Z'));
      expect(job.toSnapshot().attempts).toBe(2);
    });

    it('keep startedAt at the first start', () => {
      const job = anExportJob();
      job.start(at('2026-03-02T09:00:05Z'));
      job.release();
      job.start(at('2026-03-02T09:05:00Z'));
      expect(job.toSnapshot().startedAt).toEqual(at('2026-03-02T09:00:05Z'));
    });

    it('a new attempt clears the error of the previous one', () => {
      const job = anExportJob({ status: 'running', error: anExportJobFailure() });
      job.start(at('2026-03-02T09:05:00Z'));
      expect(job.toSnapshot().error).toBeNull();
    });
  });

  describe('progress', () => {
    it.each([
      [0, 1000, 0],
      [1, 1000, 0],
      [10, 1000, 1],
      [333, 1000, 33],
      [1, 3, 33],
      [2, 3, 66],
      [990, 1000, 99],
      [999, 1000, 99],
      [1000, 1000, 99],
      [5000, 1000, 99],
      [7, null, 0],
      [7, 0, 0],
    ])('%i of %s rows on a fresh attempt is %i%%', (rows, total, percent) => {
      const job = aRunningJob();
      job.reportProgress(rows, total);
      expect(job.toSnapshot().progress).toEqual({ percent, rowsExported: rows, totalRows: total });
    });

    it('never goes down and stays at or below 99 whatever is reported while running', () => {
      const job = aRunningJob();
      const reports: readonly [number, number | null][] = [
        [100, 1000],
        [50, 1000],
        [600, 1000],
        [600, null],
        [10, 20],
        [0, 1000],
        [1000, 1000],
        [2000, 1000],
        [1, 1_000_000],
      ];
      const seen: number[] = [];
      for (const [rows, total] of reports) {
        job.reportProgress(rows, total);
        seen.push(job.toSnapshot().progress.percent);
      }
      expect(seen).toEqual([10, 10, 60, 60, 60, 60, 99, 99, 99]);
    });

    it('a new attempt starts counting rows from 0 but keeps the percent already shown', () => {
      const job = aRunningJob();
      job.reportProgress(700, 1000);
      job.start(at('2026-03-02T09:10:00Z'));
      expect(job.toSnapshot().progress).toEqual({ percent: 70, rowsExported: 0, totalRows: 1000 });
      job.reportProgress(300, 1000);
      expect(job.toSnapshot().progress).toEqual({ percent: 70, rowsExported: 300, totalRows: 1000 });
      job.reportProgress(800, 1000);
      expect(job.toSnapshot().progress.percent).toBe(80);
    });

    it('keeps the percent across a release and the next start', () => {
      const job = aRunningJob();
      job.reportProgress(450, 1000);
      job.release();
      job.start(at('2026-03-02T09:10:00Z'));
      expect(job.toSnapshot().progress.percent).toBe(45);
    });

    it('is 100, with the file row count, only after complete()', () => {
      const job = aRunningJob();
      job.reportProgress(1000, 1000);
      expect(job.toSnapshot().progress.percent).toBe(99);
      completeNow(job, at('2026-03-02T09:30:00Z'), 72, 1234);
      expect(job.toSnapshot().progress).toEqual({ percent: 100, rowsExported: 1234, totalRows: 1234 });
    });

    it('is 100 after complete() for an empty export', () => {
      const job = aRunningJob();
      job.reportProgress(0, 0);
      completeNow(job, at('2026-03-02T09:30:00Z'), 72, 0);
      expect(job.toSnapshot().progress).toEqual({ percent: 100, rowsExported: 0, totalRows: 0 });
    });

    it.each([
      ['fail', (job: ExportJob) => job.fail(anExportJobFailure())],
      ['cancel', (job: ExportJob) => job.cancel()],
    ] as const)('is kept as it was by %s()', (_name, change) => {
      const job = aRunningJob();
      job.reportProgress(420, 1000);
      change(job);
      expect(job.toSnapshot().progress).toEqual({ percent: 42, rowsExported: 420, totalRows: 1000 });
    });

    it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
      'refuses %s rows with EXPORT_JOB.INVALID_PROGRESS and keeps the progress',
      (rows) => {
        const job = aRunningJob();
        job.reportProgress(300, 1000);
        const error = errorThrownBy(() => job.reportProgress(rows, 1000));
        expect(error).toBeInstanceOf(DomainError);
        expect(error).toMatchObject({ code: 'EXPORT_JOB.INVALID_PROGRESS' });
        expect(job.toSnapshot().progress).toEqual({ percent: 30, rowsExported: 300, totalRows: 1000 });
      },
    );
  });

  describe('complete', () => {
    it('records the file, the snapshot time, completedAt and expiresAt = completedAt + retention', () => {
      const job = aRunningJob();
      const file = anExportedFile({ rowCount: 12 });
      const now = at('2026-03-02T09:30:00Z');
      job.complete({ file, snapshotAt: at('2026-03-02T09:00:06Z'), now, retentionHours: 72 });

      const snapshot = job.toSnapshot();
      expect(snapshot.file).toEqual(file);
      expect(snapshot.snapshotAt).toEqual(at('2026-03-02T09:00:06Z'));
      expect(snapshot.completedAt).toEqual(now);
      expect(snapshot.expiresAt).toEqual(at('2026-03-05T09:30:00Z'));
      expect(snapshot.error).toBeNull();
    });

    it.each([1, 24, 72, 720])('expiresAt is completedAt + %i hours', (hours) => {
      const job = aRunningJob();
      const now = at('2026-03-02T09:30:00Z');
      completeNow(job, now, hours);
      expect(job.toSnapshot().expiresAt?.getTime()).toBe(now.getTime() + hours * HOUR_MS);
    });
  });

  describe('isExpiredAt', () => {
    const completedAt = at('2026-03-02T09:30:00Z');
    const expiresAt = at('2026-03-05T09:30:00Z');
    const aCompletedJob = (): ExportJob => {
      const job = aRunningJob();
      completeNow(job, completedAt, 72);
      return job;
    };

    it.each([
      ['at completion', completedAt, false],
      ['1 ms before expiresAt', new Date(expiresAt.getTime() - 1), false],
      ['exactly at expiresAt', expiresAt, true],
      ['1 ms after expiresAt', new Date(expiresAt.getTime() + 1), true],
      ['a year later', at('2027-03-05T09:30:00Z'), true],
    ])('a job completed with 72 h retention, %s: %s', (_when, now, expired) => {
      expect(aCompletedJob().isExpiredAt(now)).toBe(expired);
    });

    it.each(['queued', 'running', 'failed', 'cancelled'] as const)(
      'a %s job (no expiresAt) is never expired',
      (status) => {
        const job = anExportJob({ status, expiresAt: null });
        expect(job.isExpiredAt(at('2100-01-01T00:00:00Z'))).toBe(false);
      },
    );

    it('an expired job is expired at once, even before its expiresAt', () => {
      const job = aCompletedJob();
      job.expire();
      expect(job.isExpiredAt(completedAt)).toBe(true);
    });
  });

  describe('fail', () => {
    it('records the safe error', () => {
      const job = aRunningJob();
      job.fail({ code: 'EXPORT_JOB.VIEW_GONE', message: 'The view no longer exists.' });
      expect(job.toSnapshot().error).toEqual({
        code: 'EXPORT_JOB.VIEW_GONE',
        message: 'The view no longer exists.',
      });
      expect(job.toSnapshot().file).toBeNull();
    });
  });

  describe('retry', () => {
    const retrier = anActor({ email: 'admin@acme.test', isAdmin: true });
    const retriedAt = at('2026-03-03T08:00:00Z');

    it.each(['failed', 'cancelled'] as const)(
      'from %s makes a new queued job pointing at the original, which stays as it was',
      (status) => {
        const query = anExportJobQuery({ viewId: 'view-7', viewName: 'Urgent', fileName: 'urgent' });
        const original = anExportJob({
          status,
          query,
          format: 'json',
          idempotencyKey: 'k',
          requestHash: 'h',
        });
        const before = original.toSnapshot();

        const retried = original.retry({
          id: 'job-2',
          now: retriedAt,
          requestedBy: { id: retrier.userId, email: retrier.email },
        });

        expect(retried.toSnapshot()).toEqual({
          ...ExportJob.request({
            id: 'job-2',
            tenantId: before.tenantId,
            requestedBy: { id: retrier.userId, email: retrier.email },
            source: before.source,
            format: 'json',
            query,
            now: retriedAt,
          }).toSnapshot(),
          retryOf: before.id,
        });
        expect(retried.toSnapshot()).toMatchObject({
          status: 'queued',
          attempts: 0,
          retryOf: before.id,
          tenantId: before.tenantId,
          requestedById: retrier.userId,
          requestedAt: retriedAt,
          progress: { percent: 0, rowsExported: 0, totalRows: null },
          error: null,
          file: null,
          idempotencyKey: null,
        });
        expect(original.toSnapshot()).toEqual(before);
      },
    );

    it.each(['queued', 'running', 'completed', 'expired'] as const)(
      'from %s is refused with EXPORT_JOB.NOT_RETRYABLE',
      (status) => {
        const job = anExportJob({ status });
        const error = errorThrownBy(() =>
          job.retry({
            id: 'job-2',
            now: retriedAt,
            requestedBy: { id: retrier.userId, email: retrier.email },
          }),
        );
        expect(error).toBeInstanceOf(DomainError);
        expect(error).toMatchObject({ code: 'EXPORT_JOB.NOT_RETRYABLE' });
      },
    );
  });
});
