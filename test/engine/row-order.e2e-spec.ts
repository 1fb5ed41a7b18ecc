/**
 * Redis database 6 (one per engine spec file, so workers of different files never take each other's jobs).
 *
 * CONTRACT §4: an export of a view contains exactly the rows of the list the user sees, in the same order. Each
 * export here is compared, row by row and cell by cell, with `TicketQueryBuilder.select()` run unpaged with the
 * export's context (me = the requester, cutoff = requestedAt), over data full of ties and nulls on every sort key.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExportFormat, TicketQueryRefinement } from '@app/domain';
import { insertBulkTickets } from '../support/bulk-tickets';
import { EngineHarness, findView } from '../support/engine-harness';
import { columnsOf, expectedCsvRecord, expectedJsonObject, listRows } from '../support/expected-files';
import { readCsv, readJson, readNdjson } from '../support/file-readers';
import { createTestTenant, type TestTenant } from '../support/factories';
import { redisUrlWithDb, startWorker, type RunningWorker } from '../support/worker';

jest.setTimeout(60_000);

const HOUR = 3_600_000;

interface OrderCase {
  readonly name: string;
  readonly view: string | null;
  readonly requester?: string;
  readonly format: ExportFormat;
  readonly timezone?: string;
  readonly refinement?: TicketQueryRefinement;
}

const CASES: readonly OrderCase[] = [
  { name: 'All tickets (creationTime desc, ties)', view: 'All tickets', format: 'csv' },
  { name: 'Open tickets (priority desc nullable, creationTime asc)', view: 'Open tickets', format: 'ndjson' },
  {
    name: 'Urgent and high priority (lastModificationTime desc nullable)',
    view: 'Urgent and high priority',
    format: 'json',
  },
  {
    name: 'My open tickets as the agent (@me, slaDueAt asc nullable)',
    view: 'My open tickets',
    requester: 'agent',
    format: 'csv',
    timezone: 'Europe/Paris',
  },
  { name: 'Unassigned (creationTime asc)', view: 'Unassigned', format: 'csv' },
  {
    name: 'Billing and refunds (status asc, title asc; or-group)',
    view: 'Billing and refunds',
    format: 'json',
  },
  {
    name: 'no view, three desc levels of nullable fields with many ties',
    view: null,
    format: 'csv',
    refinement: {
      sort: [
        { field: 'category', direction: 'desc' },
        { field: 'priority', direction: 'desc' },
        { field: 'lastModificationTime', direction: 'desc' },
      ],
    },
  },
  {
    name: 'a view refined: columns, filters, search and mixed directions',
    view: 'All tickets',
    format: 'ndjson',
    timezone: 'America/New_York',
    refinement: {
      columns: ['id', 'title', 'slaStatus', 'slaDueAt', 'tags', 'assigneeName', 'language'],
      filters: { and: [{ field: 'tags', operator: 'is_any_of', values: ['refund', 'bug'] }], or: [] },
      search: 'ticket 1',
      sort: [
        { field: 'slaStatus', direction: 'desc' },
        { field: 'language', direction: 'asc' },
        { field: 'slaDueAt', direction: 'desc' },
      ],
    },
  },
  {
    name: 'sorted by title desc (text collation)',
    view: null,
    format: 'csv',
    refinement: { sort: [{ field: 'title', direction: 'desc' }], columns: ['id', 'title', 'teamName'] },
  },
];

describe('export rows and order equal the list query', () => {
  let dir: string;
  let engine: EngineHarness;
  let workers: RunningWorker[] = [];
  let tenant: TestTenant;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'engine-order-'));
    const env = { REDIS_URL: redisUrlWithDb(6), STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: dir };
    engine = await EngineHarness.open(env);
    tenant = await createTestTenant(engine.pool);
    const now = Date.now();
    // 6,000 tickets over 750 minutes (8 per minute), plus the edges of the export rule (CONTRACT §6). The tickets
    // go round the tenant's 10 users: the agent's open ones must still be many.
    await insertBulkTickets(engine.pool, tenant, {
      count: 6000,
      createdBefore: new Date(now - HOUR),
      spreadMinutes: 750,
    });
    await insertBulkTickets(engine.pool, tenant, {
      count: 50,
      titlePrefix: 'Created after the request',
      createdBefore: new Date(now + 48 * HOUR),
      spreadMinutes: 60,
    });
    await insertBulkTickets(engine.pool, tenant, {
      count: 50,
      titlePrefix: 'Deleted before the request',
      createdBefore: new Date(now - HOUR),
      deletedAt: new Date(now - HOUR / 2),
    });
    await insertBulkTickets(engine.pool, tenant, {
      count: 50,
      titlePrefix: 'Deleted after the request',
      createdBefore: new Date(now - HOUR),
      deletedAt: new Date(now + 24 * HOUR),
    });
    workers = await Promise.all([startWorker({ env }), startWorker({ env })]);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the export rule: created at or before requestedAt, not deleted or deleted after it', async () => {
    const job = await engine.requestExport({
      tenant,
      format: 'json',
      refinement: { columns: ['id', 'title'], sort: [{ field: 'id', direction: 'asc' }] },
    });
    await engine.finished(tenant, job.id);
    const titles = readJson((await engine.readFile(tenant, job.id)).bytes).map((o) => String(o.title));
    const count = (prefix: string): number => titles.filter((t) => t.startsWith(prefix)).length;

    expect(titles).toHaveLength(6050);
    expect(count('Bulk ticket ')).toBe(6000);
    expect(count('Deleted after the request ')).toBe(50);
    expect(count('Created after the request ')).toBe(0);
    expect(count('Deleted before the request ')).toBe(0);
  });

  it('exports every case with the list query rows, in its order', async () => {
    // All jobs queued at once: two workers with two slots each run them concurrently.
    const jobs = await Promise.all(
      CASES.map(async (c) =>
        engine.requestExport({
          tenant,
          requester: c.requester ?? 'admin',
          view: c.view === null ? null : await findView(engine.pool, tenant, c.view),
          format: c.format,
          timezone: c.timezone ?? 'UTC',
          refinement: c.refinement,
        }),
      ),
    );
    for (const [i, job] of jobs.entries()) {
      const { name, format } = CASES[i];
      const row = await engine.finished(tenant, job.id);
      expect({ name, status: row.status }).toEqual({ name, status: 'completed' });
      const rows = await listRows(engine.pool, job);
      const bytes = (await engine.readFile(tenant, job.id)).bytes;
      const columns = columnsOf(job);
      const timezone = job.toSnapshot().query.timezone;
      const ids = rows.map((r) => String(r.id));
      // The cases are chosen so that every one exports many rows, most of them tied on the first sort key.
      expect({ name, enough: rows.length >= 150 }).toEqual({ name, enough: true });
      expect(new Set(ids).size).toBe(ids.length);

      if (format === 'csv') {
        const { records } = readCsv(bytes);
        expect({ name, ids: records.map((r) => r[columns.findIndex((c) => c.key === 'id')]) }).toEqual({
          name,
          ids,
        });
        expect(records).toEqual(rows.map((r) => expectedCsvRecord(columns, r, timezone)));
      } else {
        const objects = format === 'json' ? readJson(bytes) : readNdjson(bytes);
        expect({ name, ids: objects.map((o) => String(o.id)) }).toEqual({ name, ids });
        expect(objects).toEqual(rows.map((r) => expectedJsonObject(columns, r, timezone)));
      }
    }
  });
});
