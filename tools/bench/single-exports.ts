import type { ChildProcess } from 'node:child_process';
import { loadConfig } from '@app/infrastructure';
import type { Pool } from 'pg';
import { ExportServiceClient } from '../shared/http-client';
import {
  type BenchView,
  flushQueue,
  log,
  peakRss,
  startProcess,
  startWorker,
  stopChild,
  tokenOf,
  VIEW,
  viewOf,
} from './environment';
import { type EstimateMeasurement, measureEstimates } from './estimates';
import type { BenchFormat, Driver, ExportFigure } from './figures';
import { JobWatcher, type JobPhases, phasesOf } from './job-timeline';
import { measureBaseline } from './baseline';

/** Formats measured on the local driver only: their cost is the encoding, which the storage does not change. */
const LOCAL_ONLY_FORMATS: readonly BenchFormat[] = ['xlsx'];
/** The small size first: globex's "All tickets" (about N/10 rows), then acme's (about N). */
export const TENANTS = ['globex', 'acme'] as const;

export interface DriverSetup {
  readonly driver: Driver;
  readonly env: NodeJS.ProcessEnv;
}

export type Baselines = Map<string, { rows: number; seconds: number }>;
const baselineKey = (driver: Driver, tenant: string): string => `${driver}/${tenant}`;

/** Phase 1: the COPY baseline of both sizes on every driver. */
export async function runBaselines(pool: Pool, setups: readonly DriverSetup[]): Promise<Baselines> {
  const baselines: Baselines = new Map();
  for (const { driver, env } of setups) {
    const config = loadConfig(env);
    for (const tenant of TENANTS) {
      const measured = await measureBaseline(pool, config, await viewOf(pool, tenant), driver);
      baselines.set(baselineKey(driver, tenant), measured);
      log(`baseline ${driver} ${tenant}: ${measured.rows} rows in ${measured.seconds.toFixed(2)} s`);
    }
  }
  return baselines;
}

/**
 * Phase 2: per driver, one real API; per size and format, a fresh worker process (its peak RSS is this export's
 * alone) and one job from POST /export-jobs to `completed`, its steps timed from the job's row (job-timeline.ts).
 * With `estimates`, the first driver's API also times POST /export-jobs/estimate first.
 */
export async function runSingleExports(
  pool: Pool,
  setups: readonly DriverSetup[],
  formats: readonly BenchFormat[],
  baselines: Baselines,
  options: { estimates: boolean; children: ChildProcess[] },
): Promise<{ exports: ExportFigure[]; estimates: EstimateMeasurement[] }> {
  const measured: ExportFigure[] = [];
  const estimates: EstimateMeasurement[] = [];
  for (const { driver, env } of setups) {
    await flushQueue(String(env.REDIS_URL));
    const api = await startProcess('api', env, null, options.children);
    for (const tenant of TENANTS) {
      const view = await viewOf(pool, tenant);
      if (options.estimates && driver === setups[0].driver)
        estimates.push(...(await measureEstimates(pool, env, view, api.port)));
      const baseline = baselines.get(baselineKey(driver, tenant));
      if (!baseline) throw new Error(`no baseline for ${driver} ${tenant}`);
      for (const format of formats) {
        if (driver !== 'local' && LOCAL_ONLY_FORMATS.includes(format)) continue;
        const worker = await startWorker(env, options.children);
        const localDir = driver === 'local' ? String(env.STORAGE_LOCAL_DIR) : null;
        const service = await measureService(pool, env, view, api.port, format, localDir);
        const peakRssMb = await peakRss(worker.child);
        await stopChild(worker.child);
        const estimated = estimates.find((e) => e.tenant === tenant && e.view === VIEW);
        if (format === 'csv' && estimated && estimated.csvBytes === null) estimated.csvBytes = service.bytes;
        measured.push({
          driver,
          format,
          tenant,
          rows: service.rows,
          baselineRowsPerSecond: baseline.rows / baseline.seconds,
          serviceRowsPerSecond: service.rows / service.seconds,
          peakRssMb,
          phases: service.phases,
        });
        log(
          `${driver} ${format} ${tenant}: ${service.rows} rows, baseline ${baseline.seconds.toFixed(2)} s, service ${service.seconds.toFixed(2)} s, peak RSS ${peakRssMb.toFixed(0)} MB`,
        );
      }
    }
    await stopChild(api.child);
  }
  return { exports: measured, estimates };
}

/**
 * POST /export-jobs as the tenant's admin, then the job's row read every 20 ms until it ends: the time a user
 * waits (to the first read that shows `completed`) and the steps in between. One GET at the end reads the file.
 */
async function measureService(
  pool: Pool,
  env: NodeJS.ProcessEnv,
  view: BenchView,
  port: number,
  format: BenchFormat,
  localDir: string | null,
): Promise<{ rows: number; seconds: number; bytes: number; phases: JobPhases }> {
  const client = new ExportServiceClient(`http://127.0.0.1:${port}`, tokenOf(env, view));
  const postedAt = Date.now();
  const { id } = await client.createExportJob({ viewId: view.viewId, format });
  const samples = await new JobWatcher(pool, view.tenantId, id, localDir).finished();
  const last = samples.at(-1);
  if (last?.status !== 'completed') throw new Error(`export ${id} ended ${last?.status ?? 'unseen'}`);
  const job = await client.waitForExportJob(id, { interval: 50 });
  return {
    rows: job.file.rowCount,
    seconds: (last.at - postedAt) / 1000,
    bytes: job.file.sizeBytes,
    phases: phasesOf(samples),
  };
}
