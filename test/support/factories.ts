import { ACME, type SeededTenant, seedTenant, type TenantSeed } from '@app/infrastructure';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';

/**
 * Test data builders. Every spec creates its own tenant (random slug), so spec files running in parallel against
 * one database never see each other's rows: tenant scoping is the isolation.
 */
export interface TestTenant extends SeededTenant {
  /** Email of the seeded identity by its local part: admin, agent, viewer, auditor, grace.hopper, ... */
  readonly email: (localPart: string) => string;
  readonly userId: (localPart: string) => string;
}

export async function createTestTenant(pool: Pool, base: TenantSeed = ACME): Promise<TestTenant> {
  const slug = `t-${randomUUID().slice(0, 12)}`;
  const domain = `${slug}.test`;
  const rename = (email: string): string => `${email.split('@')[0]}@${domain}`;
  const seed: TenantSeed = {
    ...base,
    slug,
    name: `Test tenant ${slug}`,
    users: base.users.map((u) => ({ ...u, email: rename(u.email) })),
    views: base.views.map((v) => ({ ...v, owner: v.owner === undefined ? undefined : rename(v.owner) })),
  };
  const db = await pool.connect();
  try {
    const tenant = await seedTenant(db, seed);
    const email = (localPart: string): string => `${localPart}@${domain}`;
    const userId = (localPart: string): string => {
      const id = tenant.userIds[email(localPart)];
      if (!id) throw new Error(`no user ${localPart} in the test tenant`);
      return id;
    };
    return { ...tenant, email, userId };
  } finally {
    db.release();
  }
}

export interface TicketSpec {
  title: string;
  description: string;
  status: string;
  priority: string | null;
  category: string | null;
  tags: string[];
  /** Local part of a seeded user (`grace.hopper`), or null. */
  assignee: string | null;
  team: string | null;
  contact: { name: string; email: string | null } | null;
  createdBy: string | null;
  creationTime: Date;
  lastModificationTime: Date | null;
  resolvedAt: Date | null;
  closedAt: Date | null;
  slaDueAt: Date | null;
  slaStatus: string | null;
  language: string | null;
  deletedAt: Date | null;
}

let counter = 0;

export function aTicket(overrides: Partial<TicketSpec> = {}): TicketSpec {
  counter += 1;
  return {
    title: `Ticket ${counter}`,
    description: `Description of ticket ${counter}`,
    status: 'open',
    priority: 'normal',
    category: 'Technical',
    tags: [],
    assignee: null,
    team: null,
    contact: null,
    createdBy: 'admin',
    creationTime: new Date('2026-06-01T12:00:00Z'),
    lastModificationTime: null,
    resolvedAt: null,
    closedAt: null,
    slaDueAt: null,
    slaStatus: null,
    language: 'en',
    deletedAt: null,
    ...overrides,
  };
}

/** Inserts the tickets in order and returns their ids (bigint as string, as pg returns them). */
export async function insertTickets(
  pool: Pool,
  tenant: TestTenant,
  tickets: readonly TicketSpec[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const t of tickets) {
    let contactId: string | null = null;
    if (t.contact) {
      const { rows } = await pool.query<{ id: string }>(
        'INSERT INTO contacts (tenant_id, name, email) VALUES ($1, $2, $3) RETURNING id',
        [tenant.id, t.contact.name, t.contact.email],
      );
      contactId = rows[0].id;
    }
    const lookup = <T>(table: Readonly<Record<string, T>>, key: string | null, what: string): T | null => {
      if (key === null) return null;
      const value = table[key];
      if (value === undefined) throw new Error(`no ${what} "${key}" in the test tenant`);
      return value;
    };
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO tickets (tenant_id, title, description, status_id, priority_id, category, tags, assignee_id, team_id, contact_id,
                            created_by_id, creation_time, last_modification_time, resolved_at, closed_at, sla_due_at, sla_status,
                            language, deleted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id`,
      [
        tenant.id,
        t.title,
        t.description,
        lookup(tenant.statusIds, t.status, 'status'),
        lookup(tenant.priorityIds, t.priority, 'priority'),
        t.category,
        t.tags,
        t.assignee === null ? null : tenant.userId(t.assignee),
        lookup(tenant.teamIds, t.team, 'team'),
        contactId,
        t.createdBy === null ? null : tenant.userId(t.createdBy),
        t.creationTime,
        t.lastModificationTime,
        t.resolvedAt,
        t.closedAt,
        t.slaDueAt,
        t.slaStatus,
        t.language,
        t.deletedAt,
      ],
    );
    ids.push(rows[0].id);
  }
  return ids;
}
