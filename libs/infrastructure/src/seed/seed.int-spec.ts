import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStoredView, SystemPermissions } from '@app/domain';
import { Pool } from 'pg';
import { scratchDatabase, type ScratchDatabase } from '../../../../test/support/database';
import { ticketAnalyticsSql } from '../export-sources/ticket-analytics/ticket-analytics-sql';
import { migrateDatabase } from '../persistence/data-source';
import { DEFAULT_SEED_ANCHOR, seedDatabase } from './seed';

const NASTY = (
  JSON.parse(readFileSync(join(__dirname, 'nasty-strings.json'), 'utf8')) as { strings: string[] }
).strings;

describe('seedDatabase', () => {
  let db: ScratchDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = scratchDatabase('seed');
    await migrateDatabase(db.url);
    pool = new Pool({ connectionString: db.url, max: 2 });
  }, 60_000);
  // Creating and dropping a database takes seconds on a busy machine.
  afterAll(async () => {
    await pool.end();
    await db.drop();
  }, 60_000);

  /** A digest of every seeded row of the tables the seed writes, in a stable order. */
  async function fingerprint(): Promise<string> {
    const { rows } = await pool.query<{ digest: string }>(`
      SELECT md5(string_agg(row_text, E'\\n' ORDER BY row_text)) AS digest FROM (
        SELECT t::text AS row_text FROM tickets t
        UNION ALL SELECT c::text FROM contacts c
        UNION ALL SELECT u::text FROM (SELECT id, tenant_id, email, name, is_admin, disabled_at FROM users) u
        UNION ALL SELECT r::text FROM roles r
        UNION ALL SELECT ur::text FROM user_roles ur
        UNION ALL SELECT a::text FROM audit_events a
        UNION ALL SELECT v::text FROM (SELECT id, tenant_id, owner_id, name, columns, conditions, sort FROM ticket_views) v
      ) all_rows`);
    return rows[0].digest;
  }

  it('gives the same rows every time for the same arguments', async () => {
    const first = await seedDatabase(pool, { tickets: 3000, reset: true, nastyStrings: NASTY });
    const digest = await fingerprint();
    await seedDatabase(pool, { tickets: 3000, reset: true, nastyStrings: NASTY });

    expect(first.tickets).toEqual({ acme: 3000, globex: 300 });
    expect(await fingerprint()).toBe(digest);
  }, 60_000);

  it('leaves an already seeded database alone without --reset', async () => {
    await seedDatabase(pool, { tickets: 3000, reset: true, nastyStrings: NASTY });
    const digest = await fingerprint();

    const again = await seedDatabase(pool, { tickets: 50, reset: false, nastyStrings: NASTY });

    expect(again.seeded).toBe(false);
    expect(again.tickets).toEqual({ acme: 3000, globex: 300 });
    expect(await fingerprint()).toBe(digest);
  }, 60_000);

  describe('the seeded data', () => {
    beforeAll(() => seedDatabase(pool, { tickets: 3000, reset: true, nastyStrings: NASTY }), 60_000);

    it('has the five identities of the contract', async () => {
      const { rows } = await pool.query<{
        email: string;
        tenant: string;
        is_admin: boolean;
        permissions: number;
      }>(`
        SELECT u.email, te.slug AS tenant, u.is_admin, bit_or(r.permissions) AS permissions
          FROM users u JOIN tenants te ON te.id = u.tenant_id
          JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id
         WHERE u.email IN ('admin@acme.test', 'agent@acme.test', 'viewer@acme.test', 'auditor@acme.test', 'admin@globex.test')
         GROUP BY u.email, te.slug, u.is_admin ORDER BY u.email`);
      const canExport = (flags: number): boolean => (flags & SystemPermissions.ImportExportTickets) !== 0;

      expect(rows.map((r) => [r.email, r.tenant, r.is_admin, canExport(r.permissions)])).toEqual([
        ['admin@acme.test', 'acme', true, true],
        ['admin@globex.test', 'globex', true, true],
        ['agent@acme.test', 'acme', false, true],
        ['auditor@acme.test', 'acme', true, false],
        ['viewer@acme.test', 'acme', false, false],
      ]);
    });

    it('gives each tenant system views and a personal view that all validate', async () => {
      const { rows } = await pool.query<{
        slug: string;
        name: string;
        is_system: boolean;
        columns: unknown;
        conditions: unknown;
        sort: unknown;
      }>(
        `SELECT te.slug, v.name, v.is_system, v.columns, v.conditions, v.sort
           FROM ticket_views v JOIN tenants te ON te.id = v.tenant_id ORDER BY te.slug, v.name`,
      );

      for (const view of rows) expect(() => parseStoredView(view)).not.toThrow();
      expect(rows.filter((v) => v.slug === 'acme' && v.is_system)).toHaveLength(5);
      expect(rows.filter((v) => v.slug === 'acme' && !v.is_system).map((v) => v.name)).toEqual([
        'Billing and refunds',
      ]);
      expect(rows.filter((v) => v.slug === 'globex')).toHaveLength(6);
    });

    it('spreads tickets over statuses, priorities, assignees and dates, with soft deletes and ties', async () => {
      const { rows } = await pool.query<Record<string, string>>(`
        SELECT count(DISTINCT status_id) AS statuses, count(DISTINCT priority_id) AS priorities,
               count(*) FILTER (WHERE priority_id IS NULL) AS no_priority,
               count(DISTINCT assignee_id) AS assignees, count(*) FILTER (WHERE assignee_id IS NULL) AS unassigned,
               count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted,
               count(*) - count(DISTINCT creation_time) AS tied_creation_times,
               count(*) FILTER (WHERE cardinality(tags) > 0) AS tagged,
               min(creation_time) >= '2024-10-01' AND max(creation_time) <= '2026-11-01' AS dates_in_range
          FROM tickets t JOIN tenants te ON te.id = t.tenant_id WHERE te.slug = 'acme'`);
      const stats = rows[0];

      expect(Number(stats.statuses)).toBe(6);
      expect(Number(stats.priorities)).toBe(4);
      expect(Number(stats.no_priority)).toBeGreaterThan(0);
      expect(Number(stats.assignees)).toBeGreaterThanOrEqual(10);
      expect(Number(stats.unassigned)).toBeGreaterThan(0);
      expect(Number(stats.deleted)).toBe(60);
      expect(Number(stats.tied_creation_times)).toBeGreaterThan(0);
      expect(Number(stats.tagged)).toBeGreaterThan(1000);
      expect(stats.dates_in_range).toBe(true);
    });

    it('gives tickets a status that agrees with their resolved, closed and SLA timestamps, none after the anchor', async () => {
      const { rows } = await pool.query<Record<string, string>>(
        `SELECT count(*) FILTER (WHERE s.key IN ('solved', 'closed') <> (t.resolved_at IS NOT NULL)) AS resolved_mismatch,
                count(*) FILTER (WHERE (s.key = 'closed') <> (t.closed_at IS NOT NULL)) AS closed_mismatch,
                count(*) FILTER (WHERE t.closed_at < t.resolved_at OR t.resolved_at < t.creation_time) AS out_of_order,
                count(*) FILTER (WHERE greatest(t.resolved_at, t.closed_at, t.last_modification_time) > $1) AS future,
                count(*) FILTER (WHERE (t.sla_status = 'breached')
                                       <> (t.sla_due_at IS NOT NULL AND coalesce(t.resolved_at, $1) > t.sla_due_at)
                                    OR (t.sla_status IS NULL) <> (t.sla_due_at IS NULL)) AS sla_mismatch,
                count(*) FILTER (WHERE t.sla_status = 'breached') AS breached,
                count(*) FILTER (WHERE t.sla_status = 'on_track') AS on_track
           FROM tickets t JOIN ticket_statuses s ON s.id = t.status_id`,
        [DEFAULT_SEED_ANCHOR],
      );

      expect(rows[0]).toMatchObject({
        resolved_mismatch: '0',
        closed_mismatch: '0',
        out_of_order: '0',
        future: '0',
        sla_mismatch: '0',
      });
      expect(Number(rows[0].breached)).toBeGreaterThan(100);
      expect(Number(rows[0].on_track)).toBeGreaterThan(100);
    });

    it('gives a year of ticket analytics with work every month and a bounded backlog', async () => {
      const { rows: tenants } = await pool.query<{ id: string }>(
        "SELECT id FROM tenants WHERE slug = 'acme'",
      );
      const { text, values } = ticketAnalyticsSql({
        tenantId: tenants[0].id,
        timeZone: 'Europe/Berlin',
        from: '2025-11-01',
        to: '2026-10-31',
        snapshotAt: DEFAULT_SEED_ANCHOR,
      });
      const { rows } = await pool.query<{ date: string; created: number; resolved: number; closed: number }>(
        `SELECT left(date, 7) AS month, sum(created)::int AS created, sum(resolved)::int AS resolved,
                sum(closed)::int AS closed, sum(sla_breaches)::int AS breaches,
                count(median_resolution_hours)::int AS days_with_median,
                sum(open_at_end_of_day) FILTER (WHERE date = max_date)::int AS open_at_end
           FROM (SELECT *, max(date) OVER () AS max_date FROM (${text}) a) a GROUP BY left(date, 7) ORDER BY 1`,
        values,
      );

      expect(rows).toHaveLength(12);
      for (const month of rows)
        expect(month).toMatchObject({
          created: expect.any(Number) as number,
          resolved: expect.any(Number) as number,
        });
      expect(rows.every((m) => m.created > 20 && m.resolved > 20 && m.closed > 20)).toBe(true);
      const lastMonth = rows[rows.length - 1] as unknown as Record<string, number>;
      expect(lastMonth.breaches).toBeGreaterThan(0);
      expect(lastMonth.days_with_median).toBeGreaterThan(10);
      // Old tickets were closed: the backlog is the last two months' open and solved tickets and a stale few,
      // about 250 of the 3,000, not the thousand and more that tickets never closed would leave.
      expect(lastMonth.open_at_end).toBeGreaterThan(150);
      expect(lastMonth.open_at_end).toBeLessThan(400);
    });

    it('adds staff beyond the contract: several roles, none, and disabled accounts', async () => {
      const { rows } = await pool.query<{ email: string; roles: string[]; disabled: boolean }>(
        `SELECT u.email, array_remove(array_agg(r.name ORDER BY r.name), NULL) AS roles, u.disabled_at IS NOT NULL AS disabled
           FROM users u JOIN tenants te ON te.id = u.tenant_id
           LEFT JOIN user_roles ur ON ur.user_id = u.id LEFT JOIN roles r ON r.id = ur.role_id
          WHERE te.slug = 'acme' GROUP BY u.id ORDER BY u.email`,
      );

      expect(rows.length).toBeGreaterThan(15);
      expect(rows.filter((u) => u.disabled).map((u) => u.email)).toEqual([
        'dora.departed@acme.test',
        'felix.former@acme.test',
      ]);
      expect(rows.filter((u) => u.roles.length > 1).length).toBeGreaterThanOrEqual(3);
      expect(rows.filter((u) => u.roles.length === 0).map((u) => u.email)).toEqual(['ivan.intern@acme.test']);
    });

    it('writes a year of audit events: the actions the service writes, by several actors, in time order', async () => {
      const { rows } = await pool.query<{ action: string; events: number; actors: number; jobs: number }>(
        `SELECT a.action, count(*)::int AS events, count(DISTINCT a.actor_id)::int AS actors,
                count(DISTINCT a.job_id)::int AS jobs
           FROM audit_events a JOIN tenants te ON te.id = a.tenant_id
          WHERE te.slug = 'acme' GROUP BY a.action ORDER BY a.action`,
      );
      const { rows: span } = await pool.query<Record<string, string>>(
        `SELECT min(a.created_at) >= $1::timestamptz - interval '1 year' AND max(a.created_at) <= $1 AS within_year,
                count(DISTINCT date_trunc('month', a.created_at AT TIME ZONE 'UTC')) AS months,
                count(*) FILTER (WHERE e.id IS NULL AND a.action <> 'export.requested' AND a.action <> 'export.retried') AS orphans,
                count(*) FILTER (WHERE a.actor_id IS NOT NULL AND u.id IS NULL) AS unknown_actors
           FROM audit_events a
           LEFT JOIN audit_events e ON e.job_id = a.job_id AND e.action IN ('export.requested', 'export.retried')
                AND e.created_at <= a.created_at AND e.id < a.id
           LEFT JOIN users u ON u.id = a.actor_id AND u.tenant_id = a.tenant_id`,
        [DEFAULT_SEED_ANCHOR],
      );
      const byAction = Object.fromEntries(rows.map((r) => [r.action, r]));

      expect(Object.keys(byAction)).toEqual([
        'export.cancelled',
        'export.completed',
        'export.download_denied',
        'export.downloaded',
        'export.expired',
        'export.failed',
        'export.requested',
        'export.retried',
      ]);
      expect(byAction['export.requested'].jobs).toBe(byAction['export.requested'].events);
      expect(byAction['export.requested'].actors).toBe(3);
      expect(byAction['export.download_denied'].actors).toBeGreaterThanOrEqual(2);
      expect(byAction['export.completed'].actors).toBe(0);
      expect(span[0]).toMatchObject({ within_year: true, months: '12', orphans: '0', unknown_actors: '0' });
    });

    it('mixes the nasty strings into titles, descriptions, tags and contact names', async () => {
      const { rows } = await pool.query<{
        title: string[];
        description: string[];
        tag: string[];
        contact: string[];
      }>(
        `SELECT array(SELECT DISTINCT title FROM tickets WHERE title = ANY($1)) AS title,
                array(SELECT DISTINCT description FROM tickets WHERE description = ANY($1)) AS description,
                array(SELECT DISTINCT tag FROM tickets, unnest(tags) tag WHERE tag = ANY($1)) AS tag,
                array(SELECT DISTINCT name FROM contacts WHERE name = ANY($1)) AS contact`,
        [NASTY],
      );

      expect(new Set(rows[0].title)).toEqual(new Set(NASTY));
      expect(rows[0].description.length).toBeGreaterThan(NASTY.length / 2);
      expect(rows[0].tag.length).toBeGreaterThan(10);
      expect(rows[0].contact.length).toBeGreaterThan(10);
    });
  });
});
