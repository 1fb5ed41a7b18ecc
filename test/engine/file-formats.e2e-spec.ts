/**
 * Redis database 5 (one per engine spec file, so workers of different files never take each other's jobs).
 *
 * CSV, JSON and NDJSON round trips through a real worker process: tickets carrying every string of
 * nasty-strings.json in every text field, exported and read back through the storage adapter, compared cell by
 * cell with the database values formatted as CONTRACT §6 says.
 */
import { nastyStrings } from '@app/infrastructure';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExportJob, exportFileName, TICKET_COLUMNS, type TicketColumnKey } from '@app/domain';
import { EngineHarness, findView, type StoredView } from '../support/engine-harness';
import {
  columnsOf,
  expectedCsvRecord,
  expectedJsonObject,
  formulaGuarded,
  listRows,
} from '../support/expected-files';
import { readCsv, readJson, readNdjson, sha256 } from '../support/file-readers';
import { aTicket, createTestTenant, insertTickets, type TestTenant } from '../support/factories';
import { redisUrlWithDb, startWorker, type RunningWorker } from '../support/worker';

jest.setTimeout(60_000);

const STRINGS: readonly string[] = nastyStrings();
const ALL_COLUMNS: TicketColumnKey[] = TICKET_COLUMNS.map((c) => c.key);

/** Dates on both sides of a DST change and of a day boundary in the zones used below, with fractions of a second. */
const WINTER = new Date('2026-01-15T08:05:09.999Z');
const SUMMER = new Date('2026-07-15T23:59:59.123Z');

describe('export file formats (worker process, local storage)', () => {
  let dir: string;
  let env: Record<string, string>;
  let engine: EngineHarness;
  let worker: RunningWorker;
  let tenant: TestTenant;
  let view: StoredView;
  /** Ticket id -> the nasty string it carries. */
  const stringOf = new Map<string, string>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'engine-formats-'));
    env = { REDIS_URL: redisUrlWithDb(5), STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: dir };
    engine = await EngineHarness.open(env);
    tenant = await createTestTenant(engine.pool);
    view = await findView(engine.pool, tenant, 'All tickets');
    const ids = await insertTickets(engine.pool, tenant, [
      ...STRINGS.map((s, i) =>
        aTicket({
          title: s,
          description: s,
          category: s,
          tags: [s],
          contact: { name: s, email: s },
          slaStatus: s,
          language: s,
          status: i % 2 === 0 ? 'open' : 'solved',
          priority: i % 3 === 0 ? null : 'high',
          assignee: i % 4 === 0 ? null : 'grace.hopper',
          team: i % 5 === 0 ? null : 'Billing',
          createdBy: i % 6 === 0 ? null : 'admin',
          creationTime: new Date(WINTER.getTime() + i * 60_000),
          lastModificationTime: i % 2 === 0 ? SUMMER : null,
          resolvedAt: i % 3 === 0 ? SUMMER : null,
          closedAt: i % 3 === 1 ? WINTER : null,
          slaDueAt: i % 2 === 1 ? SUMMER : null,
        }),
      ),
      aTicket({ title: 'every nasty string as a tag', tags: [...STRINGS], creationTime: SUMMER }),
      aTicket({
        title: 'nothing set',
        description: '',
        priority: null,
        category: null,
        createdBy: null,
        language: null,
        creationTime: WINTER,
      }),
    ]);
    ids.slice(0, STRINGS.length).forEach((id, i) => stringOf.set(id, STRINGS[i]));
    worker = await startWorker({ env });
  });

  afterAll(async () => {
    await worker?.kill();
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Requests the export, waits until it completed, and returns the job with its file read back from storage. */
  async function exportAll(
    format: 'csv' | 'json' | 'ndjson',
    timezone: string,
    refinement: { search?: string } = {},
    fileName: string | null = null,
  ): Promise<{ job: ExportJob; bytes: Buffer }> {
    const job = await engine.requestExport({
      tenant,
      view,
      format,
      timezone,
      fileName,
      refinement: { columns: ALL_COLUMNS, ...refinement },
    });
    const row = await engine.finished(tenant, job.id);
    expect(row).toMatchObject({ status: 'completed', percent: 100, attempts: 1, errorCode: null });
    const file = await engine.readFile(tenant, job.id);
    const expectedRows = (await listRows(engine.pool, job)).length;
    expect(file.record).toMatchObject({
      name: exportFileName(job.toSnapshot()),
      sizeBytes: file.bytes.length,
      sha256: sha256(file.bytes),
      rowCount: expectedRows,
    });
    expect(row).toMatchObject({ rowsExported: expectedRows, totalRows: expectedRows });
    return { job, bytes: file.bytes };
  }

  it('CSV: BOM, label header, CRLF, RFC 4180 quoting; every cell equals the database value as the contract formats it', async () => {
    const { job, bytes } = await exportAll('csv', 'Asia/Kolkata', {}, 'nasty strings');
    expect(exportFileName(job.toSnapshot())).toMatch(/^nasty strings-\d{8}-\d{6}\.csv$/);
    const { header, records } = readCsv(bytes);
    const rows = await listRows(engine.pool, job);

    expect(header).toEqual(TICKET_COLUMNS.map((c) => c.label));
    expect(records).toHaveLength(STRINGS.length + 2);
    const columns = columnsOf(job);
    records.forEach((record, i) => {
      expect(record).toEqual(expectedCsvRecord(columns, rows[i], 'Asia/Kolkata'));
    });

    // The same cells checked against what was inserted, not only against what the database gives back.
    const cell = (record: string[], key: TicketColumnKey): string => record[ALL_COLUMNS.indexOf(key)];
    const carried = records.filter((r) => stringOf.has(cell(r, 'id')));
    expect(carried).toHaveLength(STRINGS.length);
    for (const record of carried) {
      const s = stringOf.get(cell(record, 'id')) ?? '';
      for (const key of ['title', 'description', 'category', 'tags', 'contactName', 'contactEmail'] as const)
        expect({ key, value: cell(record, key) }).toEqual({ key, value: formulaGuarded(s) });
    }
    const formulas = carried.filter((r) => /^[=+\-@\t\r]/.test(stringOf.get(cell(r, 'id')) ?? ''));
    expect(formulas).toHaveLength(7); // = + - @ tab CR, and the HYPERLINK formula
    for (const record of formulas) expect(cell(record, 'title').startsWith("'")).toBe(true);
    const allTags = records.find((r) => cell(r, 'title') === 'every nasty string as a tag');
    expect(allTags && cell(allTags, 'tags')).toBe(STRINGS.join(', '));
    // Written out literally: India has no DST, 08:05:09.999Z is 13:35:09 there, fractions dropped.
    const first = records.find((r) => cell(r, 'id') === [...stringOf.keys()][0]);
    expect(first && cell(first, 'creationTime')).toBe('2026-01-15T13:35:09+05:30');
    expect(first && cell(first, 'lastModificationTime')).toBe('2026-07-16T05:29:59+05:30');
    const nothing = records.find((r) => cell(r, 'title') === 'nothing set');
    expect(nothing && ALL_COLUMNS.filter((key) => cell(nothing, key) === '')).toEqual([
      'description',
      'priority',
      'category',
      'tags',
      'assigneeName',
      'assigneeEmail',
      'teamName',
      'contactName',
      'contactEmail',
      'createdByName',
      'lastModificationTime',
      'resolvedAt',
      'closedAt',
      'slaDueAt',
      'slaStatus',
      'language',
    ]);
  });

  it('JSON: one array of objects keyed by column key, with typed values and offsets of the zone on each date', async () => {
    const { job, bytes } = await exportAll('json', 'America/New_York');
    const objects = readJson(bytes);
    const rows = await listRows(engine.pool, job);
    const columns = columnsOf(job);

    expect(objects).toHaveLength(rows.length);
    objects.forEach((object, i) => {
      expect(Object.keys(object)).toEqual(ALL_COLUMNS);
      expect(object).toEqual(expectedJsonObject(columns, rows[i], 'America/New_York'));
    });
    for (const object of objects.filter((o) => stringOf.has(String(o.id)))) {
      const s = stringOf.get(String(object.id));
      expect(typeof object.id).toBe('number');
      expect(object).toMatchObject({ title: s, description: s, tags: [s], contactName: s, category: s });
    }
    const first = objects.find((o) => String(o.id) === [...stringOf.keys()][0]);
    expect(first).toMatchObject({
      creationTime: '2026-01-15T03:05:09-05:00',
      lastModificationTime: '2026-07-15T19:59:59-04:00',
      assigneeName: null,
      priority: null,
    });
    const nothing = objects.find((o) => o.title === 'nothing set');
    expect(nothing).toMatchObject({ tags: [], category: null, resolvedAt: null, createdByName: null });
  });

  it('NDJSON: one object per line, the same objects as JSON', async () => {
    const { job, bytes } = await exportAll('ndjson', 'UTC');
    const objects = readNdjson(bytes);
    const rows = await listRows(engine.pool, job);
    const columns = columnsOf(job);

    expect(objects).toHaveLength(rows.length);
    objects.forEach((object, i) => expect(object).toEqual(expectedJsonObject(columns, rows[i], 'UTC')));
    const first = objects.find((o) => String(o.id) === [...stringOf.keys()][0]);
    expect(first).toMatchObject({ creationTime: '2026-01-15T08:05:09+00:00' });
  });

  it.each([
    ['csv', `\ufeff${TICKET_COLUMNS.map((c) => c.label).join(',')}\r\n`],
    ['json', '[]\n'],
    ['ndjson', ''],
  ] as const)('an export without rows is a valid empty %s file', async (format, content) => {
    const { bytes } = await exportAll(format, 'UTC', { search: 'matches no ticket at all' });
    expect(bytes.toString('utf8')).toBe(content);
  });
});
