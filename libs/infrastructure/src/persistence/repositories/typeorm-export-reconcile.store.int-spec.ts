import { randomUUID } from 'node:crypto';
import type { RunningJobCandidate, StaleQueuedJob } from '@app/application';
import { ConcurrentUpdateError, DEFAULT_TICKET_QUERY, ExportJob } from '@app/domain';
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

  describe('running jobs and their progress clock', () => {
    const minutesAgo = (m: number): Date => new Date(Date.now() - m * 60_000);

    async function running(
      requestedAt: string,
    ): Promise<{ job: ExportJob; repository: TypeormExportJobRepository }> {
      const id = await aJob(requestedAt, { running: true });
      const repository = new TypeormExportJobRepository(dataSource);
      const job = await repository.findById(tenant.id, id);
      if (!job) throw new Error('gone');
      return { job, repository };
    }

    async function candidates(untouchedSince: Date, stalledSince: Date): Promise<RunningJobCandidate[]> {
      const all: RunningJobCandidate[] = [];
      let after: RunningJobCandidate | null = null;
      for (;;) {
        const page = await store.runningJobs(untouchedSince, stalledSince, after, 100);
        all.push(...page.filter((j) => j.tenantId === tenant.id));
        if (page.length < 100) return all;
        after = page[page.length - 1];
      }
    }

    it('saveProgress writes only the progress columns, the version and the progress clock; a stale copy is refused', async () => {
      const { job, repository } = await running('1990-01-02 00:00:00+00');
      const stale = await repository.findById(tenant.id, job.id);
      await pool.query(
        `UPDATE export_jobs SET query = jsonb_set(query, '{fileName}', '"kept"') WHERE id = $1`,
        [job.id],
      );
      const before = await pool.query<{ version: number; progress_changed_at: Date | null }>(
        'SELECT version, progress_changed_at FROM export_jobs WHERE id = $1',
        [job.id],
      );
      expect(before.rows[0].progress_changed_at).toBeNull();

      job.reportProgress(5, 10);
      await repository.saveProgress(job);

      const { rows } = await pool.query<{
        version: number;
        percent: number;
        rows_exported: string;
        total_rows: string;
        file_name: string;
        progress_changed_at: Date | null;
      }>(
        `SELECT version, percent, rows_exported, total_rows, query->>'fileName' AS file_name, progress_changed_at
           FROM export_jobs WHERE id = $1`,
        [job.id],
      );
      expect(rows[0]).toMatchObject({
        version: before.rows[0].version + 1,
        percent: 50,
        rows_exported: '5',
        total_rows: '10',
        file_name: 'kept',
      });
      expect(rows[0].progress_changed_at?.getTime()).toBeGreaterThan(Date.now() - 60_000);
      stale?.reportProgress(6, 10);
      await expect(stale ? repository.saveProgress(stale) : null).rejects.toBeInstanceOf(
        ConcurrentUpdateError,
      );
      // The job's own next save goes on from the version saveProgress left; entering a stage moves the clock too.
      await pool.query('UPDATE export_jobs SET progress_changed_at = $2 WHERE id = $1', [
        job.id,
        new Date(Date.now() - 600_000),
      ]);
      job.enterStage('uploading');
      await repository.save(job);
      const after = await pool.query<{ progress_changed_at: Date }>(
        'SELECT progress_changed_at FROM export_jobs WHERE id = $1',
        [job.id],
      );
      expect(after.rows[0].progress_changed_at.getTime()).toBeGreaterThan(Date.now() - 60_000);
    });

    it('lists running jobs untouched since the grace or stalled since the bound; an attempt before its first row is never stalled', async () => {
      const stalled = await running('1990-01-03 00:00:00+00');
      stalled.job.reportProgress(3, 10);
      await stalled.repository.saveProgress(stalled.job);
      await pool.query('UPDATE export_jobs SET progress_changed_at = $2, updated_at = $2 WHERE id = $1', [
        stalled.job.id,
        minutesAgo(10),
      ]);
      const counting = await running('1990-01-03 00:00:01+00');
      await pool.query('UPDATE export_jobs SET updated_at = $2 WHERE id = $1', [
        counting.job.id,
        minutesAgo(60),
      ]);
      const moving = await running('1990-01-03 00:00:02+00');
      moving.job.reportProgress(3, 10);
      await moving.repository.saveProgress(moving.job);
      // A new attempt starts from no row: its save clears the progress clock of the attempt before.
      const restarted = await running('1990-01-03 00:00:03+00');
      restarted.job.reportProgress(3, 10);
      await restarted.repository.saveProgress(restarted.job);
      await pool.query('UPDATE export_jobs SET progress_changed_at = $2 WHERE id = $1', [
        restarted.job.id,
        minutesAgo(10),
      ]);
      restarted.job.release();
      await restarted.repository.save(restarted.job);
      restarted.job.start(new Date());
      await restarted.repository.save(restarted.job);

      const found = await candidates(minutesAgo(1), minutesAgo(5));

      expect(found.map((j) => ({ jobId: j.jobId, stalled: j.stalled, rows: j.rowsExported }))).toEqual([
        { jobId: stalled.job.id, stalled: true, rows: 3 },
        { jobId: counting.job.id, stalled: false, rows: 0 },
      ]);
      const clock = await pool.query<{ progress_changed_at: Date | null }>(
        'SELECT progress_changed_at FROM export_jobs WHERE id = $1',
        [restarted.job.id],
      );
      expect(clock.rows[0].progress_changed_at).toBeNull();
    });
  });
});
