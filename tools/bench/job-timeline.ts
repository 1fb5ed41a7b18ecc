import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pool } from 'pg';

/** How often the watcher reads the job's row (and, on the local driver, its directory). */
export const WATCH_INTERVAL_MS = 20;

/** One read of the job's row, timed by the bench's clock (epoch ms); the *At columns are the database's. */
export interface JobSample {
  readonly at: number;
  readonly status: string;
  readonly stage: string | null;
  readonly rowsExported: number;
  readonly totalRows: number | null;
  readonly requestedAt: number;
  readonly startedAt: number | null;
  readonly completedAt: number | null;
  /** Bytes in the job's local directory (local driver only; null elsewhere). */
  readonly localBytes: number | null;
}

/** Milliseconds from requested_at to each step of one job; null when never seen. */
export interface JobPhases {
  /** started_at: the worker picked the job up (the database's clock). */
  readonly startedMs: number | null;
  /** The first read with total_rows set: the count is known and streaming begins. */
  readonly countMs: number | null;
  /** The first read with bytes in the job's local directory, else with rows_exported > 0 (see firstByteSource). */
  readonly firstByteMs: number | null;
  readonly firstByteSource: 'file' | 'progress' | null;
  /** The first read at stage `uploading`: the pipeline has written its last byte. */
  readonly lastByteMs: number | null;
  /** completed_at: set by the worker after the storage confirmed the upload, before its final save. */
  readonly uploadDoneMs: number | null;
  /** The first read with status `completed`: the final save is committed and visible. */
  readonly completedMs: number | null;
}

/**
 * The phases of one job from the watcher's samples. The row's own timestamps (requested_at, started_at,
 * completed_at) are exact; the rest is when the watcher first saw a change, so late by up to WATCH_INTERVAL_MS
 * plus one query; a first byte read from progress is late by up to the worker's progress interval as well.
 */
export function phasesOf(samples: readonly JobSample[]): JobPhases {
  const last = samples.at(-1);
  if (!last) {
    return {
      startedMs: null,
      countMs: null,
      firstByteMs: null,
      firstByteSource: null,
      lastByteMs: null,
      uploadDoneMs: null,
      completedMs: null,
    };
  }
  const since = (at: number | null | undefined): number | null => (at == null ? null : at - last.requestedAt);
  const firstSeen = (test: (s: JobSample) => boolean): number | null => since(samples.find(test)?.at);
  const byFile = firstSeen((s) => (s.localBytes ?? 0) > 0);
  const byProgress = firstSeen((s) => s.rowsExported > 0 || s.status === 'completed');
  const afterStreaming = (s: JobSample): boolean => s.stage === 'uploading' || s.status === 'completed';
  return {
    startedMs: since(last.startedAt),
    countMs: firstSeen((s) => s.totalRows !== null),
    firstByteMs: byFile ?? byProgress,
    firstByteSource: byFile !== null ? 'file' : byProgress !== null ? 'progress' : null,
    lastByteMs: firstSeen(afterStreaming),
    uploadDoneMs: since(last.completedAt),
    completedMs: firstSeen((s) => s.status === 'completed'),
  };
}

interface JobRow {
  status: string;
  stage: string | null;
  rows_exported: string;
  total_rows: string | null;
  requested_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

/**
 * Reads one job's row every WATCH_INTERVAL_MS until it ends (or `stop()`), on its own pooled connection. With
 * `localDir` it also sums the sizes of the files under the job's directory of the local driver.
 */
export class JobWatcher {
  private readonly samples: JobSample[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly pool: Pool,
    private readonly tenantId: string,
    private readonly jobId: string,
    private readonly localDir: string | null,
  ) {
    this.done = this.loop();
  }

  /** Resolves with the samples once the job has ended (or the watcher was stopped). */
  async finished(): Promise<readonly JobSample[]> {
    await this.done;
    return this.samples;
  }

  stop(): void {
    this.stopped = true;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      const sample = await this.read();
      this.samples.push(sample);
      if (!['queued', 'running'].includes(sample.status)) return;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, WATCH_INTERVAL_MS - (Date.now() - started))),
      );
    }
  }

  private async read(): Promise<JobSample> {
    const [{ rows }, localBytes] = await Promise.all([
      this.pool.query<JobRow>(
        `SELECT status, stage, rows_exported, total_rows, requested_at, started_at, completed_at
           FROM export_jobs WHERE id = $1`,
        [this.jobId],
      ),
      this.localDir ? bytesUnder(join(this.localDir, 'exports', this.tenantId, this.jobId)) : null,
    ]);
    const row = rows[0];
    if (!row) throw new Error(`export job ${this.jobId} is not in export_jobs`);
    return {
      at: Date.now(),
      status: row.status,
      stage: row.stage,
      rowsExported: Number(row.rows_exported),
      totalRows: row.total_rows === null ? null : Number(row.total_rows),
      requestedAt: row.requested_at.getTime(),
      startedAt: row.started_at?.getTime() ?? null,
      completedAt: row.completed_at?.getTime() ?? null,
      localBytes,
    };
  }
}

/** The total size of the files under `dir` (0 while it does not exist; files may vanish while it reads). */
async function bytesUnder(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch {
    return 0;
  }
  const sizes = await Promise.all(
    names.map((name) =>
      stat(join(dir, name)).then(
        (s) => (s.isFile() ? s.size : 0),
        () => 0,
      ),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}
