/**
 * Redis database 4 (one per spec file that runs a worker).
 *
 * `format: "pdf"` through the API and a real worker process: the file read back with poppler (pdftotext, pdfinfo,
 * pdffonts), independently of pdfkit. Every row's id and title in order, the page count against "page N of M",
 * every script of the README with embedded fonts, the row caps at request time (422) and at counting.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { nastyStrings } from '@app/infrastructure';
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
import { describeWithPoppler, pdfFonts, pdfInfo, pdfText, squeezed } from '../support/pdf-tools';
import {
  builtAppEnvironment,
  emptyRedisDb,
  redisUrlWithDb,
  type RunningWorker,
  startWorker,
} from '../support/worker';

jest.setTimeout(90_000);

const REDIS_DB = 2;
/** The API lets up to 50 rows through; the worker, started with a lower cap, fails 41..50 at counting. */
const API_CAP = 50;
const WORKER_CAP = 40;

/**
 * One title per script the README claims, then the nasty strings (the 40,000-character one runs over pages). The
 * right-to-left ones hold no punctuation: where a neutral goes between RTL words is pdftotext's guess, not ours.
 */
const SCRIPTS = [
  'Latin: Ünïcödé café',
  'Кириллица: вход не работает',
  'Ελληνικά: η εξαγωγή αποτυγχάνει',
  'עברית ההזמנה לא נשלחה',
  'العربية الطلب لم يصل',
  '中文：票务导出失败',
  '한국어 내보내기 실패',
  '日本語：エクスポートに失敗しました',
];
const TITLES = [...SCRIPTS, ...nastyStrings()];

interface Job {
  id: string;
  status: string;
  error: { code: string; message: string } | null;
  file: { name: string; rowCount: number } | null;
  links: { self: string; download?: string };
}

const pad = (i: number): string => String(i).padStart(3, '0');
/** Each exported title starts with its row's marker, so its first line tells which row it is. */
const titleOf = (i: number): string => `T${pad(i)} ${TITLES[i]}`;

describeWithPoppler('PDF exports (API + worker process, local storage, read back with poppler)', () => {
  let api: StartedApi;
  let worker: RunningWorker;
  let workerEnv: Record<string, string>;
  let pool: Pool;
  let acme: TestTenant;
  let admin: Record<string, string>;
  /** Ids of the `open` tickets, in id order: the rows of the main export. */
  let openIds: string[];

  beforeAll(async () => {
    pool = testPool();
    acme = await createTestTenant(pool);
    openIds = await insertTickets(
      pool,
      acme,
      TITLES.map((_, i) => aTicket({ title: titleOf(i), status: 'open' })),
    );
    // 38 open, 12 pending, 12 solved: open + pending (50) passes the API's cap and not the worker's.
    await insertTickets(pool, acme, [
      ...Array.from({ length: 12 }, (_, i) => aTicket({ title: `pending ${i}`, status: 'pending' })),
      ...Array.from({ length: 12 }, (_, i) => aTicket({ title: `solved ${i}`, status: 'solved' })),
    ]);
    const redisUrl = await emptyRedisDb(REDIS_DB);
    api = await startApi({
      env: { REDIS_URL: redisUrl, EXPORT_PDF_MAX_ROWS: String(API_CAP) },
      queueModule: (config) => QueueModule.forRoot(config),
    });
    workerEnv = {
      REDIS_URL: redisUrl,
      STORAGE_DRIVER: 'local',
      STORAGE_LOCAL_DIR: api.storageDir,
      EXPORT_PDF_MAX_ROWS: String(WORKER_CAP),
      EXPORT_PDF_PAGE_SIZE: 'letter',
    };
    worker = await startWorker({ env: workerEnv });
    admin = bearer(tokenFor(api.config, acme, 'admin'));
  });

  afterAll(async () => {
    await worker?.stop();
    await cancelActiveJobs(pool, [acme.id]);
    await api?.close();
    await pool.end();
  });

  const statusIn = (...values: string[]) => ({
    and: [{ field: 'status', operator: 'is_any_of', values }],
  });

  async function create(body: Record<string, unknown>): Promise<request.Response> {
    return request(api.baseUrl)
      .post('/export-jobs')
      .set(admin)
      .send({ format: 'pdf', ...body });
  }

  async function finished(id: string): Promise<Job> {
    return eventually(
      async () => (await request(api.baseUrl).get(`/export-jobs/${id}`).set(admin)).body as Job,
      (job) => !['queued', 'running'].includes(job.status),
      60_000,
    );
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

  describe('a view of 38 rows over several pages', () => {
    let job: Job;
    let bytes: Buffer;
    let headers: Record<string, string>;
    let text: string;

    beforeAll(async () => {
      const created = await create({
        viewId: acme.viewIds['All tickets'],
        columns: ['id', 'title'],
        filters: statusIn('open'),
        sort: [{ field: 'id', direction: 'asc' }],
        timezone: 'Asia/Tokyo',
      });
      expect(created.status).toBe(202);
      job = await finished((created.body as Job).id);
      expect(job).toMatchObject({ status: 'completed', error: null, file: { rowCount: TITLES.length } });
      ({ bytes, headers } = await download(job));
      text = pdfText(bytes);
    });

    it('downloads as application/pdf with a .pdf file name', () => {
      expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(headers['content-type']).toBe('application/pdf');
      expect(headers['content-disposition']).toMatch(/^attachment; filename="[^"]+\.pdf"/);
      expect(job.file?.name).toMatch(/\.pdf$/);
      expect(headers['content-length']).toBe(String(bytes.length));
    });

    it('opens with the title block: view, requester, snapshot in the job zone, filters and sort', () => {
      const head = text.slice(0, text.search(/^\s*Ticket ID\s+Title\s*$/m));
      expect(head).toContain('All tickets');
      expect(head).toContain(`Requested by ${acme.email('admin')}`);
      expect(head).toMatch(/Snapshot \d{4}-\d\d-\d\d \d\d:\d\d:\d\d Asia\/Tokyo \(UTC\+09:00\) · 38 tickets/);
      expect(head).toContain('Filters: Status is any of (open) · Sort: Ticket ID asc');
    });

    it('holds every row, id and whole title, in order, the header repeated on every page', () => {
      const pages = text.split('\f').filter((page) => page.trim() !== '');
      // Page furniture: the header row, "page N of M"; what is left is the rows' lines, in order.
      const body = pages
        .map((page) => {
          expect(page).toMatch(/^\s*Ticket ID\s+Title\s*$/m);
          return page
            .slice(page.search(/^\s*Ticket ID\s+Title\s*$/m))
            .replace(/^\s*Ticket ID\s+Title\s*$/m, '');
        })
        .join('\n')
        .replace(/^\s*page \d+ of \d+\s*$/gm, '');
      const starts = openIds.map((id, i) => {
        const match = new RegExp(`^\\s*${id}\\s+T${pad(i)}\\b`, 'm').exec(body);
        expect(match).not.toBeNull();
        return match?.index ?? -1;
      });
      expect(starts).toEqual([...starts].sort((a, b) => a - b));
      starts.forEach((start, i) => {
        const end = i + 1 < starts.length ? starts[i + 1] : body.length;
        const row = squeezed(body.slice(start, end)).slice(openIds[i].length);
        // Tabs and line breaks (drawn as spaces and new lines) are whitespace, which squeezed() drops.
        expect(row).toBe(squeezed(titleOf(i)));
      });
    });

    it('numbers every page "page N of M" with M the page count, on the letter size the worker was given', () => {
      const { pages, width, height } = pdfInfo(bytes);
      expect(pages).toBeGreaterThanOrEqual(3); // the 40,000-character title alone fills two
      expect([width, height]).toEqual([792, 612]); // letter, landscape
      const footers = [...text.matchAll(/page (\d+) of (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
      expect(footers).toEqual(Array.from({ length: pages }, (_, i) => [i + 1, pages]));
    });

    it('draws every script with embedded fonts that map back to Unicode', () => {
      const squeezedText = squeezed(text);
      for (const title of SCRIPTS) expect(squeezedText).toContain(squeezed(title));
      const fonts = pdfFonts(bytes);
      expect(fonts.map((f) => f.name).sort()).toEqual([
        'DejaVuSansCondensed',
        'DejaVuSansCondensed-Bold',
        'NotoEmoji-Regular',
        'NotoSansKR-Regular',
        'NotoSansSC-Regular',
      ]);
      expect(fonts.every((f) => f.embedded && f.unicode)).toBe(true);
    });
  });

  it('lists pdf in GET /export-sources and in the OpenAPI document', async () => {
    const sources = await request(api.baseUrl).get('/export-sources').set(admin);
    expect(sources.status).toBe(200);
    expect((sources.body as { items: { formats: string[] }[] }).items[0].formats).toContain('pdf');
    const openapi = await request(api.baseUrl).get('/docs-json');
    expect(JSON.stringify(openapi.body)).toContain('EXPORT_JOB.TOO_LARGE');
  });

  it('lets only users with the export permission request a PDF', async () => {
    const viewer = bearer(tokenFor(api.config, acme, 'viewer'));
    const refused = await request(api.baseUrl).post('/export-jobs').set(viewer).send({ format: 'pdf' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it(`refuses more rows than EXPORT_PDF_MAX_ROWS with 422 EXPORT_JOB.TOO_LARGE, creating no job`, async () => {
    const before = await pool.query('SELECT count(*) FROM export_jobs WHERE tenant_id = $1', [acme.id]);
    const refused = await create({ filters: statusIn('open', 'pending', 'solved') });
    expect(refused.status).toBe(422);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 422, code: 'EXPORT_JOB.TOO_LARGE' });
    expect((refused.body as { detail: string }).detail).toMatch(
      /^PDF exports hold at most 50 rows and this one has more\. Export it as CSV/,
    );
    const after = await pool.query('SELECT count(*) FROM export_jobs WHERE tenant_id = $1', [acme.id]);
    expect(after.rows).toEqual(before.rows);
    // The same rows as CSV are no problem.
    expect((await create({ format: 'csv', filters: statusIn('open', 'pending', 'solved') })).status).toBe(
      202,
    );
  });

  it('fails a job whose snapshot counts more than the worker cap at counting, with EXPORT_JOB.TOO_LARGE', async () => {
    const created = await create({ filters: statusIn('open', 'pending') });
    expect(created.status).toBe(202);
    const job = await finished((created.body as Job).id);
    expect(job).toMatchObject({ status: 'failed', file: null, error: { code: 'EXPORT_JOB.TOO_LARGE' } });
    expect(job.error?.message).toMatch(/^PDF exports hold at most 40 rows/);
    const { rows } = await pool.query<{ attempts: number }>(
      'SELECT attempts FROM export_jobs WHERE id = $1',
      [job.id],
    );
    expect(rows[0].attempts).toBe(1);
  });

  it('a worker given a bad EXPORT_PDF_PAGE_SIZE stops at start, naming it', () => {
    const main = join(__dirname, '..', '..', 'dist', 'apps', 'worker', 'src', 'main.js');
    const run = spawnSync(process.execPath, [main], {
      env: builtAppEnvironment({ REDIS_URL: redisUrlWithDb(REDIS_DB), EXPORT_PDF_PAGE_SIZE: 'a3' }),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr + run.stdout).toMatch(/Invalid configuration: EXPORT_PDF_PAGE_SIZE .*a4.*letter/);
    expect(run.stdout).not.toContain('worker started');
  });

  it('cancels and retries a PDF job like any other', async () => {
    // Without a worker the job stays queued, so the cancel always finds it active (12 rows take a worker no time).
    await worker.stop();
    let id: string;
    try {
      const created = await create({ filters: statusIn('pending') });
      expect(created.status).toBe(202);
      id = (created.body as Job).id;
      const cancelled = await request(api.baseUrl).post(`/export-jobs/${id}/cancel`).set(admin);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ id, status: 'cancelled' });
    } finally {
      worker = await startWorker({ env: workerEnv });
    }
    expect(await finished(id)).toMatchObject({ status: 'cancelled', file: null });
    const retried = await request(api.baseUrl).post(`/export-jobs/${id}/retry`).set(admin);
    expect(retried.status).toBe(202);
    const again = await finished((retried.body as Job).id);
    expect(again).toMatchObject({ status: 'completed', file: { rowCount: 12 } });
    const { bytes } = await download(again);
    expect(pdfText(bytes)).toContain('pending 11');
  });
});
