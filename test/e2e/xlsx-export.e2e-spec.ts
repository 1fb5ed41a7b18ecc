/**
 * Redis database 4 (this spec's own queue).
 *
 * XLSX exports (issue #10) through the API and a real worker process: the file read back by exceljs and by
 * LibreOffice headless and compared, cell by cell, with the CSV export of the same request; the sheet split (at a
 * sheet size lowered to 25 rows through EXPORT_XLSX_SHEET_ROWS); the row cap at request time (422) and at counting
 * (the worker's cap lower than the API's); bad input; download headers; cancel mid-file, retry and the retention
 * cleanup, as for CSV.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { nastyStrings } from '@app/infrastructure';
import { QueueModule } from '@app/infrastructure/nest/queue.module';
import { TICKET_COLUMNS, type TicketColumnKey } from '@app/domain';
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
import { insertBulkTickets } from '../support/bulk-tickets';
import { runCleanupCli, settleOtherTenantsUploads } from '../support/cleanup';
import { aTicket, createTestTenant, insertTickets, type TestTenant } from '../support/factories';
import { readCsv } from '../support/file-readers';
import { decodeXstring, findSoffice, libreOfficeCsv, readXlsx } from '../support/spreadsheets';
import { emptyRedisDb, redisUrlWithDb, type RunningWorker, startWorker } from '../support/worker';

jest.setTimeout(120_000);

const REDIS_DB = 4;
/** This spec's worker: sheets of a header and 24 rows, and a cap of 150,000 rows (the API keeps the default cap). */
const SHEET_ROWS = 25;
const WORKER_MAX_ROWS = 150_000;
/** The second tenant's tickets: an export of them takes a few seconds (to cancel), all of them exceed the cap. */
const BULK_ROWS = 140_000;
const SMALL_ROWS = WORKER_MAX_ROWS + 1 - BULK_ROWS;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const STRINGS: readonly string[] = nastyStrings();
const ALL_COLUMNS: TicketColumnKey[] = TICKET_COLUMNS.map((c) => c.key);
const WINTER = new Date('2026-01-15T08:05:09.999Z');
const SUMMER = new Date('2026-07-15T23:59:59.123Z');
/** A zone with daylight saving time: WINTER is at UTC-5 there, SUMMER at UTC-4. */
const ZONE = 'America/New_York';

interface Job {
  id: string;
  status: string;
  format: string;
  retryOf: string | null;
  file: { name: string; contentType: string; sizeBytes: number; rowCount: number } | null;
  error: { code: string; message: string } | null;
  links: { self: string; download?: string };
}

const soffice = findSoffice();

describe('XLSX exports with the worker', () => {
  let api: StartedApi;
  let worker: RunningWorker;
  let pool: Pool;
  let acme: TestTenant;
  let bulk: TestTenant;
  let admin: Record<string, string>;
  let bulkAdmin: Record<string, string>;
  /** The completed XLSX job of the first test. */
  let xlsxJob: Job;
  /** The CSV and XLSX exports of one request, downloaded (filled by the first test). */
  let csv: Buffer;
  let xlsx: Buffer;

  beforeAll(async () => {
    pool = testPool();
    acme = await createTestTenant(pool);
    await insertTickets(pool, acme, [
      // The open tickets: every nasty string in every text field, dates across DST and day boundaries.
      ...STRINGS.map((s, i) =>
        aTicket({
          title: s,
          description: s,
          category: s,
          tags: [s, 'b'],
          contact: { name: s, email: s },
          language: s,
          status: 'open',
          priority: i % 3 === 0 ? null : 'high',
          creationTime: new Date(WINTER.getTime() + i * 3_600_000),
          lastModificationTime: i % 2 === 0 ? SUMMER : null,
          closedAt: i % 3 === 1 ? WINTER : null,
        }),
      ),
      aTicket({
        title: 'nothing set',
        description: '',
        category: null,
        status: 'open',
        creationTime: SUMMER,
      }),
      // Closed ones: the whole tenant is then over the worker's cap.
      ...Array.from({ length: 20 }, (_, i) => aTicket({ title: `closed ${i}`, status: 'solved' })),
    ]);
    bulk = await createTestTenant(pool);
    const createdBefore = new Date(Date.now() - 3_600_000);
    await insertBulkTickets(pool, bulk, { count: BULK_ROWS, createdBefore, descriptionLength: 100 });
    await insertBulkTickets(pool, bulk, {
      count: SMALL_ROWS,
      createdBefore,
      category: 'Small',
      titlePrefix: 'Small',
    });
    const redisUrl = await emptyRedisDb(REDIS_DB);
    api = await startApi({
      env: { REDIS_URL: redisUrl },
      queueModule: (config) => QueueModule.forRoot(config),
    });
    worker = await startWorker({
      env: {
        REDIS_URL: redisUrl,
        STORAGE_DRIVER: 'local',
        STORAGE_LOCAL_DIR: api.storageDir,
        EXPORT_XLSX_SHEET_ROWS: String(SHEET_ROWS),
        EXPORT_XLSX_MAX_ROWS: String(WORKER_MAX_ROWS),
      },
    });
    admin = bearer(tokenFor(api.config, acme, 'admin'));
    bulkAdmin = bearer(tokenFor(api.config, bulk, 'admin'));
  });

  afterAll(async () => {
    await worker?.stop();
    await cancelActiveJobs(pool, [acme.id, bulk.id]);
    await api?.close();
    await pool.end();
  });

  async function finished(id: string, as = admin): Promise<Job> {
    return eventually(
      async () => (await request(api.baseUrl).get(`/export-jobs/${id}`).set(as)).body as Job,
      (job) => !['queued', 'running'].includes(job.status),
      60_000,
    );
  }

  async function exported(
    body: object,
  ): Promise<{ job: Job; bytes: Buffer; headers: Record<string, string> }> {
    const created = await request(api.baseUrl).post('/export-jobs').set(admin).send(body);
    expect(created.status).toBe(202);
    const job = await finished((created.body as Job).id);
    expect(job).toMatchObject({ status: 'completed', error: null });
    const response = await request(api.baseUrl)
      .get(job.links.download ?? '')
      .set(admin)
      .buffer(true)
      .parse(bytesBody);
    expect(response.status).toBe(200);
    return { job, bytes: response.body as Buffer, headers: response.headers };
  }

  const openTickets = (format: string) => ({
    viewId: acme.viewIds['Open tickets'],
    columns: ALL_COLUMNS,
    format,
    timezone: ZONE,
    fileName: 'nasty',
  });

  /** `2026-01-15T13:35:09+05:30` -> `2026-01-15 13:35:09`: the wall-clock time a date cell shows. */
  const wallClock = (iso: string): string => iso.slice(0, 19).replace('T', ' ');
  /** The CSV cell without its formula guard: XLSX marks such cells with quotePrefix instead. */
  const unguarded = (cell: string): string => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);
  /** A Date that exceljs read from a date cell (the serial taken as UTC) -> what the cell shows. */
  const shown = (date: Date): string => date.toISOString().slice(0, 19).replace('T', ' ');

  it('GET /export-sources lists xlsx', async () => {
    const response = await request(api.baseUrl).get('/export-sources').set(admin);
    expect(response.status).toBe(200);
    expect((response.body as { items: { formats: string[] }[] }).items[0].formats).toContain('xlsx');
  });

  it('exports typed cells that equal the CSV export of the same request, on sheets of at most EXPORT_XLSX_SHEET_ROWS', async () => {
    ({ bytes: csv } = await exported(openTickets('csv')));
    const { job, bytes, headers } = await exported(openTickets('xlsx'));
    xlsx = bytes;
    xlsxJob = job;
    expect(job.format).toBe('xlsx');
    expect(job.file).toMatchObject({
      contentType: XLSX_TYPE,
      sizeBytes: bytes.length,
      rowCount: STRINGS.length + 1,
    });
    expect(job.file?.name).toMatch(/^nasty-\d{8}-\d{6}\.xlsx$/);
    expect(headers['content-type']).toBe(XLSX_TYPE);
    expect(headers['content-length']).toBe(String(bytes.length));
    expect(headers['content-disposition']).toBe(
      `attachment; filename="${job.file?.name}"; filename*=UTF-8''${job.file?.name}`,
    );

    const { header, records } = readCsv(csv);
    const sheets = await readXlsx(bytes);
    // 31 rows: 24 on the first sheet, 7 on the second, the header on both.
    expect(sheets.map((s) => [s.name, s.rows.length])).toEqual([
      ['Tickets', SHEET_ROWS],
      ['Tickets (2)', 8],
    ]);
    for (const sheet of sheets) expect(sheet.rows[0]).toEqual(header);
    const rows = sheets.flatMap((s) => s.rows.slice(1));
    expect(rows).toHaveLength(records.length);
    const columns = TICKET_COLUMNS;
    rows.forEach((row, r) => {
      columns.forEach(({ key, type }, c) => {
        const want = records[r][c];
        const cell = row[c];
        const where = { row: r, key };
        if (want === '') expect({ ...where, cell }).toEqual({ ...where, cell: undefined });
        else if (type === 'number') expect({ ...where, cell }).toEqual({ ...where, cell: Number(want) });
        else if (type === 'date') {
          expect(cell).toBeInstanceOf(Date);
          expect({ ...where, cell: shown(cell as Date) }).toEqual({ ...where, cell: wallClock(want) });
        } else
          expect({ ...where, cell: decodeXstring(cell as string) }).toEqual({
            ...where,
            cell: unguarded(want),
          });
      });
    });
    // Dates in the job's zone, each at its own offset: 08:05:09.999Z in January is 03:05:09 in New York (EST),
    // 23:59:59.123Z in July is 19:59:59 (EDT).
    const first = rows.find((row) => decodeXstring(String(row[ALL_COLUMNS.indexOf('title')])) === STRINGS[0]);
    expect(first && shown(first[ALL_COLUMNS.indexOf('creationTime')] as Date)).toBe('2026-01-15 03:05:09');
    expect(first && shown(first[ALL_COLUMNS.indexOf('lastModificationTime')] as Date)).toBe(
      '2026-07-15 19:59:59',
    );
    const created = sheets[0].sheet.getCell(2, ALL_COLUMNS.indexOf('creationTime') + 1);
    expect(created.numFmt).toBe('yyyy-mm-dd hh:mm:ss');
  });

  (soffice ? it : it.skip)(
    'LibreOffice headless converts it to CSV with the cells of the CSV export',
    async () => {
      const { sheets, ms } = await libreOfficeCsv(soffice ?? '', xlsx);
      process.stdout.write(
        `[xlsx] LibreOffice converted ${STRINGS.length + 1} rows on 2 sheets in ${ms} ms\n`,
      );
      const { header, records } = readCsv(csv);
      expect(sheets.map((s) => s.name)).toEqual(['Tickets', 'Tickets (2)']);
      for (const sheet of sheets) expect(sheet.records[0]).toEqual(header);
      const cells = sheets.flatMap((s) => s.records.slice(1));
      expect(cells).toHaveLength(records.length);
      const types = TICKET_COLUMNS.map((c) => c.type);
      // LibreOffice reads a CRLF in a cell as one line break (LF): the one difference, documented in the README.
      const expected = records.map((record) =>
        record.map((cell, c) =>
          types[c] === 'date' ? wallClock(cell) : unguarded(cell).replaceAll('\r\n', '\n'),
        ),
      );
      expect(cells).toEqual(expected);
    },
  );
  if (!soffice)
    process.stdout.write(
      '[xlsx] SKIPPED the LibreOffice check: no soffice (scripts/services.sh installs libreoffice-calc-nogui on Debian as root)\n',
    );

  it('lets only users with the export permission request an XLSX, and only export admins download it', async () => {
    const viewer = bearer(tokenFor(api.config, acme, 'viewer'));
    const agent = bearer(tokenFor(api.config, acme, 'agent'));
    const body = { ...openTickets('xlsx'), columns: ['id', 'title'] };
    const refused = await request(api.baseUrl).post('/export-jobs').set(viewer).send(body);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'ACCESS_DENIED' });
    const created = await request(api.baseUrl).post('/export-jobs').set(agent).send(body);
    expect(created.status).toBe(202);
    const job = await finished((created.body as Job).id, agent);
    expect(job.status).toBe('completed');
    expect(job.links.download).toBeUndefined();
    const path = `/export-jobs/${job.id}/download`;
    expect((await request(api.baseUrl).get(path).set(agent)).status).toBe(403);
    const downloaded = await request(api.baseUrl).get(path).set(admin).buffer(true).parse(bytesBody);
    expect(downloaded.status).toBe(200);
    expect(downloaded.headers['content-type']).toBe(XLSX_TYPE);
  });

  it('refuses an unknown format with a 400 naming the field', async () => {
    const response = await request(api.baseUrl).post('/export-jobs').set(admin).send({ format: 'xls' });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'format', message: expect.stringContaining('xlsx') as unknown }],
    });
  });

  it('refuses with 422 EXPORT_JOB.TOO_LARGE, before a job exists, an export over a lowered EXPORT_XLSX_MAX_ROWS', async () => {
    const capped = await startApi({
      env: { REDIS_URL: redisUrlWithDb(REDIS_DB), EXPORT_XLSX_MAX_ROWS: '10' },
    });
    try {
      const before = await pool.query('SELECT count(*) FROM export_jobs WHERE tenant_id = $1', [acme.id]);
      const response = await request(capped.baseUrl)
        .post('/export-jobs')
        .set(admin)
        .send(openTickets('xlsx'));
      expect(response.status).toBe(422);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toMatchObject({
        status: 422,
        code: 'EXPORT_JOB.TOO_LARGE',
        detail:
          'XLSX exports hold at most 10 rows and this one has more. Export it as CSV, which has no row limit, or narrow the filters.',
      });
      const after = await pool.query('SELECT count(*) FROM export_jobs WHERE tenant_id = $1', [acme.id]);
      expect(after.rows).toEqual(before.rows);
      // CSV has no cap; an XLSX export under it passes.
      const asCsv = await request(capped.baseUrl).post('/export-jobs').set(admin).send(openTickets('csv'));
      expect(asCsv.status).toBe(202);
      const few = await request(capped.baseUrl)
        .post('/export-jobs')
        .set(admin)
        .send({ ...openTickets('xlsx'), search: 'nothing set' });
      expect(few.status).toBe(202);
      expect(capped.queue.enqueued).toHaveLength(2);
    } finally {
      await cancelActiveJobs(pool, [acme.id]);
      await capped.close();
    }
  });

  it('fails the job at counting with EXPORT_JOB.TOO_LARGE when only the worker finds it too large; a retry is a new xlsx job', async () => {
    const created = await request(api.baseUrl)
      .post('/export-jobs')
      .set(bulkAdmin)
      .send({ viewId: bulk.viewIds['All tickets'], format: 'xlsx' });
    expect(created.status).toBe(202);
    const job = await finished((created.body as Job).id, bulkAdmin);
    expect(job).toMatchObject({
      status: 'failed',
      file: null,
      error: {
        code: 'EXPORT_JOB.TOO_LARGE',
        message: `XLSX exports hold at most ${WORKER_MAX_ROWS} rows and this one has more. Export it as CSV, which has no row limit, or narrow the filters.`,
      },
    });
    expect(job.links.download).toBeUndefined();
    const { rows } = await pool.query<{ details: { code: string; attempts: number } }>(
      `SELECT details FROM audit_events WHERE job_id = $1 AND action = 'export.failed'`,
      [job.id],
    );
    expect(rows.map((r) => r.details)).toEqual([
      expect.objectContaining({ code: 'EXPORT_JOB.TOO_LARGE', attempts: 1 }),
    ]);

    const retried = await request(api.baseUrl).post(`/export-jobs/${job.id}/retry`).set(bulkAdmin);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ format: 'xlsx', retryOf: job.id });
    const again = await finished((retried.body as Job).id, bulkAdmin);
    expect(again.error?.code).toBe('EXPORT_JOB.TOO_LARGE');
  });

  /** The files of a job in the local storage (its attempts' keys and any temporary file). */
  async function storedFilesOf(jobId: string): Promise<string[]> {
    const paths = (await readdir(api.storageDir, { recursive: true })).filter((f) => f.includes(jobId));
    const isFile = await Promise.all(paths.map(async (f) => (await stat(join(api.storageDir, f))).isFile()));
    return paths.filter((_, i) => isFile[i]);
  }

  it('cancel mid-file: the job stays cancelled, the worker stops writing the zip, no file remains', async () => {
    const created = await request(api.baseUrl)
      .post('/export-jobs')
      .set(bulkAdmin)
      .send({
        viewId: bulk.viewIds['All tickets'],
        format: 'xlsx',
        columns: ALL_COLUMNS,
        filters: { and: [{ field: 'category', operator: 'is_none_of', values: ['Small'] }], or: [] },
      });
    expect(created.status).toBe(202);
    const id = (created.body as Job).id;
    const exporting = await eventually(
      async () =>
        (await request(api.baseUrl).get(`/export-jobs/${id}`).set(bulkAdmin)).body as Job & {
          progress: { rowsExported: number };
        },
      (job) => job.status !== 'queued' && (job.status !== 'running' || job.progress.rowsExported > 0),
      60_000,
    );
    expect(exporting.status).toBe('running');
    const cancelled = await request(api.baseUrl).post(`/export-jobs/${id}/cancel`).set(bulkAdmin);
    expect(cancelled.status).toBe(200);
    await eventually(
      () => Promise.resolve(worker.output()),
      (output) => new RegExp(`"jobId":"${id}".*"outcome":"cancelled"`).test(output),
      10_000,
    );
    const job = (await request(api.baseUrl).get(`/export-jobs/${id}`).set(bulkAdmin)).body as Job;
    expect(job).toMatchObject({ status: 'cancelled', file: null });
    expect(job.links.download).toBeUndefined();
    expect(await storedFilesOf(id)).toEqual([]);
    const { rows } = await pool.query<{ action: string }>(
      'SELECT action FROM audit_events WHERE job_id = $1 ORDER BY id',
      [id],
    );
    expect(rows.map((r) => r.action)).toEqual(['export.requested', 'export.cancelled']);
  });

  it('the retention cleanup deletes an expired XLSX file and marks its job expired', async () => {
    expect(await storedFilesOf(xlsxJob.id)).toHaveLength(1);
    await pool.query(`UPDATE export_jobs SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      xlsxJob.id,
    ]);
    await settleOtherTenantsUploads(pool, acme.id);
    const run = await runCleanupCli({
      REDIS_URL: redisUrlWithDb(REDIS_DB),
      STORAGE_DRIVER: 'local',
      STORAGE_LOCAL_DIR: api.storageDir,
    });
    expect(run.code).toBe(0);
    const job = (await request(api.baseUrl).get(`/export-jobs/${xlsxJob.id}`).set(admin)).body as Job;
    expect(job.status).toBe('expired');
    expect(await storedFilesOf(xlsxJob.id)).toEqual([]);
    const download = await request(api.baseUrl).get(`/export-jobs/${xlsxJob.id}/download`).set(admin);
    expect(download.status).toBe(410);
  });
});
