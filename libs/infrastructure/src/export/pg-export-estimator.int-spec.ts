import { DEFAULT_TICKET_QUERY, type ExportJobQuery } from '@app/domain';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import { insertBulkTickets } from '../../../../test/support/bulk-tickets';
import {
  aTicket,
  createTestTenant,
  insertTickets,
  type TestTenant,
} from '../../../../test/support/factories';
import { DEFAULT_ESTIMATE_LIMITS, PgExportEstimator } from './pg-export-estimator';

const query = (overrides: Partial<ExportJobQuery> = {}): ExportJobQuery => ({
  ...DEFAULT_TICKET_QUERY,
  viewId: null,
  viewName: null,
  timezone: 'UTC',
  fileName: null,
  ...overrides,
});

/** The paths an estimate takes besides the exact one the e2e spec checks against real files. */
describe('PgExportEstimator', () => {
  let pool: Pool;
  let tenant: TestTenant;
  let empty: TestTenant;
  let tail: TestTenant;

  beforeAll(async () => {
    pool = testPool();
    [tenant, empty, tail] = await Promise.all([
      createTestTenant(pool),
      createTestTenant(pool),
      createTestTenant(pool),
    ]);
    await insertBulkTickets(pool, tenant, { count: 300, createdBefore: new Date(), descriptionLength: 50 });
    // 300 ordinary rows and one with a 60 KB title: a 200-row sample holds it (and weighs it 1/200 instead of
    // 1/301) or misses it; either way its bytes per row are far off without the correction.
    await insertBulkTickets(pool, tail, { count: 300, createdBefore: new Date() });
    await insertTickets(pool, tail, [aTicket({ title: 'long title '.repeat(5500) })]);
    await insertTickets(pool, tenant, [aTicket({ title: 'Deleted', deletedAt: new Date() })]);
  });

  afterAll(async () => {
    await pool.end();
  });

  const estimate = (
    limits: Partial<typeof DEFAULT_ESTIMATE_LIMITS>,
    of: TestTenant = tenant,
    q: ExportJobQuery = query(),
  ) =>
    new PgExportEstimator(pool, { ...DEFAULT_ESTIMATE_LIMITS, ...limits }).estimate({
      tenantId: of.id,
      requesterId: of.userId('admin'),
      now: new Date(),
      query: q,
    });

  it('counts exactly, leaving out deleted tickets, and scales the sample to every row', async () => {
    const counted = await estimate({});
    expect(counted).toMatchObject({ rows: 300, rowsExact: true });
    // 200 of 300 rows sampled: every format's size grows with the rows, CSV the smallest of the three.
    expect(counted.bytes.csv).toBeGreaterThan(300 * 50);
    expect(counted.bytes.json).toBeGreaterThan(counted.bytes.csv);
  });

  it("takes the planner's estimate when it expects more rows than may be counted", async () => {
    const planned = await estimate({ exactCountMaxPlannedRows: 0 });
    expect(planned.rowsExact).toBe(false);
    expect(planned.rows).toBeGreaterThan(0);
    expect(planned.bytes.csv).toBeGreaterThan(0);
  });

  it('takes the first rows a scan meets when random pages hold too few matches', async () => {
    const spread = await estimate({ samplePageRows: 1 });
    const first = await estimate({ samplePageRows: Number.MAX_SAFE_INTEGER });
    expect(spread.rows).toBe(300);
    // Bulk rows differ only by their number's digits: any sample gives nearly the same size.
    expect(Math.abs(spread.bytes.csv - first.bytes.csv) / first.bytes.csv).toBeLessThan(0.05);
  });

  it('corrects the sample for a few very long values by the mean length of all the rows', async () => {
    const exact = await estimate({ sampleRows: 10_000 }, tail);
    const corrected = await estimate({}, tail);
    const uncorrected = await estimate({ tailTimeoutMs: 0 }, tail);
    expect(exact).toMatchObject({ rows: 301, rowsExact: true });
    for (const format of ['csv', 'json', 'ndjson'] as const) {
      expect(Math.abs(corrected.bytes[format] - exact.bytes[format]) / exact.bytes[format]).toBeLessThan(
        0.02,
      );
      expect(Math.abs(uncorrected.bytes[format] - exact.bytes[format]) / exact.bytes[format]).toBeGreaterThan(
        0.1,
      );
    }
  });

  it('answers the fixed part of each file for no rows', async () => {
    const none = await estimate({}, empty);
    expect(none).toEqual({
      rows: 0,
      rowsExact: true,
      bytes: expect.objectContaining({ json: Buffer.byteLength('[]\n'), ndjson: 0 }) as unknown,
    });
    // BOM + the header of the default columns + CRLF.
    expect(none.bytes.csv).toBe(
      3 + Buffer.byteLength('Ticket ID,Title,Status,Priority,Category,Contact,Assignee,Team,Created\r\n'),
    );
  });

  it('counts a selection: ids of the tenant only', async () => {
    const { rows } = await pool.query<{ id: string }>(
      'SELECT id FROM tickets WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY id LIMIT 3',
      [tenant.id],
    );
    const ids = rows.map((r) => Number(r.id));
    const selected = await estimate({}, tenant, query({ ticketIds: [...ids, Number.MAX_SAFE_INTEGER] }));
    expect(selected).toMatchObject({ rows: 3, rowsExact: true });
  });
});
