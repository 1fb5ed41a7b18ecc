import { DEFAULT_TICKET_QUERY, type TicketQuery } from '@app/domain';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { insertBulkTickets } from '../../../../../test/support/bulk-tickets';
import { testDataSource, testPool } from '../../../../../test/support/database';
import {
  aTicket,
  createTestTenant,
  insertTickets,
  type TestTenant,
} from '../../../../../test/support/factories';
import { TypeormTicketCounter } from './typeorm-ticket-counter';

/** The API's cheap count of a format's row cap: the export's rows, stopped at `atMost`, within a time limit. */
describe('TypeormTicketCounter', () => {
  let pool: Pool;
  let dataSource: DataSource;
  let tenant: TestTenant;
  let big: TestTenant;
  const now = new Date();

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    tenant = await createTestTenant(pool);
    await insertTickets(pool, tenant, [
      ...Array.from({ length: 5 }, () => aTicket({ status: 'open' })),
      ...Array.from({ length: 3 }, () => aTicket({ status: 'solved' })),
      aTicket({ status: 'open', deletedAt: new Date(now.getTime() - 60_000) }),
      aTicket({ status: 'open', creationTime: new Date(now.getTime() + 3_600_000) }),
    ]);
    big = await createTestTenant(pool);
    await insertBulkTickets(pool, big, { count: 30_000, createdBefore: new Date(now.getTime() - 60_000) });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await pool?.end();
  });

  const request = (of: TestTenant, query: TicketQuery = DEFAULT_TICKET_QUERY) => ({
    tenantId: of.id,
    me: of.userId('admin'),
    query,
    timezone: 'UTC',
    now,
  });
  const open: TicketQuery = {
    ...DEFAULT_TICKET_QUERY,
    conditions: [{ and: [{ field: 'status', operator: 'is', value: 'open' }], or: [] }],
  };

  it("counts the export's rows: the query's, of the tenant, created by now and not deleted", async () => {
    const counter = new TypeormTicketCounter(dataSource);
    await expect(counter.countAtMost(request(tenant), 1000)).resolves.toBe(8);
    await expect(counter.countAtMost(request(tenant, open), 1000)).resolves.toBe(5);
  });

  it('stops at atMost', async () => {
    const counter = new TypeormTicketCounter(dataSource);
    await expect(counter.countAtMost(request(tenant), 6)).resolves.toBe(6);
    await expect(counter.countAtMost(request(big), 1001)).resolves.toBe(1001);
  });

  it('answers null when the count takes longer than its time limit', async () => {
    const counter = new TypeormTicketCounter(dataSource, 1);
    await expect(counter.countAtMost(request(big), 1_000_000)).resolves.toBeNull();
  });
});
