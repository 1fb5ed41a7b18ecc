import { buffer } from 'node:stream/consumers';
import { DEFAULT_TICKET_QUERY, type ExportJobQuery } from '@app/domain';
import { Pool, type PoolClient } from 'pg';
import { readConfig } from '../config/app-config';
import { insertBulkTickets } from '../../../../test/support/bulk-tickets';
import { createTestTenant, type TestTenant } from '../../../../test/support/factories';
import { PgExportFileSource } from './pg-export-file-source';

const query: ExportJobQuery = {
  ...DEFAULT_TICKET_QUERY,
  columns: ['id', 'title'],
  viewId: null,
  viewName: null,
  timezone: 'UTC',
  fileName: null,
};

/**
 * A pool whose `before` runs each time a connection is handed out after the first: the count's connection comes
 * second, after the snapshot was taken and the COPY sent.
 */
class HookedPool extends Pool {
  connections = 0;
  before: (() => Promise<void>) | null = null;

  override connect(): Promise<PoolClient>;
  override connect(callback: never): void;
  override connect(callback?: never): Promise<PoolClient> | void {
    if (callback) return super.connect(callback);
    const hook = ++this.connections > 1 ? this.before : null;
    return (hook ? hook() : Promise.resolve()).then(() => super.connect());
  }
}

/** The count in the COPY's snapshot, on a second connection; what a file that is never read leaves behind. */
describe('PgExportFileSource', () => {
  let pool: HookedPool;
  let other: Pool;
  let tenant: TestTenant;

  beforeAll(async () => {
    const connectionString = readConfig().databaseUrl;
    // Two connections: one attempt's COPY and its count. A connection that leaked would make the next open wait.
    pool = new HookedPool({ connectionString, max: 2 });
    other = new Pool({ connectionString, max: 1 });
    tenant = await createTestTenant(other);
    await insertBulkTickets(other, tenant, { count: 500, createdBefore: new Date(Date.now() - 60_000) });
  });

  afterAll(async () => {
    await pool.end();
    await other.end();
  });

  const open = (source = new PgExportFileSource(pool, 100, { longQueryTimeoutMs: 30_000 })) =>
    source.open({
      source: 'tickets',
      tenantId: tenant.id,
      requesterId: tenant.userId('admin'),
      requesterEmail: tenant.email('admin'),
      requestedAt: new Date(),
      query,
      format: 'csv',
    });

  it('counts in the snapshot of the rows: a ticket committed between the snapshot and the count is in neither', async () => {
    pool.connections = 0;
    pool.before = async () => {
      await insertBulkTickets(other, tenant, { count: 7, createdBefore: new Date(Date.now() - 60_000) });
    };
    try {
      const file = await open();
      const text = (await buffer(file.bytes())).toString('utf8');
      await file.close();
      expect(pool.connections).toBe(2);
      expect(file.totalRows).toBe(500);
      expect(file.rowsRead).toBe(500);
      expect(text.split('\r\n').length - 2).toBe(500); // the header, and the empty string after the last CRLF
    } finally {
      pool.before = null;
    }
    const again = await open();
    expect(again.totalRows).toBe(507);
    await again.close();
  });

  it('a file closed without being read (a row cap, a cancel) gives both connections back', async () => {
    for (let i = 0; i < 3; i++) {
      const file = await open();
      await file.close();
    }
    const file = await open();
    expect(file.totalRows).toBe(507);
    expect((await buffer(file.bytes())).length).toBeGreaterThan(0);
    await file.close();
    expect(pool.totalCount).toBeLessThanOrEqual(2);
    expect(pool.waitingCount).toBe(0);
  });
});
