/** The engine's knobs, from configuration. */
export abstract class ExportEngineSettings {
  abstract readonly retentionHours: number;
  abstract readonly maxAttempts: number;
  /** How often a running export writes its progress (and so notices a cancel). */
  abstract readonly progressIntervalMs: number;
}
