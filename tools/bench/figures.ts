import type { JobPhases } from './job-timeline';

/** The figures of one run, what the tables, the targets and `--json` are made of. */
export type Driver = 'local' | 's3' | 'azure';
export type BenchFormat = 'csv' | 'xlsx';

export interface ExportFigure {
  readonly driver: Driver;
  readonly format: BenchFormat;
  readonly tenant: string;
  readonly rows: number;
  readonly baselineRowsPerSecond: number;
  readonly serviceRowsPerSecond: number;
  readonly peakRssMb: number;
  readonly phases: JobPhases;
}

/** One autocannon run on loopback while an export of the largest size ran. */
export interface PollingFigure {
  readonly name: 'status' | 'status-if-none-match' | 'health-live';
  readonly path: string;
  readonly seconds: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly notModified: number;
  /** Rows exported by the exports that ran during this run (some may have started before it). */
  readonly duringExportRows: number;
}

/** GET /export-jobs/:id by a caller whose role lost ImportExportTickets under load: how long it still got 200. */
export interface RevocationFigure {
  /**
   * From the revoking COMMIT to the send time of the first read from which on all were refused; null when the
   * last read of the probe was still answered 200.
   */
  readonly refusedAfterMs: number | null;
  readonly refusalStatus: number | null;
  /** The same from the restoring COMMIT to 200 again. */
  readonly restoredAfterMs: number | null;
  readonly probes: number;
}

export interface ConcurrencyFigure {
  readonly workers: number;
  readonly workerConcurrency: number;
  readonly jobs: number;
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** Every job completed with attempts = 1, one started_at, one export.completed and no retry in the audit log. */
  readonly eachJobOnce: boolean;
  readonly detail: string;
}

export interface MachineFigure {
  readonly cores: number;
  readonly cpuModel: string;
  readonly totalMemoryMb: number;
  readonly node: string;
  readonly loadAverage: readonly number[];
}

export interface BenchFigures {
  readonly date: string;
  readonly machine: MachineFigure;
  readonly tickets: number;
  readonly exports: readonly ExportFigure[];
  readonly polling: readonly PollingFigure[];
  readonly revocation: RevocationFigure | null;
  readonly concurrency: readonly ConcurrencyFigure[];
  readonly durationSeconds: number;
}

export const ratioOf = (e: Pick<ExportFigure, 'serviceRowsPerSecond' | 'baselineRowsPerSecond'>): number =>
  e.serviceRowsPerSecond / e.baselineRowsPerSecond;
