import { DomainError } from '../errors/domain-error';

export const EXPORT_JOB_STATUSES = [
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
  'expired',
] as const;
export type ExportJobStatusValue = (typeof EXPORT_JOB_STATUSES)[number];

export const EXPORT_JOB_STAGES = ['queued', 'counting', 'exporting', 'uploading', 'finalizing'] as const;
export type ExportJobStage = (typeof EXPORT_JOB_STAGES)[number];

/**
 * The one transition table. `running -> running` is a new attempt taking over after a lost one (a killed
 * worker); `running -> queued` releases the job for another attempt (graceful shutdown, transient failure).
 */
const TRANSITIONS: Readonly<Record<ExportJobStatusValue, readonly ExportJobStatusValue[]>> = {
  queued: ['running', 'cancelled', 'failed'],
  running: ['running', 'queued', 'completed', 'failed', 'cancelled'],
  completed: ['expired'],
  failed: [],
  cancelled: [],
  expired: [],
};

export class InvalidTransitionError extends DomainError {
  constructor(from: ExportJobStatusValue, to: ExportJobStatusValue) {
    super('EXPORT_JOB.INVALID_TRANSITION', `An export job cannot go from ${from} to ${to}.`, { from, to });
  }
}

export class ExportJobStatus {
  private constructor(readonly value: ExportJobStatusValue) {}

  static readonly queued = new ExportJobStatus('queued');
  static readonly running = new ExportJobStatus('running');
  static readonly completed = new ExportJobStatus('completed');
  static readonly failed = new ExportJobStatus('failed');
  static readonly cancelled = new ExportJobStatus('cancelled');
  static readonly expired = new ExportJobStatus('expired');

  static of(value: string): ExportJobStatus {
    if (!isExportJobStatus(value))
      throw new DomainError('EXPORT_JOB.UNKNOWN_STATUS', `Unknown export job status "${value}".`);
    return ExportJobStatus[value];
  }

  canBecome(next: ExportJobStatusValue): boolean {
    return TRANSITIONS[this.value].includes(next);
  }

  /** Returns the next status or throws the coded domain error. */
  transitionTo(next: ExportJobStatusValue): ExportJobStatus {
    if (!this.canBecome(next)) throw new InvalidTransitionError(this.value, next);
    return ExportJobStatus[next];
  }

  /** Queued or running: the worker still has something to do, the SPA keeps polling. */
  get isActive(): boolean {
    return this.value === 'queued' || this.value === 'running';
  }

  get isFinished(): boolean {
    return !this.isActive;
  }

  toString(): string {
    return this.value;
  }
}

export function isExportJobStatus(value: string): value is ExportJobStatusValue {
  return (EXPORT_JOB_STATUSES as readonly string[]).includes(value);
}
