import { AsyncLocalStorage } from 'node:async_hooks';

/** The fields every log line of one export attempt carries. */
export interface AttemptLogFields {
  readonly jobId: string;
  readonly tenantId: string;
  /** The delivery's number: 1, then + 1 for each failed or stalled delivery before it (a release spends none). */
  readonly attempt: number;
}

const attempts = new AsyncLocalStorage<AttemptLogFields>();

/** Runs `work` (one export attempt) so that every line it logs, however deep, carries the attempt's fields. */
export function withAttemptLogContext<T>(fields: AttemptLogFields, work: () => Promise<T>): Promise<T> {
  return attempts.run(fields, work);
}

/** pino's mixin: the fields of the attempt the current code runs for, or nothing outside one. */
export function attemptLogFields(): Partial<AttemptLogFields> {
  return attempts.getStore() ?? {};
}
