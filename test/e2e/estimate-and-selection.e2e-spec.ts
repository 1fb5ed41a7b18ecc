import { QueueModule } from '@app/infrastructure/nest/queue.module';
import { nastyStrings } from '@app/infrastructure';
import type { Pool } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  bearer,
  bytesBody,
  cancelActiveJobs,
  eventually,
  insertJob,
  startApi,
  type StartedApi,
  tokenFor,
} from '../support/api';
import { testPool } from '../support/database';
import { insertBulkTickets } from '../support/bulk-tickets';
import { aTicket, createTestTenant, insertTickets, type TestTenant } from '../support/factories';
import { readCsv, readJson, readNdjson } from '../support/file-readers';
import { emptyRedisDb, type RunningWorker, startWorker } from '../support/worker';

jest.setTimeout(120_000);

/** This spec's own Redis database, so its queue never meets another spec's. */
const REDIS_DB = 3;
/** Bytes estimated from a sample (more rows than the sample holds) are within this share of the file's size. */
const BYTES_TOLERANCE = 0.1;

interface Estimate {
  rows: number;
  rowsExact: boolean;
  bytes: Record<string, number>;
  seconds: number;
}
interface Job {
  id: string;
  status: string;
  progress: { totalRows: number | null };
  file: { sizeBytes: number; rowCount: number } | null;
}
type Problem = { status: number; code: string; errors?: { field: string; message: string }[] };

/**
 * POST /export-jobs/estimate and `ticketIds` against the real API and the built worker: who may estimate, bad
 * input named by field, an estimate next to the job it foretells (rows, bytes per format), and a selection exported
 * end to end, retried, and listed by GET /ticket-views/:id/tickets in the same order as the file.
 */
describe('estimate and selected tickets', () => {
  let api: StartedApi;
  let worker: RunningWorker;
  let pool: Pool;
  let acme: TestTenant;
  let bulk: TestTenant;
  let other: TestTenant;
  let ids: string[];
  let admin: Record<string, string>;
  const views: Record<string, string> = {};

  beforeAll(async () => {
    pool = testPool();
    [acme, bulk, other] = await Promise.all([
      createTestTenant(pool),
      createTestTenant(pool),
      createTestTenant(pool),
    ]);
    const nasty = nastyStrings();
    const at = (i: number) => new Date(Date.UTC(2026, 1, 1 + (i % 25), i % 24, (i * 7) % 60));
    ids = await insertTickets(
      pool,
      acme,
      Array.from({ length: 40 }, (_, i) =>
        aTicket({
          title: i % 3 === 0 ? nasty[i % nasty.length] : `Ticket ${i} — ünïcödé`,
          description: `Line one of ${i}\nline "two", ${'x'.repeat(i * 5)}`,
          status: ['new', 'open', 'pending', 'solved', 'closed'][i % 5],
          priority: [null, 'low', 'normal', 'high', 'urgent'][i % 5],
          tags: i % 4 === 0 ? ['vip', '=cmd|x'] : [],
          assignee: i % 2 ? 'agent' : null,
          contact: i % 3 ? { name: `Contact ${i}`, email: `c${i}@x.test` } : null,
          creationTime: at(i),
          deletedAt: i === 7 ? at(30) : null,
        }),
      ),
    );
    await insertBulkTickets(pool, bulk, { count: 450, createdBefore: new Date(), descriptionLength: 60 });
    await insertTickets(pool, other, [aTicket({ title: 'Not yours' })]);
    const redisUrl = await emptyRedisDb(REDIS_DB);
    api = await startApi({
      env: { REDIS_URL: redisUrl },
      queueModule: (config) => QueueModule.forRoot(config),
    });
    worker = await startWorker({
      env: { REDIS_URL: redisUrl, STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: api.storageDir },
    });
    admin = bearer(tokenFor(api.config, acme, 'admin'));
    const listed = await request(api.baseUrl).get('/ticket-views').query({ limit: 50 }).set(admin);
    for (const view of (listed.body as { items: { id: string; name: string }[] }).items)
      views[view.name] = view.id;
  });

  afterAll(async () => {
    await worker?.stop();
    await cancelActiveJobs(pool, [acme.id, bulk.id]);
    await api?.close();
    await pool.end();
  });

  const estimate = (body: object, headers = admin) =>
    request(api.baseUrl).post('/export-jobs/estimate').set(headers).send(body);

  async function exportAndDownload(body: object, headers = admin): Promise<{ job: Job; file: Buffer }> {
    const created = await request(api.baseUrl).post('/export-jobs').set(headers).send(body);
    expect(created.status).toBe(202);
    return finished((created.body as Job).id, headers);
  }

  async function finished(id: string, headers: Record<string, string>): Promise<{ job: Job; file: Buffer }> {
    const job = await eventually(
      async () => (await request(api.baseUrl).get(`/export-jobs/${id}`).set(headers)).body as Job,
      (j) => !['queued', 'running'].includes(j.status),
      60_000,
    );
    expect(job.status).toBe('completed');
    const download = await request(api.baseUrl)
      .get(`/export-jobs/${id}/download`)
      .set(headers)
      .buffer(true)
      .parse(bytesBody);
    expect(download.status).toBe(200);
    return { job, file: download.body as Buffer };
  }

  const countRows = async (table: string, tenantId: string): Promise<number> =>
    Number(
      (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = $1`, [tenantId]))
        .rows[0].n,
    );

  describe('who may estimate: whoever may export', () => {
    it.each([
      ['admin', 200],
      ['agent', 200],
      ['viewer', 403],
      ['auditor', 403],
    ])('%s -> %i, and nothing is created', async (user, status) => {
      const before = [await countRows('export_jobs', acme.id), await countRows('audit_events', acme.id)];
      const response = await estimate(
        { viewId: views['Open tickets'] },
        bearer(tokenFor(api.config, acme, user)),
      );
      expect(response.status).toBe(status);
      if (status === 403) expect((response.body as Problem).code).toBe('ACCESS_DENIED');
      expect([await countRows('export_jobs', acme.id), await countRows('audit_events', acme.id)]).toEqual(
        before,
      );
    });

    it('401 without a token; 404 for a view of another tenant', async () => {
      expect((await request(api.baseUrl).post('/export-jobs/estimate').send({})).status).toBe(401);
      const foreign = await request(api.baseUrl)
        .get('/ticket-views')
        .set(bearer(tokenFor(api.config, other, 'admin')));
      const foreignView = (foreign.body as { items: { id: string }[] }).items[0].id;
      expect((await estimate({ viewId: foreignView })).status).toBe(404);
    });
  });

  describe('bad input: 400 naming the field, the same for an export, its estimate and the list', () => {
    const tooMany = Array.from({ length: 10_001 }, (_, i) => i + 1);
    it.each([
      ['10,001 ids', { ticketIds: tooMany }, 'ticketIds'],
      ['a float', { ticketIds: [1, 2.5] }, 'ticketIds[1]'],
      ['a duplicate', { ticketIds: [3, 4, 3] }, 'ticketIds[2]'],
      ['zero', { ticketIds: [0] }, 'ticketIds[0]'],
      ['a string', { ticketIds: ['12'] }, 'ticketIds[0]'],
      ['not an array', { ticketIds: 12 }, 'ticketIds'],
      ['an unknown format', { format: 'xml' }, 'format'],
      ['an unknown column', { columns: ['id', 'nope'] }, 'columns[1]'],
      ['an unknown notify channel', { notify: ['sms'] }, 'notify[0]'],
      ['notify not an array', { notify: 'email' }, 'notify'],
      // This API runs without SMTP_URL.
      ['notify: ["email"] without SMTP_URL', { notify: ['email'] }, 'notify'],
    ])('%s', async (_case, body, field) => {
      const answers: Problem[] = [];
      for (const path of ['/export-jobs/estimate', '/export-jobs']) {
        const response = await request(api.baseUrl).post(path).set(admin).send(body);
        expect(response.status).toBe(400);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect((response.body as Problem).errors?.map((e) => e.field)).toContain(field);
        answers.push(response.body as Problem);
      }
      expect(answers[0].errors).toEqual(answers[1].errors);
    });

    // 10,001 ids do not fit in a URL (the server answers 431 past 16 KB of headers): the unit spec of
    // parseTicketIdList holds that limit's message.
    it.each([
      ['a float', '1,2.5', 'ticketIds[1]'],
      ['a duplicate', '3,4,3', 'ticketIds[2]'],
      ['zero', '0', 'ticketIds[0]'],
      ['a word', '1,abc', 'ticketIds[1]'],
      ['nothing', '', 'ticketIds'],
    ])('GET /ticket-views/:id/tickets with %s in ticketIds', async (_case, ticketIds, field) => {
      const response = await request(api.baseUrl)
        .get(`/ticket-views/${views['All tickets']}/tickets`)
        .query({ ticketIds })
        .set(admin);
      expect(response.status).toBe(400);
      expect((response.body as Problem).errors?.map((e) => e.field)).toEqual([field]);
      const pieces = ticketIds === '' ? [] : ticketIds.split(',');
      const sameAsBody = await estimate({
        ticketIds: pieces.map((id) => (/^\d+(\.\d+)?$/.test(id) ? Number(id) : id)),
      });
      expect((response.body as Problem).errors).toEqual((sameAsBody.body as Problem).errors);
    });

    it('GET /ticket-views/:id/tickets takes 1,000 ids in its query string', async () => {
      const response = await request(api.baseUrl)
        .get(`/ticket-views/${views['All tickets']}/tickets`)
        .query({ ticketIds: Array.from({ length: 1_000 }, (_, i) => Number(ids[0]) + i).join(',') })
        .set(admin);
      expect(response.status).toBe(200);
    });
  });

  describe('an estimate next to the export it foretells', () => {
    it.each(['csv', 'json', 'ndjson', 'xlsx'])(
      '%s: rows exact and equal to totalRows, bytes equal to the file (every row in the sample)',
      async (format) => {
        const body = { viewId: views['Open tickets'], format, timezone: 'Europe/Paris' };
        const before = (await estimate(body)).body as Estimate;
        const { job, file } = await exportAndDownload(body);
        expect(before.rowsExact).toBe(true);
        expect(before.rows).toBe(job.progress.totalRows);
        expect(before.rows).toBe(job.file?.rowCount);
        expect(before.bytes[format]).toBe(file.length);
        expect(before.seconds).toBeGreaterThanOrEqual(1);
        // Every format but PDF, whose size follows its page layout.
        expect(Object.keys(before.bytes).sort()).toEqual(['csv', 'json', 'ndjson', 'xlsx']);
      },
    );

    it(`more rows than the sample: bytes within ${BYTES_TOLERANCE * 100}% of each file`, async () => {
      const headers = bearer(tokenFor(api.config, bulk, 'admin'));
      const body = { columns: ['id', 'title', 'description', 'status', 'tags', 'creationTime'] };
      const before = (await estimate(body, headers)).body as Estimate;
      expect(before).toMatchObject({ rows: 450, rowsExact: true });
      for (const format of ['csv', 'json', 'ndjson']) {
        const { job, file } = await exportAndDownload({ ...body, format }, headers);
        expect(job.progress.totalRows).toBe(450);
        expect(Math.abs(before.bytes[format] - file.length) / file.length).toBeLessThan(BYTES_TOLERANCE);
      }
    });
  });

  describe('ticketIds: a selection, ANDed with the view, in its order', () => {
    // Open tickets are those with i % 5 < 3; ticket 7 is deleted; 3 and 4 are solved/closed (not in the view).
    const selection = (): number[] => [
      ...[12, 0, 7, 3, 4, 21, 35, 1, 6].map((i) => Number(ids[i])),
      Number.MAX_SAFE_INTEGER,
    ];

    async function listIds(ticketIds: number[]): Promise<number[]> {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page: request.Response = await request(api.baseUrl)
          .get(`/ticket-views/${views['Open tickets']}/tickets`)
          .query({ limit: 2, ticketIds: ticketIds.join(','), ...(cursor ? { cursor } : {}) })
          .set(admin);
        expect(page.status).toBe(200);
        const pageBody = page.body as { items: { id: number }[]; nextCursor: string | null };
        seen.push(...pageBody.items.map((item) => item.id));
        cursor = pageBody.nextCursor;
      } while (cursor);
      return seen;
    }

    it('exports only the visible selected tickets of the view, as the list shows them', async () => {
      const expected = [12, 0, 21, 35, 1, 6].map((i) => Number(ids[i]));
      const listed = await listIds(selection());
      expect([...listed].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
      const body = { viewId: views['Open tickets'], ticketIds: selection() };
      const estimated = (await estimate(body)).body as Estimate;
      const { job, file } = await exportAndDownload(body);
      expect(job.progress.totalRows).toBe(expected.length);
      expect(estimated).toMatchObject({ rows: expected.length, rowsExact: true });
      const { header, records } = readCsv(file);
      expect(header[0]).toBe('Ticket ID');
      expect(records.map((r) => Number(r[0]))).toEqual(listed);
      expect(estimated.bytes.csv).toBe(file.length);
      const stored = await pool.query<{ ids: number[] }>(
        "SELECT query->'ticketIds' AS ids FROM export_jobs WHERE id = $1",
        [job.id],
      );
      expect(stored.rows[0].ids).toEqual(selection());
    });

    it('JSON and NDJSON hold the same selection in the same order', async () => {
      const listed = await listIds(selection());
      const json = await exportAndDownload({
        viewId: views['Open tickets'],
        ticketIds: selection(),
        format: 'json',
      });
      const ndjson = await exportAndDownload({
        viewId: views['Open tickets'],
        ticketIds: selection(),
        format: 'ndjson',
      });
      expect(readJson(json.file).map((row) => row.id)).toEqual(listed);
      expect(readNdjson(ndjson.file).map((row) => row.id)).toEqual(listed);
    });

    it("a retry exports the failed job's selection again", async () => {
      const chosen = [0, 1, 2].map((i) => Number(ids[i]));
      const failed = await insertJob(api.app.get(DataSource), api.storage, {
        tenant: acme,
        requester: 'admin',
        status: 'failed',
        query: { ticketIds: chosen, columns: ['id', 'title'] },
      });
      const retried = await request(api.baseUrl).post(`/export-jobs/${failed.id}/retry`).set(admin);
      expect(retried.status).toBe(202);
      const { job, file } = await finished((retried.body as Job).id, admin);
      expect(job.progress.totalRows).toBe(3);
      // No view: all tickets, newest first (tickets 0, 1, 2 were created a day apart).
      expect(readCsv(file).records.map((r) => Number(r[0]))).toEqual([...chosen].reverse());
    });

    it('ids of another tenant or that do not exist export nothing', async () => {
      const foreign = (
        await pool.query<{ id: string }>('SELECT id FROM tickets WHERE tenant_id = $1', [other.id])
      ).rows[0].id;
      const body = { ticketIds: [Number(foreign), Number.MAX_SAFE_INTEGER] };
      expect(((await estimate(body)).body as Estimate).rows).toBe(0);
      const { job, file } = await exportAndDownload(body);
      expect(job.progress.totalRows).toBe(0);
      expect(readCsv(file).records).toEqual([]);
    });
  });
});
