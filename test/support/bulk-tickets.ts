/**
 * Many tickets at once: one set-based INSERT ... SELECT generate_series (the seed's ticket generator style), with
 * many ties and nulls on every sortable field.
 */
import type { Pool } from 'pg';
import type { TestTenant } from './factories';

export interface BulkTickets {
  readonly count: number;
  /** Creation times fall in the `spreadMinutes` whole minutes before this instant (many tickets share one). */
  readonly createdBefore: Date;
  readonly spreadMinutes?: number;
  /** Titles are `<prefix> <n>`. */
  readonly titlePrefix?: string;
  /** Length of each description: wide rows make big files. */
  readonly descriptionLength?: number;
  /** One category for all (null for none); by default they rotate, null included. */
  readonly category?: string | null;
  readonly deletedAt?: Date | null;
}

const CATEGORIES = ['Billing', 'Technical', 'Account', null, 'Bug', 'Shipping'];

/** Inserts `count` tickets in one statement; returns how many were inserted. */
export async function insertBulkTickets(
  pool: Pool,
  tenant: TestTenant,
  options: BulkTickets,
): Promise<number> {
  const statuses = Object.values(tenant.statusIds);
  const priorities = [...Object.values(tenant.priorityIds), null];
  const users = [...Object.values(tenant.userIds), null, null];
  const teams = [...Object.values(tenant.teamIds), null];
  const result = await pool.query(
    `INSERT INTO tickets (tenant_id, title, description, status_id, priority_id, category, tags, assignee_id, team_id,
                          contact_id, created_by_id, creation_time, last_modification_time, resolved_at, closed_at,
                          sla_due_at, sla_status, language, deleted_at)
     SELECT $1,
            $2 || ' ' || g,
            left(repeat('Lorem ipsum dolor sit amet, ticket ' || g || '. ', 1 + $3 / 30), $3),
            ($4::int[])[1 + g % cardinality($4::int[])],
            ($5::int[])[1 + (g / 3) % cardinality($5::int[])],
            CASE WHEN $6 THEN $7 ELSE ($8::text[])[1 + (g / 7) % cardinality($8::text[])] END,
            (ARRAY['{}', '{refund}', '{invoice,vip}', '{bug}', '{"=cmd|x",urgent}'])[1 + g % 5]::text[],
            ($9::uuid[])[1 + (g / 2) % cardinality($9::uuid[])],
            ($10::uuid[])[1 + (g / 5) % cardinality($10::uuid[])],
            NULL,
            $11,
            c.created,
            CASE WHEN g % 5 = 0 THEN NULL ELSE c.created + make_interval(hours => g % 48) END,
            CASE WHEN g % 3 = 0 THEN c.created + make_interval(days => 1) END,
            CASE WHEN g % 9 = 0 THEN c.created + make_interval(days => 2) END,
            CASE WHEN g % 4 = 0 THEN NULL ELSE date_trunc('day', c.created) + make_interval(days => g % 10) END,
            (ARRAY['on_track', 'at_risk', 'breached', NULL])[1 + g % 4],
            (ARRAY['en', 'de', NULL])[1 + g % 3],
            $14
       FROM generate_series(1, $12::int) g
      CROSS JOIN LATERAL (
        SELECT date_trunc('minute', $13::timestamptz) - make_interval(mins => ((g::bigint * 7919) % $15)::int)
               - interval '1 minute' AS created
      ) c`,
    [
      tenant.id,
      options.titlePrefix ?? 'Bulk ticket',
      options.descriptionLength ?? 40,
      statuses,
      priorities,
      options.category !== undefined,
      options.category ?? null,
      CATEGORIES,
      users,
      teams,
      tenant.userId('admin'),
      options.count,
      options.createdBefore.toISOString(),
      options.deletedAt ?? null,
      options.spreadMinutes ?? 5000,
    ],
  );
  return result.rowCount ?? 0;
}
