import { DomainError } from '../errors/domain-error';
import { errorThrownBy } from '../testing/export-job.factory';
import {
  EXPORT_JOB_STATUSES,
  ExportJobStatus,
  type ExportJobStatusValue,
  isExportJobStatus,
} from './export-job-status';

/**
 * The expected transition table, written out from CONTRACT §5 and the style guide rather than read from the code:
 * a job is queued, runs (a new attempt may take over a lost one, or release it back to the queue), and ends
 * completed, failed or cancelled; only a completed job later expires. Finished jobs never move again (a retry is
 * a new job).
 */
const ALLOWED: Readonly<Record<ExportJobStatusValue, readonly ExportJobStatusValue[]>> = {
  queued: ['running', 'failed', 'cancelled'],
  running: ['queued', 'running', 'completed', 'failed', 'cancelled'],
  completed: ['expired'],
  failed: [],
  cancelled: [],
  expired: [],
};

const ALL_PAIRS = EXPORT_JOB_STATUSES.flatMap((from) =>
  EXPORT_JOB_STATUSES.map((to) => ({ from, to, allowed: ALLOWED[from].includes(to) })),
);

describe('ExportJobStatus', () => {
  it('knows exactly the six statuses of the contract', () => {
    expect([...EXPORT_JOB_STATUSES].sort()).toEqual(
      ['cancelled', 'completed', 'expired', 'failed', 'queued', 'running'].sort(),
    );
  });

  it('covers all 36 (from, to) pairs, 9 of them allowed', () => {
    expect(ALL_PAIRS).toHaveLength(36);
    expect(ALL_PAIRS.filter((p) => p.allowed)).toHaveLength(9);
  });

  describe.each(ALL_PAIRS.filter((p) => p.allowed))('allowed: $from -> $to', ({ from, to }) => {
    it('canBecome is true', () => {
      expect(ExportJobStatus.of(from).canBecome(to)).toBe(true);
    });

    it('transitionTo returns the new status', () => {
      const next = ExportJobStatus.of(from).transitionTo(to);
      expect(next.value).toBe(to);
      expect(next).toBe(ExportJobStatus.of(to));
    });
  });

  describe.each(ALL_PAIRS.filter((p) => !p.allowed))('refused: $from -> $to', ({ from, to }) => {
    it('canBecome is false', () => {
      expect(ExportJobStatus.of(from).canBecome(to)).toBe(false);
    });

    it('transitionTo throws EXPORT_JOB.INVALID_TRANSITION naming both statuses', () => {
      const error = errorThrownBy(() => ExportJobStatus.of(from).transitionTo(to));
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'EXPORT_JOB.INVALID_TRANSITION', details: { from, to } });
    });
  });

  describe('of', () => {
    it.each(EXPORT_JOB_STATUSES)('reads "%s"', (value) => {
      expect(ExportJobStatus.of(value).value).toBe(value);
      expect(ExportJobStatus.of(value).toString()).toBe(value);
    });

    it.each(['', 'QUEUED', 'done', 'toString', 'constructor'])(
      'refuses "%s" with EXPORT_JOB.UNKNOWN_STATUS',
      (value) => {
        const error = errorThrownBy(() => ExportJobStatus.of(value));
        expect(error).toBeInstanceOf(DomainError);
        expect(error).toMatchObject({ code: 'EXPORT_JOB.UNKNOWN_STATUS' });
        expect(isExportJobStatus(value)).toBe(false);
      },
    );
  });

  it.each([
    ['queued', true],
    ['running', true],
    ['completed', false],
    ['failed', false],
    ['cancelled', false],
    ['expired', false],
  ] as const)('%s is active: %s (the SPA keeps polling only while active)', (value, active) => {
    const status = ExportJobStatus.of(value);
    expect(status.isActive).toBe(active);
    expect(status.isFinished).toBe(!active);
  });
});
