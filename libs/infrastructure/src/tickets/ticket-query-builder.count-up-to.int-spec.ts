import { DEFAULT_TICKET_QUERY, type TicketQuery } from '@app/domain';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import {
  aTicket,
  createTestTenant,
  insertTickets,
  type TestTenant,
} from '../../../../test/support/factories';
import { TicketQueryBuilder } from './ticket-query-builder';

/** countUpTo, the row cap's count at request time: the exact count, stopped at the limit. */
describe('TicketQueryBuilder.countUpTo', () => {
  let pool: Pool;
  let tenant: TestTenant;

  beforeAll(async () => {
    pool = testPool();
    tenant = await createTestTenant(pool);
    await insertTickets(pool, tenant, [
      ...Array.from({ length: 8 }, () => aTicket({ status: 'open' })),
      ...Array.from({ length: 4 }, () => aTicket({ status: 'solved' })),
      aTicket({ status: 'open', deletedAt: new Date('2026-06-02T00:00:00Z') }),
    ]);
  });

  afterAll(() => pool.end());

  const open: TicketQuery = {
    ...DEFAULT_TICKET_QUERY,
    conditions: [{ and: [{ field: 'status', operator: 'is_any_of', values: ['open'] }], or: [] }],
  };

  it.each([
    ['all tickets', DEFAULT_TICKET_QUERY, 12],
    ['open tickets', open, 8],
  ])('counts %s exactly up to the limit, and the limit beyond it', async (_name, query, matching) => {
    const builder = new TicketQueryBuilder(query, {
      tenantId: tenant.id,
      me: tenant.userId('admin'),
      now: new Date('2026-07-01T00:00:00Z'),
      timezone: 'UTC',
    });
    const count = async (limit: number): Promise<number> => {
      const sql = builder.countUpTo(limit);
      const { rows } = await pool.query<{ count: string }>(sql.text, sql.values);
      return Number(rows[0].count);
    };
    for (const limit of [1, matching - 1, matching, matching + 1, 10_001])
      expect(await count(limit)).toBe(Math.min(matching, limit));
  });
});
