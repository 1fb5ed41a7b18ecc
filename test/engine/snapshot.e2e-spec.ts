/**
 * Redis database 7 (one per engine spec file, so workers of different files never take each other's jobs).
 *
 * CONTRACT §6 Snapshot: an export of 50k+ rows, while other connections insert, update (sort keys included),
 * soft-delete, undelete and hard-delete tickets, holds exactly the rows that matched at its snapshot, each once,
 * with their values and order as of the snapshot.
 *
 * To be sure the changes land after the snapshot and before the export is done, the first batch is made while
 * this spec holds the job's row lock (SELECT ... FOR UPDATE) as soon as the job reached stage `exporting`: the
 * snapshot is already taken then (it is opened before the count), and the worker cannot get past its next write
 * of that row (the upload journal's foreign key check or a progress save) until the lock is released. More
 * batches follow while the rows stream.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExportJob } from '@app/domain';
import type { PoolClient } from 'pg';
import { insertBulkTickets } from '../support/bulk-tickets';
import { EngineHarness } from '../support/engine-harness';
import { columnsOf, expectedCsvRecord, type ListRow, listRows } from '../support/expected-files';
import { readCsv } from '../support/file-readers';
import { delay, type JobRow, readJob } from '../support/job-polling';
import { createTestTenant, type TestTenant } from '../support/factories';
import { redisUrlWithDb, startWorker, type RunningWorker } from '../support/worker';

jest.setTimeout(90_000);

const HOUR = 3_600_000;
const BASE = 50_000;

describe('an export reads one snapshot whatever changes meanwhile', () => {
  let dir: string;
  let engine: EngineHarness;
  let worker: RunningWorker;
  let tenant: TestTenant;
  let locker: PoolClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'engine-snapshot-'));
    const env = { REDIS_URL: redisUrlWithDb(7), STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: dir };
    engine = await EngineHarness.open(env);
    tenant = await createTestTenant(engine.pool);
    const now = Date.now();
    const bulk = (titlePrefix: string, count: number, more: object = {}): Promise<number> =>
      insertBulkTickets(engine.pool, tenant, {
        count,
        titlePrefix,
        createdBefore: new Date(now - HOUR),
        spreadMinutes: 3000,
        descriptionLength: 200,
        ...more,
      });
    await bulk('Base', BASE);
    await bulk('Hidden', 200, { category: 'Hidden' });
    await bulk('Future', 300, { createdBefore: new Date(now + 48 * HOUR), spreadMinutes: 60 });
    await bulk('Gone', 300, { deletedAt: new Date(now - HOUR / 2) });
    await bulk('Doomed', 300, { deletedAt: new Date(now + 24 * HOUR) });
    await engine.pool.query('ANALYZE tickets');
    locker = await engine.pool.connect();
    worker = await startWorker({ env });
  });

  afterAll(async () => {
    await worker?.kill();
    locker?.release(true); // never back to the pool with a transaction open
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Takes the job's row lock in `locker` once its stage is `exporting`, and keeps it (the transaction stays open). */
  async function lockWhenExporting(job: ExportJob): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      await locker.query('BEGIN');
      const { rows } = await locker.query<Pick<JobRow, 'status' | 'stage'>>(
        'SELECT status, stage FROM export_jobs WHERE id = $1 FOR UPDATE',
        [job.id],
      );
      if (rows[0].stage === 'exporting') return;
      await locker.query('ROLLBACK');
      if (rows[0].status !== 'queued' && rows[0].status !== 'running')
        throw new Error(`the job ended (${rows[0].status}) before it was seen exporting`);
      if (Date.now() > deadline) throw new Error('the job never reached stage exporting');
      await delay(5);
    }
  }

  const sql = (text: string, values: unknown[] = []): Promise<unknown> => engine.pool.query(text, values);

  /**
   * While the job's row is locked: the rows the snapshot holds (nothing has changed since the request yet, so the
   * list query gives them), then the first batch of changes, committed one statement at a time.
   */
  async function changeWhileLocked(
    job: ExportJob,
  ): Promise<{ expected: ListRow[]; changesStartedAt: Date; locked: JobRow }> {
    const expected = await listRows(engine.pool, job);
    expect(expected).toHaveLength(BASE + 300); // Base and Doomed; not Hidden, Future nor Gone
    const changesStartedAt = new Date();
    const t = tenant.id;
    const urgent = tenant.priorityIds.urgent;
    // Updated values and sort keys: the renamed rows would jump to the top of the order.
    await sql(
      `UPDATE tickets SET title = title || ' (renamed)', last_modification_time = now() + interval '1 day',
                priority_id = $2 WHERE tenant_id = $1 AND title LIKE 'Base %' AND id % 10 = 1`,
      [t, urgent],
    );
    await sql(
      `UPDATE tickets SET deleted_at = now() WHERE tenant_id = $1 AND title LIKE 'Base %' AND id % 10 = 2`,
      [t],
    );
    // Into and out of the filter.
    await sql(
      `UPDATE tickets SET category = 'Hidden' WHERE tenant_id = $1 AND title LIKE 'Base %' AND id % 10 = 3`,
      [t],
    );
    await sql(
      `UPDATE tickets SET category = 'Visible', last_modification_time = now() WHERE tenant_id = $1 AND title LIKE 'Hidden %'`,
      [t],
    );
    await sql(`DELETE FROM tickets WHERE tenant_id = $1 AND title LIKE 'Base %' AND id % 10 = 4`, [t]);
    // Deleted before the request, undeleted now: it was not there at the snapshot.
    await sql(`UPDATE tickets SET deleted_at = NULL WHERE tenant_id = $1 AND title LIKE 'Gone %'`, [t]);
    // New tickets created "before the request" (backdated) and after it.
    await insertBulkTickets(engine.pool, tenant, {
      count: 1000,
      titlePrefix: 'Backdated',
      createdBefore: new Date(Date.now() - 2 * HOUR),
    });
    await insertBulkTickets(engine.pool, tenant, {
      count: 1000,
      titlePrefix: 'Fresh',
      createdBefore: new Date(Date.now() + 48 * HOUR),
      spreadMinutes: 60,
    });
    const locked = await readJob(engine.pool, t, job.id);
    expect({ status: locked.status, stage: locked.stage }).toEqual({ status: 'running', stage: 'exporting' });
    return { expected, changesStartedAt, locked };
  }

  it('holds exactly the rows of the snapshot, once each, with their values as of the snapshot', async () => {
    const job = await engine.requestExport({
      tenant,
      format: 'csv',
      timezone: 'Europe/Paris',
      refinement: {
        columns: ['id', 'title', 'description', 'status', 'priority', 'category', 'tags', 'creationTime'],
        filters: { and: [{ field: 'category', operator: 'is_not', value: 'Hidden' }], or: [] },
        sort: [
          { field: 'lastModificationTime', direction: 'desc' },
          { field: 'priority', direction: 'asc' },
        ],
      },
    });
    await lockWhenExporting(job);
    const t = tenant.id;
    let expected: ListRow[];
    let changesStartedAt: Date;
    let locked: JobRow;
    try {
      ({ expected, changesStartedAt, locked } = await changeWhileLocked(job));
    } finally {
      await locker.query('COMMIT'); // whatever happened, the worker may go on
    }

    // More changes while the rows stream, until the job is done.
    let rounds = 0;
    for (let status = locked.status; status === 'running' || status === 'queued'; rounds++) {
      await sql(
        `UPDATE tickets SET title = title || ' (again)', last_modification_time = now() + interval '2 days'
          WHERE tenant_id = $1 AND title LIKE 'Base %' AND id % 10 = 5 AND id % 97 = $2`,
        [t, rounds % 97],
      );
      await sql(
        `UPDATE tickets SET deleted_at = now() WHERE tenant_id = $1 AND title LIKE 'Base %' AND id % 10 = 6 AND id % 97 = $2`,
        [t, rounds % 97],
      );
      await insertBulkTickets(engine.pool, tenant, {
        count: 50,
        titlePrefix: `Backdated ${rounds}`,
        createdBefore: new Date(Date.now() - 2 * HOUR),
      });
      status = (await readJob(engine.pool, t, job.id)).status;
    }

    const done = await engine.finished(tenant, job.id);
    expect(done).toMatchObject({ status: 'completed', attempts: 1, totalRows: expected.length });
    expect(done.snapshotAt?.getTime()).toBeLessThan(changesStartedAt.getTime());
    expect(done.completedAt?.getTime()).toBeGreaterThan(changesStartedAt.getTime());

    const file = await engine.readFile(tenant, job.id);
    const { records } = readCsv(file.bytes);
    expect(file.record.rowCount).toBe(expected.length);
    const ids = records.map((r) => r[0]);
    expect(new Set(ids).size).toBe(ids.length);
    const columns = columnsOf(job);
    // Cell by cell, in order, as of the snapshot (compared as one list: a mismatch shows the first differing row).
    expect(records).toEqual(expected.map((row) => expectedCsvRecord(columns, row, 'Europe/Paris')));

    // The changes did change what the same query matches now: this test could fail.
    const now = await listRows(engine.pool, job);
    const titles = (rows: readonly { title?: unknown }[]): string[] => rows.map((r) => String(r.title));
    expect(titles(now).filter((s) => s.startsWith('Backdated')).length).toBeGreaterThanOrEqual(1000);
    expect(titles(now).filter((s) => s.endsWith('(renamed)')).length).toBeGreaterThan(4000);
    expect(titles(now).filter((s) => s.startsWith('Gone')).length).toBe(300);
    expect(now.length).not.toBe(expected.length);
    expect(
      titles(expected).some((s) => /^(Backdated|Fresh|Gone|Hidden|Future)/.test(s) || s.endsWith(')')),
    ).toBe(false);
  });
});
