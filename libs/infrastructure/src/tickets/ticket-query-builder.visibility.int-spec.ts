import { ACME } from '@app/infrastructure/seed/reference-data';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import { aTicket, createTestTenant } from '../../../../test/support/factories';
import { at, type Filters, Fixture, request } from './testing/ticket-query-fixture';

describe('TicketQueryBuilder against PostgreSQL', () => {
  let pool: Pool;

  beforeAll(() => {
    pool = testPool();
  });

  afterAll(async () => {
    await pool.end();
  });

  describe('deleted tickets and the export cutoff', () => {
    const cutoff = at('2026-05-20T00:00:00Z');
    const tickets = {
      d1: aTicket({ creationTime: at('2026-05-01T00:00:00Z') }),
      d2: aTicket({ creationTime: at('2026-05-01T00:00:00Z'), deletedAt: at('2026-05-10T00:00:00Z') }),
      d3: aTicket({ creationTime: at('2026-05-01T00:00:00Z'), deletedAt: at('2026-05-20T00:00:00Z') }),
      d4: aTicket({ creationTime: at('2026-05-01T00:00:00Z'), deletedAt: at('2026-05-20T00:00:00.001Z') }),
      d5: aTicket({ creationTime: at('2026-05-20T00:00:00Z') }),
      d6: aTicket({ creationTime: at('2026-05-20T00:00:00.001Z') }),
      d7: aTicket({ creationTime: at('2026-05-21T00:00:00Z'), deletedAt: at('2026-05-22T00:00:00Z') }),
    };
    let fx: Fixture<keyof typeof tickets>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
    });

    it('the live list leaves out soft-deleted tickets', async () => {
      expect(await fx.find({})).toEqual(['d1', 'd5', 'd6']);
    });

    it('with a cutoff: created at or before it, and not deleted or deleted after it', async () => {
      expect(await fx.find({}, { cutoff })).toEqual(['d1', 'd4', 'd5']);
    });

    it('the cutoff applies together with the conditions', async () => {
      const filters: Filters = { and: [{ field: 'id', operator: 'gte', value: fx.ids.d4 }] };
      expect(await fx.find(filters, { cutoff })).toEqual(['d4', 'd5']);
    });
  });

  describe('tenant isolation', () => {
    // Another tenant whose priorities run the other way round: a comparison must use the querying tenant's order.
    const reversed = {
      ...ACME,
      priorities: ACME.priorities.map((p) => ({ ...p, sortOrder: 50 - p.sortOrder })),
    };
    const tickets = (prefix: string) => ({
      low: aTicket({ title: `${prefix} shared words`, priority: 'low' }),
      normal: aTicket({ title: `${prefix} shared words`, priority: 'normal' }),
      high: aTicket({ title: `${prefix} shared words`, priority: 'high' }),
      urgent: aTicket({ title: `${prefix} shared words`, priority: 'urgent', team: 'Billing' }),
    });
    type Name = keyof ReturnType<typeof tickets>;
    let mine: Fixture<Name>;
    let theirs: Fixture<Name>;

    beforeAll(async () => {
      mine = await Fixture.create(pool, tickets('alpha'));
      theirs = await Fixture.create(pool, tickets('beta'), await createTestTenant(pool, reversed));
    });

    it("never lists another tenant's tickets", async () => {
      expect(await mine.find({})).toEqual(['low', 'normal', 'high', 'urgent']);
      expect(await theirs.find({})).toEqual(['low', 'normal', 'high', 'urgent']);
      expect(await mine.list(request({ search: 'shared words' }))).toEqual([
        'low',
        'normal',
        'high',
        'urgent',
      ]);
      expect(await mine.list(request({ search: 'beta' }))).toEqual([]);
    });

    it("compares priorities by the querying tenant's own order", async () => {
      const aboveHigh: Filters = { and: [{ field: 'priority', operator: 'gt', value: 'high' }] };
      expect(await mine.find(aboveHigh)).toEqual(['urgent']);
      expect(await theirs.find(aboveHigh)).toEqual(['low', 'normal']);
    });

    it("finds nothing by another tenant's ids", async () => {
      expect(await mine.find({ and: [{ field: 'id', operator: 'eq', value: theirs.ids.high }] })).toEqual([]);
      expect(await mine.list(request({ search: `#${theirs.ids.high}` }))).toEqual([]);
      const team: Filters = {
        and: [{ field: 'team', operator: 'is', value: theirs.tenant.teamIds.Billing }],
      };
      expect(await mine.find(team)).toEqual([]);
      expect(await theirs.find(team)).toEqual(['urgent']);
    });
  });
});
