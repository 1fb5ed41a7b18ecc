import type { FormatRowCaps } from '@app/domain';

/** The engine's knobs, from configuration. */
export abstract class ExportEngineSettings {
  /** EXPORT_<FORMAT>_MAX_ROWS: an attempt whose count exceeds its format's cap fails at `counting`. */
  abstract readonly maxRowsByFormat: FormatRowCaps;
  abstract readonly retentionHours: number;
  abstract readonly maxAttempts: number;
  /**
   * How often a running export writes its progress (only when it changed; otherwise it reads the job back), and so
   * how soon it notices a cancel.
   */
  abstract readonly progressIntervalMs: number;
  /** EXPORT_ATTEMPT_TIMEOUT_S in ms: an attempt still running past it stops and fails with EXPORT_JOB.TIMED_OUT. */
  abstract readonly attemptTimeoutMs: number;
  /**
   * EXPORT_STALL_AFTER_S in ms: a running job whose exported row count has not changed for this long, from its
   * attempt's first row on, is taken from its attempt by the queue reconciler.
   */
  abstract readonly stallAfterMs: number;
}
