import type { Pool } from 'pg';
import { type ExportEstimateResource, ExportServiceClient } from '../shared/http-client';
import { type BenchView, tokenOf, VIEW } from './environment';
import { percentile } from './stats';

/** POST /export-jobs/estimate of a view, timed over HTTP (the API's own latency plus the loopback). */
export interface EstimateMeasurement {
  readonly tenant: string;
  readonly view: string;
  readonly estimate: ExportEstimateResource;
  readonly latenciesMs: readonly number[];
  /** The size of the CSV file the service then wrote for the same view (the "All tickets" views only). */
  csvBytes: number | null;
}

const ESTIMATE_VIEWS = [VIEW, 'Open tickets', 'Billing and refunds'];
export const ESTIMATE_CALLS = 9;

/**
 * POST /export-jobs/estimate for a few views of the tenant, each ESTIMATE_CALLS times after one warm-up call (the
 * first request of a process pays for its connections): the latency a user sees before the export starts.
 */
export async function measureEstimates(
  pool: Pool,
  env: NodeJS.ProcessEnv,
  view: BenchView,
  port: number,
): Promise<EstimateMeasurement[]> {
  const client = new ExportServiceClient(`http://127.0.0.1:${port}`, tokenOf(env, view));
  const { rows: named } = await pool.query<{ id: string; name: string }>(
    'SELECT id, name FROM ticket_views WHERE tenant_id = $1 AND name = ANY($2::text[])',
    [view.tenantId, ESTIMATE_VIEWS],
  );
  const measured: EstimateMeasurement[] = [];
  for (const { id, name } of named) {
    let estimate = await client.estimateExport({ viewId: id, format: 'csv' });
    const latenciesMs: number[] = [];
    for (let i = 0; i < ESTIMATE_CALLS; i++) {
      const started = process.hrtime.bigint();
      estimate = await client.estimateExport({ viewId: id, format: 'csv' });
      latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    measured.push({ tenant: view.tenant, view: name, estimate, latenciesMs, csvBytes: null });
  }
  return measured;
}

export function estimatesTable(estimates: readonly EstimateMeasurement[]): string {
  const lines = [
    `| view (tenant) | rows (estimate) | exact | median ms | max ms (${ESTIMATE_CALLS} calls) | csv bytes estimated | csv file bytes |`,
    '| --- | ------: | --- | ------: | ------: | ------: | ------: |',
    ...estimates.map((e) => {
      const estimated = e.estimate.bytes.csv ?? 0;
      const actual =
        e.csvBytes === null
          ? '—'
          : `${e.csvBytes.toLocaleString('en-US')} (${((estimated / e.csvBytes - 1) * 100).toFixed(1)}%)`;
      return `| ${e.view} (${e.tenant}) | ${e.estimate.rows.toLocaleString('en-US')} | ${e.estimate.rowsExact ? 'yes' : 'no'} | ${percentile(e.latenciesMs, 50).toFixed(0)} | ${percentile(e.latenciesMs, 100).toFixed(0)} | ${estimated.toLocaleString('en-US')} | ${actual} |`;
    }),
  ];
  return lines.join('\n');
}
