import { parse } from 'csv-parse/sync';
import { QueueModule } from '@app/infrastructure/nest/queue.module';
import type { Pool } from 'pg';
import request from 'supertest';
import {
  bearer,
  bytesBody,
  cancelActiveJobs,
  eventually,
  startApi,
  type StartedApi,
  tokenFor,
} from '../support/api';
import { testPool } from '../support/database';
import { aTicket, createTestTenant, insertTickets, type TestTenant } from '../support/factories';
import { emptyRedisDb, type RunningWorker, startWorker } from '../support/worker';

jest.setTimeout(90_000);

/** This spec's own Redis database, so its queue never meets another spec's. */
const REDIS_DB = 5;

interface Job {
  id: string;
  status: string;
  stage: string | null;
  progress: { percent: number; rowsExported: number; totalRows: number | null };
  file: { name: string; sha256: string; sizeBytes: number; rowCount: number } | null;
  links: { self: string; download?: string };
}
type Row = Record<string, unknown>;

/**
 * The whole path as the admin SPA takes it, with the real worker (built, as production runs it): request an
 * export of a view, poll it to completion, download the file, and find exactly the rows of the view's list.
 */
describe('export flow with the worker', () => {
  let api: StartedApi;
  let worker: RunningWorker;
  let pool: Pool;
  let acme: TestTenant;
  let admin: Record<string, string>;

  beforeAll(async () => {
    pool = testPool();
    // Queued jobs left behind by interrupted earlier runs would keep this spec's worker busy (its reconciler
    // enqueues every queued job of the test database): retire those older than any run still going on.
    await pool.query(
      `UPDATE export_jobs SET status = 'cancelled', stage = NULL, version = version + 1, updated_at = now()
        WHERE status IN ('queued', 'running') AND requested_at < now() - interval '10 minutes'`,
    );
    acme = await createTestTenant(pool);
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1 + (i % 20), i % 24, i % 60));
    await insertTickets(
      pool,
      acme,
      Array.from({ length: 60 }, (_, i) =>
        aTicket({
          title: i % 7 === 0 ? `=SUM(A${i}) "quoted", and more` : `Ticket ${i} — ünïcödé`,
          status: ['new', 'open', 'pending', 'solved'][i % 4],
          priority: [null, 'low', 'normal', 'high', 'urgent'][i % 5],
          tags: i % 3 === 0 ? ['vip', 'refund'] : [],
          assignee: i % 2 ? 'agent' : null,
          contact: i % 4 ? { name: `Contact ${i}`, email: `c${i}@x.test` } : null,
          creationTime: at(i),
          slaDueAt: i % 5 ? at(i + 3) : null,
          deletedAt: i === 13 ? at(30) : null,
        }),
      ),
    );
    const redisUrl = await emptyRedisDb(REDIS_DB);
    api = await startApi({
      env: { REDIS_URL: redisUrl },
      queueModule: (config) => QueueModule.forRoot(config),
    });
    worker = await startWorker({
      env: { REDIS_URL: redisUrl, STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: api.storageDir },
    });
    admin = bearer(tokenFor(api.config, acme, 'admin'));
  });

  afterAll(async () => {
    await worker?.stop();
    await cancelActiveJobs(pool, [acme.id]);
    await api?.close();
    await pool.end();
  });

  async function viewList(viewId: string): Promise<Row[]> {
    const rows: Row[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(api.baseUrl)
        .get(`/ticket-views/${viewId}/tickets`)
        .query(cursor ? { limit: 7, cursor } : { limit: 7 })
        .set(admin);
      const body = page.body as { items: Row[]; nextCursor: string | null };
      rows.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    return rows;
  }

  /** Polls like the SPA: honours Retry-After's spirit, sends If-None-Match, never sees percent go down. */
  async function pollUntilFinished(id: string): Promise<Job> {
    let etag: string | undefined;
    let last: Job | undefined;
    const percents: number[] = [];
    const job = await eventually(
      async () => {
        const response = await request(api.baseUrl)
          .get(`/export-jobs/${id}`)
          .set(admin)
          .set(etag ? { 'If-None-Match': etag } : {});
        if (response.status === 304) return last as Job;
        expect(response.status).toBe(200);
        etag = response.headers.etag;
        last = response.body as Job;
        percents.push(last.progress.percent);
        return last;
      },
      (j) => j !== undefined && !['queued', 'running'].includes(j.status),
      60_000,
    );
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    return job;
  }

  async function download(job: Job): Promise<{ bytes: Buffer; headers: Record<string, string> }> {
    const response = await request(api.baseUrl)
      .get(job.links.download ?? '')
      .set(admin)
      .buffer(true)
      .parse(bytesBody);
    expect(response.status).toBe(200);
    return { bytes: response.body as Buffer, headers: response.headers };
  }

  const seconds = (iso: unknown): number | null =>
    typeof iso === 'string' ? Math.floor(Date.parse(iso) / 1000) : null;

  it('JSON: the file holds exactly the rows of GET /ticket-views/:id/tickets, in order, typed', async () => {
    const viewId = acme.viewIds['Open tickets'];
    const created = await request(api.baseUrl)
      .post('/export-jobs')
      .set(admin)
      .send({ viewId, format: 'json', timezone: 'Europe/Paris' });
    expect(created.status).toBe(202);
    const job = await pollUntilFinished((created.body as Job).id);
    expect(job).toMatchObject({ status: 'completed', stage: null, progress: { percent: 100 } });
    expect(job.links.download).toBe(`/export-jobs/${job.id}/download`);

    const { bytes, headers } = await download(job);
    expect(headers['content-type']).toBe('application/json; charset=utf-8');
    expect(headers['content-disposition']).toContain(`filename="${job.file?.name}"`);
    expect(job.file?.name).toMatch(/^open-tickets-\d{8}-\d{6}\.json$/);
    const exported = JSON.parse(bytes.toString('utf8')) as Row[];
    const listed = await viewList(viewId);
    expect(listed.length).toBeGreaterThan(10);
    expect(exported.map((r) => r.id)).toEqual(listed.map((r) => r.id));
    expect(job.file?.rowCount).toBe(listed.length);
    const dateKeys = ['creationTime', 'slaDueAt'];
    exported.forEach((row, i) => {
      const shown = listed[i];
      expect(Object.keys(row).sort()).toEqual(Object.keys(shown).sort());
      for (const key of Object.keys(row)) {
        if (dateKeys.includes(key)) {
          expect(seconds(row[key])).toBe(seconds(shown[key]));
          if (row[key] !== null) expect(row[key]).toMatch(/\+0[12]:00$/);
        } else expect(row[key]).toEqual(shown[key]);
      }
    });

    const { rows } = await pool.query<{ action: string }>(
      'SELECT action FROM audit_events WHERE job_id = $1 ORDER BY id',
      [job.id],
    );
    expect(rows.map((r) => r.action)).toEqual(['export.requested', 'export.completed', 'export.downloaded']);
  });

  it('CSV of all tickets, refined: labels as header, the same ids as the list, BOM and CRLF', async () => {
    const viewId = acme.viewIds['All tickets'];
    const created = await request(api.baseUrl)
      .post('/export-jobs')
      .set(admin)
      .send({ viewId, columns: ['id', 'title', 'tags'], fileName: 'all of it' });
    const job = await pollUntilFinished((created.body as Job).id);
    expect(job.status).toBe('completed');
    const { bytes } = await download(job);
    const text = bytes.toString('utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text).toContain('\r\n');
    const records: string[][] = parse(text.slice(1));
    expect(records[0]).toEqual(['Ticket ID', 'Title', 'Tags']);
    const listed = await viewList(viewId);
    expect(records.slice(1).map((r) => Number(r[0]))).toEqual(listed.map((r) => r.id));
    const guarded = records.slice(1).find((r) => r[1].includes('SUM'));
    expect(guarded?.[1]).toMatch(/^'=SUM/);
    expect(job.file?.name).toMatch(/^all of it-\d{8}-\d{6}\.csv$/);
  });
});
