import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStoredView, SystemPermissions } from '@app/domain';
import { Pool } from 'pg';
import { scratchDatabase, type ScratchDatabase } from '../../../../test/support/database';
import { migrateDatabase } from '../persistence/data-source';
import { seedDatabase } from './seed';

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
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  /** A digest of every seeded row of the tables the seed writes, in a stable order. */
  async function fingerprint(): Promise<string> {
    const { rows } = await pool.query<{ digest: string }>(`
      SELECT md5(string_agg(row_text, E'\\n' ORDER BY row_text)) AS digest FROM (
        SELECT t::text AS row_text FROM tickets t
        UNION ALL SELECT c::text FROM contacts c
        UNION ALL SELECT u::text FROM (SELECT id, tenant_id, email, name, is_admin FROM users) u
        UNION ALL SELECT r::text FROM roles r
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
  });

  it('leaves an already seeded database alone without --reset', async () => {
    await seedDatabase(pool, { tickets: 3000, reset: true, nastyStrings: NASTY });
    const digest = await fingerprint();

    const again = await seedDatabase(pool, { tickets: 50, reset: false, nastyStrings: NASTY });

    expect(again.seeded).toBe(false);
    expect(again.tickets).toEqual({ acme: 3000, globex: 300 });
    expect(await fingerprint()).toBe(digest);
  });

  describe('the seeded data', () => {
    beforeAll(() => seedDatabase(pool, { tickets: 3000, reset: true, nastyStrings: NASTY }));

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
