import { randomUUID } from 'node:crypto';
import type { StaleQueuedJob } from '@app/application';
import { DEFAULT_TICKET_QUERY, ExportJob } from '@app/domain';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { testDataSource, testPool } from '../../../../../test/support/database';
import { createTestTenant, type TestTenant } from '../../../../../test/support/factories';
import { TypeormExportJobRepository } from './typeorm-export-job.repository';
import { TypeormExportReconcileStore } from './typeorm-export-reconcile.store';

/**
 * The listing spans all tenants and other spec files share this database. These jobs are requested in 1990, so
 * they come first; they are touched now or later, so the reconcilers of the workers other spec files run (10 s
 * grace) leave them alone while this runs, and afterAll cancels them.
 */
const REQUESTED = new Date('1990-01-01T00:00:00.000Z');
const LATER = (): Date => new Date(Date.now() + 60_000);

describe('TypeormExportReconcileStore (PostgreSQL)', () => {
  let pool: Pool;
  let dataSource: DataSource;
  let tenant: TestTenant;
  let store: TypeormExportReconcileStore;

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    tenant = await createTestTenant(pool);
    store = new TypeormExportReconcileStore(dataSource);
  });
  afterAll(async () => {
    await pool.query(
      `UPDATE export_jobs SET status = 'cancelled', version = version + 1, updated_at = now()
        WHERE tenant_id = $1 AND status IN ('queued', 'running')`,
      [tenant.id],
    );
    await dataSource.destroy();
    await pool.end();
  });

  /** A job saved as the API saves it, then requested at `requestedAt` (a timestamp literal, to the microsecond). */
  async function aJob(
    requestedAt: string,
    spec: { running?: boolean; updatedAt?: Date } = {},
  ): Promise<string> {
    const repository = new TypeormExportJobRepository(dataSource);
    const job = ExportJob.request({
      id: randomUUID(),
      tenantId: tenant.id,
      requestedBy: { id: tenant.userId('admin'), email: tenant.email('admin') },
      source: 'tickets',
      format: 'csv',
      query: { ...DEFAULT_TICKET_QUERY, viewId: null, viewName: null, timezone: 'UTC', fileName: null },
      now: REQUESTED,
    });
    await repository.save(job);
    if (spec.running) {
      job.start(REQUESTED);
      await repository.save(job);
    }
    await pool.query(
      'UPDATE export_jobs SET requested_at = $2::timestamptz, updated_at = coalesce($3, now()) WHERE id = $1',
      [job.id, requestedAt, spec.updatedAt ?? null],
    );
    return job.id;
  }

  async function pages(untouchedSince: Date, limit: number): Promise<StaleQueuedJob[][]> {
    const all: StaleQueuedJob[][] = [];
    let after: StaleQueuedJob | null = null;
    for (;;) {
      const page = await store.staleQueuedJobs(untouchedSince, after, limit);
      const mine = page.filter((j) => j.tenantId === tenant.id);
      if (mine.length === 0) return all;
      all.push(mine);
      after = page[page.length - 1];
    }
  }

  it('pages queued jobs untouched since the instant, oldest request first, each once; leaves the others', async () => {
    const a = await aJob('1990-01-01 00:00:00.000100+00');
    const b = await aJob('1990-01-01 00:00:00.000900+00'); // same millisecond as a
    const c = await aJob('1990-01-01 00:00:00.002+00');
    const d = await aJob('1990-01-01 00:00:00.001+00');
    await aJob('1990-01-01 00:00:00.001+00', { updatedAt: new Date(Date.now() + 120_000) });
    await aJob('1990-01-01 00:00:00.001+00', { running: true });
    const sameMs = [a, b].sort();

    const byTwo = await pages(LATER(), 2);

    expect(byTwo.map((page) => page.map((j) => j.jobId))).toEqual([sameMs, [d, c]]);
    expect(byTwo[0][0]).toEqual({
      tenantId: tenant.id,
      jobId: sameMs[0],
      requestedAt: new Date('1990-01-01T00:00:00.000Z'),
    });
    expect((await pages(LATER(), 1)).flat().map((j) => j.jobId)).toEqual([...sameMs, d, c]);
    expect(await pages(new Date(Date.now() - 60_000), 10)).toEqual([]);
  });
});
