import type { ChildProcess } from 'node:child_process';
import type { Pool } from 'pg';
import { ExportServiceClient } from '../shared/http-client';
import { flushQueue, log, startProcess, startWorker, stopChild, tokenOf, viewOf } from './environment';
import type { ConcurrencyFigure } from './figures';
import { sleep } from './stats';

export const CONCURRENT_JOBS = 4;
/** Each worker process runs this many jobs at once (EXPORT_WORKER_CONCURRENCY), on one process and on two. */
export const WORKER_CONCURRENCY = 2;

interface JobRow {
  id: string;
  status: string;
  attempts: number;
  started_at: Date | null;
  total_rows: string | null;
  completed: string;
  retried: string;
  failed: string;
}

/**
 * Phase 4: CONCURRENT_JOBS exports of a quarter of acme's tickets each (about 250k rows at 1M; four disjoint id
 * ranges of "All tickets", so four distinct jobs of one admin), requested at once, first on one worker process,
 * then on two. Total rows/s from the first POST to the last job seen `completed`, and whether each job ran
 * exactly once: attempts = 1, started, completed, one `export.completed` and no `export.retried` or
 * `export.failed` in the audit log.
 */
export async function runConcurrency(
  pool: Pool,
  env: NodeJS.ProcessEnv,
  children: ChildProcess[],
): Promise<ConcurrencyFigure[]> {
  const view = await viewOf(pool, 'acme');
  const ranges = await quarters(pool, view.tenantId);
  const workerEnv = { ...env, EXPORT_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY) };
  await flushQueue(String(env.REDIS_URL));
  const api = await startProcess('api', workerEnv, null, children);
  const client = new ExportServiceClient(`http://127.0.0.1:${api.port}`, tokenOf(env, view));
  const figures: ConcurrencyFigure[] = [];
  try {
    for (const workers of [1, 2]) {
      const started = await Promise.all(
        Array.from({ length: workers }, () => startWorker(workerEnv, children)),
      );
      const postedAt = Date.now();
      const ids = await Promise.all(
        ranges.map(
          async ([from, to]) =>
            (
              await client.createExportJob({
                viewId: view.viewId,
                filters: {
                  and: [
                    { field: 'id', operator: 'gte', value: from },
                    { field: 'id', operator: 'lt', value: to },
                  ],
                  or: [],
                },
              })
            ).id,
        ),
      );
      const endedAt = await waitForAll(pool, ids);
      for (const { child } of started) await stopChild(child);
      const figure = await judge(pool, ids, workers, (endedAt - postedAt) / 1000);
      figures.push(figure);
      log(
        `concurrency ${workers} worker(s): ${figure.rows} rows in ${figure.seconds.toFixed(2)} s, ${Math.round(figure.rowsPerSecond)} rows/s, ${figure.detail}`,
      );
    }
  } finally {
    await stopChild(api.child);
  }
  return figures;
}

/** Four [from, to) id ranges holding a quarter of the tenant's tickets each. */
async function quarters(pool: Pool, tenantId: string): Promise<[number, number][]> {
  const { rows } = await pool.query<{ id: string }>(
    `WITH t AS (SELECT id, ntile($2) OVER (ORDER BY id) AS q FROM tickets WHERE tenant_id = $1)
     SELECT min(id) AS id FROM t GROUP BY q UNION ALL SELECT max(id) + 1 FROM t ORDER BY id`,
    [tenantId, CONCURRENT_JOBS],
  );
  const bounds = rows.map((r) => Number(r.id));
  return bounds.slice(0, -1).map((from, i) => [from, bounds[i + 1]]);
}

/** Reads the jobs' rows every 50 ms until none is queued or running; when the bench saw that. */
async function waitForAll(pool: Pool, ids: readonly string[]): Promise<number> {
  for (;;) {
    const { rows } = await pool.query<{ active: string }>(
      `SELECT count(*) AS active FROM export_jobs WHERE id = ANY($1::uuid[]) AND status IN ('queued', 'running')`,
      [ids],
    );
    if (Number(rows[0].active) === 0) return Date.now();
    await sleep(50);
  }
}

async function judge(
  pool: Pool,
  ids: readonly string[],
  workers: number,
  seconds: number,
): Promise<ConcurrencyFigure> {
  const { rows } = await pool.query<JobRow>(
    `SELECT j.id, j.status, j.attempts, j.started_at, j.total_rows,
            count(*) FILTER (WHERE a.action = 'export.completed') AS completed,
            count(*) FILTER (WHERE a.action = 'export.retried') AS retried,
            count(*) FILTER (WHERE a.action = 'export.failed') AS failed
       FROM export_jobs j LEFT JOIN audit_events a ON a.job_id = j.id
      WHERE j.id = ANY($1::uuid[]) GROUP BY j.id`,
    [ids],
  );
  const wrong = rows.filter(
    (r) =>
      r.status !== 'completed' ||
      r.attempts !== 1 ||
      r.started_at === null ||
      Number(r.completed) !== 1 ||
      Number(r.retried) + Number(r.failed) !== 0,
  );
  const rowCount = rows.reduce((sum, r) => sum + Number(r.total_rows ?? 0), 0);
  const detail =
    wrong.length === 0 && rows.length === ids.length
      ? `${ids.length} jobs: attempts 1, 1 export.completed each`
      : wrong
          .map(
            (r) =>
              `${r.id}: ${r.status}, attempts ${r.attempts}, ${r.completed} completed, ${r.retried} retried`,
          )
          .join('; ') || `${rows.length} of ${ids.length} jobs found`;
  return {
    workers,
    workerConcurrency: WORKER_CONCURRENCY,
    jobs: ids.length,
    rows: rowCount,
    seconds,
    rowsPerSecond: rowCount / seconds,
    eachJobOnce: wrong.length === 0 && rows.length === ids.length,
    detail,
  };
}
