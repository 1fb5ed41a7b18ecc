import type { Pool } from 'pg';
import { testPool } from '../../../../../test/support/database';
import {
  aTicket,
  createTestTenant,
  insertTickets,
  type TestTenant,
  type TicketSpec,
} from '../../../../../test/support/factories';
import { Random } from '../../../../../test/support/random';
import { type AnalyticsRow, expectedAnalytics } from './testing/expected-analytics';
import {
  analyticsDayCount,
  type TicketAnalyticsInput,
  ticketAnalyticsRowCountSql,
  ticketAnalyticsSql,
} from './ticket-analytics-sql';

// PostgreSQL only (no Redis). Each describe creates its own tenant.
const TEAMS = ['Billing', 'Technical Support', 'Onboarding', 'Escalations', 'Customer Success'];
const at = (iso: string): Date => new Date(iso);
const HOUR = 3_600_000;

describe('ticketAnalyticsSql against PostgreSQL', () => {
  let pool: Pool;

  beforeAll(() => {
    pool = testPool();
  });
  afterAll(() => pool.end());

  const run = async (input: TicketAnalyticsInput): Promise<AnalyticsRow[]> => {
    const { text, values } = ticketAnalyticsSql(input);
    return (await pool.query<AnalyticsRow>(text, values)).rows;
  };
  const rowCount = async (input: TicketAnalyticsInput): Promise<number> => {
    const { text, values } = ticketAnalyticsRowCountSql(input);
    return Number((await pool.query<{ count: string }>(text, values)).rows[0].count);
  };

  describe('on a few hand-made tickets in Europe/Berlin', () => {
    // 2026-03-29 is the spring-forward day in Berlin (23 hours): UTC+1 before, UTC+2 after.
    let tenant: TestTenant;
    let input: TicketAnalyticsInput;
    const pick = (rows: AnalyticsRow[], date: string, team: string): AnalyticsRow => {
      const row = rows.find((r) => r.date === date && r.team === team);
      if (!row) throw new Error(`no row ${date} ${team}`);
      return row;
    };

    beforeAll(async () => {
      tenant = await createTestTenant(pool);
      input = {
        tenantId: tenant.id,
        timeZone: 'Europe/Berlin',
        from: '2026-03-28',
        to: '2026-03-30',
        snapshotAt: at('2026-03-30T12:00:00Z'),
      };
      await insertTickets(pool, tenant, [
        // 23:30 local on the 28th (22:30Z): the 28th, though 00:30 Berlin on the 30th is 22:30Z on the 29th.
        aTicket({ team: 'Billing', creationTime: at('2026-03-28T22:30:00Z') }),
        aTicket({ team: 'Billing', creationTime: at('2026-03-29T22:30:00Z') }),
        // Created before the range, resolved 10 and 30 hours later on the 29th, closed on the 30th.
        aTicket({
          team: 'Billing',
          creationTime: at('2026-03-29T00:00:00Z'),
          resolvedAt: at('2026-03-29T10:00:00Z'),
          closedAt: at('2026-03-30T08:00:00Z'),
        }),
        aTicket({
          team: 'Billing',
          creationTime: at('2026-03-28T05:00:00Z'),
          resolvedAt: at('2026-03-29T11:00:00Z'),
        }),
        // Open since before the range; its SLA was due on the 29th and it was resolved after that.
        aTicket({
          team: 'Escalations',
          creationTime: at('2026-03-01T09:00:00Z'),
          slaDueAt: at('2026-03-29T09:00:00Z'),
          resolvedAt: at('2026-03-30T11:00:00Z'),
        }),
        // Resolved in time: no breach. Closed before the range: in no row at all.
        aTicket({
          team: 'Escalations',
          creationTime: at('2026-03-28T09:00:00Z'),
          slaDueAt: at('2026-03-28T20:00:00Z'),
          resolvedAt: at('2026-03-28T19:00:00Z'),
        }),
        aTicket({
          team: 'Escalations',
          creationTime: at('2026-02-01T09:00:00Z'),
          closedAt: at('2026-02-02T09:00:00Z'),
        }),
        // Deleted by the snapshot, created after it, closed after it, without a team.
        aTicket({
          team: 'Billing',
          creationTime: at('2026-03-28T12:00:00Z'),
          deletedAt: at('2026-03-29T12:00:00Z'),
        }),
        aTicket({ team: 'Billing', creationTime: at('2026-03-30T12:00:01Z') }),
        aTicket({
          team: 'Technical Support',
          creationTime: at('2026-03-29T12:00:00Z'),
          closedAt: at('2026-03-30T13:00:00Z'),
          slaDueAt: at('2026-03-30T14:00:00Z'),
        }),
        aTicket({ team: null, creationTime: at('2026-03-30T06:00:00Z') }),
      ]);
    });

    it('yields every day x team, named teams by name and the no-team row last, zeros included', async () => {
      const rows = await run(input);

      expect(rows.map((r) => `${r.date} ${r.team}`)).toEqual(
        ['2026-03-28', '2026-03-29', '2026-03-30'].flatMap((d) =>
          [...[...TEAMS].sort(), ''].map((t) => `${d} ${t}`),
        ),
      );
      expect(rows.length).toBe(await rowCount(input));
      expect(rows.filter((r) => r.team === 'Onboarding')).toEqual(
        ['2026-03-28', '2026-03-29', '2026-03-30'].map((date) => ({
          date,
          team: 'Onboarding',
          created: 0,
          resolved: 0,
          closed: 0,
          median_resolution_hours: null,
          p90_resolution_hours: null,
          sla_breaches: 0,
          open_at_end_of_day: 0,
        })),
      );
    });

    it('counts by local day, in the snapshot, with percentiles of resolution hours and the open backlog', async () => {
      const rows = await run(input);

      expect(pick(rows, '2026-03-28', 'Billing')).toMatchObject({ created: 2, open_at_end_of_day: 2 });
      expect(pick(rows, '2026-03-29', 'Billing')).toMatchObject({
        created: 1,
        resolved: 2,
        median_resolution_hours: '20.00',
        p90_resolution_hours: '28.00',
        open_at_end_of_day: 3,
      });
      expect(pick(rows, '2026-03-30', 'Billing')).toMatchObject({
        created: 1,
        closed: 1,
        open_at_end_of_day: 3,
      });
      expect(pick(rows, '2026-03-29', 'Escalations')).toMatchObject({
        sla_breaches: 1,
        open_at_end_of_day: 2,
      });
      expect(pick(rows, '2026-03-28', 'Escalations')).toMatchObject({
        resolved: 1,
        sla_breaches: 0,
        median_resolution_hours: '10.00',
      });
      // Closed and due after the snapshot: neither has happened yet.
      expect(pick(rows, '2026-03-30', 'Technical Support')).toMatchObject({
        closed: 0,
        sla_breaches: 0,
        open_at_end_of_day: 1,
      });
      expect(pick(rows, '2026-03-30', '')).toMatchObject({ created: 1, open_at_end_of_day: 1 });
    });

    it('keeps only the teams asked for, without the no-team row', async () => {
      const filtered = { ...input, teamIds: [tenant.teamIds['Escalations']] };

      const rows = await run(filtered);

      expect(rows.map((r) => r.team)).toEqual(['Escalations', 'Escalations', 'Escalations']);
      expect(rows.map((r) => r.open_at_end_of_day)).toEqual([2, 2, 2]);
      expect(await rowCount(filtered)).toBe(3);
    });

    it('gives the same rows with its values read from settings, as a COPY (which takes no bind parameters) needs', async () => {
      const fromSetting = (i: number, type: string): string =>
        `NULLIF(current_setting('analytics_spec.p${i}'), '')::${type}`;
      const asSetting = (v: unknown): string =>
        v === null
          ? ''
          : Array.isArray(v)
            ? `{${v.join(',')}}`
            : typeof v === 'string'
              ? v
              : JSON.stringify(v);
      const { text, values } = ticketAnalyticsSql(input, fromSetting);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `SELECT ${values.map((_, i) => `set_config('analytics_spec.p${i + 1}', $${i + 1}, true)`).join(', ')}`,
          values.map(asSetting),
        );
        const viaSettings = await client.query<AnalyticsRow>(text);
        await client.query('COMMIT');

        expect(text).not.toMatch(/\$\d/);
        expect(viaSettings.rows).toEqual(await run(input));
      } finally {
        client.release();
      }
    });
  });

  describe('on random tickets, against an independent computation', () => {
    const random = new Random(16);
    let tenant: TestTenant;
    const tickets: TicketSpec[] = [];
    const snapshotAt = at('2026-03-31T10:00:00Z');

    /** Whole minutes after `from`, up to `maxHours`; some tickets land at 23:xx local on purpose. */
    const later = (from: Date, maxHours: number): Date =>
      new Date(from.getTime() + random.int(1, maxHours * 60) * 60_000);

    beforeAll(async () => {
      tenant = await createTestTenant(pool);
      const start = at('2026-02-20T00:00:00Z').getTime();
      for (let i = 0; i < 300; i += 1) {
        const creationTime = new Date(start + random.int(0, 50 * 24 * 60) * 60_000);
        if (i % 10 === 0) creationTime.setUTCHours(21 + (i % 3), 30, 0, 0); // 23:30 Berlin in summer or winter
        const resolvedAt = random.chance(0.6) ? later(creationTime, 120) : null;
        const closedAt = random.chance(0.5) ? later(resolvedAt ?? creationTime, 200) : null;
        tickets.push(
          aTicket({
            team: random.chance(0.15) ? null : random.pick(TEAMS.filter((t) => t !== 'Onboarding')),
            creationTime,
            resolvedAt,
            closedAt,
            slaDueAt: random.chance(0.8) ? later(creationTime, 72) : null,
            deletedAt: random.chance(0.05) ? later(creationTime, 400) : null,
          }),
        );
      }
      await insertTickets(pool, tenant, tickets);
    }, 120_000);

    it.each([
      ['Europe/Berlin', '2026-03-20', '2026-04-03'],
      ['America/New_York', '2026-03-01', '2026-03-15'],
      ['Asia/Kolkata', '2026-02-01', '2026-04-30'],
      ['UTC', '2026-03-24', '2026-03-31'],
    ])('in %s from %s to %s', async (timeZone, from, to) => {
      const input = { tenantId: tenant.id, timeZone, from, to, snapshotAt };

      const rows = await run(input);

      const expected = expectedAnalytics({
        tickets,
        teams: [...TEAMS, null],
        timeZone,
        from,
        to,
        snapshotAt,
      });
      expect(rows).toEqual(expected);
      expect(rows.some((r) => r.median_resolution_hours !== null && r.resolved > 2)).toBe(true);
      expect(rows.some((r) => r.sla_breaches > 0)).toBe(true);
      expect(rows.length).toBe(await rowCount(input));
    });

    it('sees the same history from a later snapshot, plus what happened since', async () => {
      const input = {
        tenantId: tenant.id,
        timeZone: 'Europe/Berlin',
        from: '2026-03-25',
        to: '2026-04-12',
        snapshotAt: new Date(snapshotAt.getTime() + 30 * 24 * HOUR),
      };

      const rows = await run(input);

      expect(rows).toEqual(expectedAnalytics({ tickets, teams: [...TEAMS, null], ...input }));
    });
  });

  it('refuses reversed ranges, ranges over 366 days and dates that do not exist', () => {
    const input = {
      tenantId: '00000000-0000-4000-8000-000000000000',
      timeZone: 'UTC',
      snapshotAt: at('2026-01-01T00:00:00Z'),
    };

    expect(analyticsDayCount('2024-01-01', '2024-12-31')).toBe(366);
    expect(() => ticketAnalyticsSql({ ...input, from: '2025-01-01', to: '2026-01-02' })).toThrow(/367 days/);
    expect(() => ticketAnalyticsSql({ ...input, from: '2026-01-02', to: '2026-01-01' })).toThrow(/after/);
    expect(() => ticketAnalyticsSql({ ...input, from: '2026-02-30', to: '2026-03-01' })).toThrow(
      /from must be a calendar date/,
    );
    expect(() => ticketAnalyticsRowCountSql({ ...input, from: '2026-01-01', to: '26-01-02' })).toThrow(
      /to must/,
    );
  });
});
