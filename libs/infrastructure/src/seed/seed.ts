import type { Pool } from 'pg';
import { ACME, GLOBEX, type SeededTenant, seedTenant } from './reference-data';
import { generateAuditEvents } from './audit-generator';
import { withConstraintsDeferred } from './bulk-load';
import { generateTickets } from './ticket-generator';

export interface SeedOptions {
  readonly tickets: number;
  readonly reset: boolean;
  readonly nastyStrings: readonly string[];
  readonly anchor?: Date;
}

export interface SeedResult {
  readonly seeded: boolean;
  readonly tenants: readonly SeededTenant[];
  readonly tickets: Readonly<Record<string, number>>;
  readonly seconds: number;
}

/** Who acts in each tenant's seeded audit trail: requesters hold ImportExportTickets, outsiders do not. */
const AUDIT_ACTORS: Readonly<Record<string, { requesters: string[]; outsiders: string[] }>> = {
  [ACME.slug]: {
    requesters: ['admin@acme.test', 'agent@acme.test', 'agent@acme.test', 'sam.supervisor@acme.test'],
    outsiders: ['viewer@acme.test', 'auditor@acme.test', 'rita.reporter@acme.test'],
  },
  [GLOBEX.slug]: {
    requesters: ['admin@globex.test', 'patty.bouvier@globex.test'],
    outsiders: ['homer.simpson@globex.test'],
  },
};

/** Export jobs told by the audit trail: one per 500 tickets, at least 40 and at most 2,000 per tenant. */
const auditJobs = (tickets: number): number => Math.max(40, Math.min(2000, Math.ceil(tickets / 500)));

/** Fixed so that the same arguments always give the same data. */
export const DEFAULT_SEED_ANCHOR = new Date('2026-11-01T00:00:00Z');

/**
 * The demo data of CONTRACT §3: tenants acme (N tickets) and globex (N/10), their roles, users, views, tickets and
 * the audit trail of a year of past exports.
 * Without --reset an already seeded database is left alone; --reset wipes all tenant data first.
 */
export async function seedDatabase(pool: Pool, options: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const db = await pool.connect();
  try {
    const existing = await db.query<{ slug: string; tickets: string }>(
      `SELECT te.slug, (SELECT count(*) FROM tickets t WHERE t.tenant_id = te.id) AS tickets
         FROM tenants te WHERE te.slug = ANY($1) ORDER BY te.slug`,
      [[ACME.slug, GLOBEX.slug]],
    );
    if (existing.rowCount && !options.reset) {
      return {
        seeded: false,
        tenants: [],
        tickets: Object.fromEntries(existing.rows.map((r) => [r.slug, Number(r.tickets)])),
        seconds: (Date.now() - started) / 1000,
      };
    }
    await db.query('BEGIN');
    if (options.reset) await db.query('TRUNCATE tenants RESTART IDENTITY CASCADE');
    const counts = { [ACME.slug]: options.tickets, [GLOBEX.slug]: Math.ceil(options.tickets / 10) };
    const tenants: SeededTenant[] = [];
    for (const seed of [ACME, GLOBEX]) tenants.push(await seedTenant(db, seed));
    await withConstraintsDeferred(db, 'tickets', async () => {
      for (const tenant of tenants) {
        await generateTickets(db, tenant, {
          count: counts[tenant.slug],
          anchor: options.anchor ?? DEFAULT_SEED_ANCHOR,
          nastyStrings: options.nastyStrings,
        });
      }
    });
    for (const tenant of tenants)
      await generateAuditEvents(db, tenant, {
        jobs: auditJobs(counts[tenant.slug]),
        anchor: options.anchor ?? DEFAULT_SEED_ANCHOR,
        ...AUDIT_ACTORS[tenant.slug],
      });
    await db.query('COMMIT');
    await db.query(
      'ANALYZE tickets, contacts, users, teams, ticket_statuses, ticket_priorities, audit_events',
    );
    return { seeded: true, tenants, tickets: counts, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  } finally {
    db.release();
  }
}
