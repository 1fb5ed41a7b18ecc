import type { PoolClient } from 'pg';
import type { SeededTenant } from './reference-data';

export interface TicketGenerationOptions {
  readonly count: number;
  /** Tickets are spread over the two years before this instant: a fixed anchor keeps the data deterministic. */
  readonly anchor: Date;
  /** Strings that break naive writers; mixed into titles, descriptions, tags and contact names. */
  readonly nastyStrings: readonly string[];
  readonly contacts?: number;
}

const SUBJECTS = [
  'Cannot log in after password reset',
  'Invoice shows the wrong amount',
  'Refund request for duplicate charge',
  'App crashes when uploading attachments',
  'How do I export my data?',
  'Feature request: dark mode',
  'Shipping address change',
  'Two-factor codes not arriving',
  'API returns 429 too often',
  'Cancel my subscription',
  'Onboarding call scheduling',
  'Report is missing last week',
  'Integration with calendar broken',
  'Wrong timezone on notifications',
  'Bulk import failed halfway',
  'Upgrade to the enterprise plan',
];
const PHRASES = [
  'The customer reports that the problem started after the last update.',
  'Steps to reproduce are attached; it happens on every attempt.',
  'They would like an answer before the end of the week.',
  'This is blocking their finance team from closing the month.',
  'Already tried clearing the cache and signing in again.',
  'Happens only on mobile, the desktop app works fine.',
];
const CATEGORIES = ['Billing', 'Technical', 'Account', 'Feature Request', 'Bug', 'Shipping', 'Other'];
const TAG_SETS = [
  '',
  'billing',
  'billing\u001frefund',
  'bug',
  'bug\u001fmobile',
  'feature-request',
  'login',
  'login\u001furgent',
  'api',
  'invoice',
  'vip',
  'vip\u001fescalated\u001furgent',
  'onboarding',
  'refund',
  '',
];
const LANGUAGES = ['en', 'en', 'en', 'en', 'de', 'fr', 'es', 'ja', 'he', null];
const FIRST = [
  'Alice',
  'Bob',
  'Carmen',
  'Dmitri',
  'Eun-ji',
  'François',
  'Gita',
  'Hiro',
  'Ines',
  'José',
  'Kwame',
  'Lena',
  'Mateo',
  'Noor',
  'Olga',
  'Priya',
];
const LAST = [
  'Smith',
  'Müller',
  'García',
  'Nakamura',
  'Okafor',
  "O'Brien",
  'Kowalski',
  'Dubois',
  'Rossi',
  'Cohen',
  'Ivanova',
  'Silva',
];

/** A 100-slot table: picking slot `h % 100` gives each value its share. */
function weighted<T>(entries: readonly [T, number][]): T[] {
  const slots = entries.flatMap(([value, share]) => Array<T>(share).fill(value));
  if (slots.length !== 100) throw new Error(`weights add up to ${slots.length}, not 100`);
  return slots;
}

function pick<T>(record: Readonly<Record<string, T>>, key: string): T {
  const value = record[key];
  if (value === undefined) throw new Error(`seed data has no "${key}"`);
  return value;
}

/**
 * Inserts contacts and tickets for one tenant in a few set-based statements. Values come from hashes of the row
 * number, so the same arguments always give the same rows.
 */
export async function generateTickets(
  db: PoolClient,
  tenant: SeededTenant,
  options: TicketGenerationOptions,
): Promise<void> {
  const contactCount = options.contacts ?? Math.max(100, Math.min(20_000, Math.ceil(options.count / 50)));
  const nasty = options.nastyStrings;
  await db.query(
    `INSERT INTO contacts (tenant_id, name, email)
     SELECT $1, CASE WHEN g % 7 = 0 AND cardinality($4::text[]) > 0 THEN ($4::text[])[1 + (g / 7) % cardinality($4::text[])]
                     ELSE ($2::text[])[1 + g % cardinality($2::text[])] || ' ' || ($3::text[])[1 + (g / 7) % cardinality($3::text[])] END,
            CASE WHEN g % 23 = 0 THEN NULL ELSE 'contact' || g || '@' || $5 || '.example' END
     FROM generate_series(1, $6::int) g`,
    [
      tenant.id,
      FIRST,
      LAST,
      nasty.filter((s) => s.trim() !== '' && s.length < 500),
      tenant.slug,
      contactCount,
    ],
  );

  const contactIds = await db.query<{ id: string }>(
    'SELECT id FROM contacts WHERE tenant_id = $1 ORDER BY id',
    [tenant.id],
  );
  const statusKeys = Object.keys(tenant.statusIds);
  const [first, second, third, fourth, solved, closed] = [...statusKeys.slice(0, 4), 'solved', 'closed'];
  const statusSlots = weighted<string>([
    [first, 8],
    [second, 20],
    [third, 12],
    [fourth, 5],
    [solved, 30],
    [closed, 25],
  ]);
  const prioritySlots = weighted<number | null>([
    [null, 6],
    [pick(tenant.priorityIds, 'low'), 30],
    [pick(tenant.priorityIds, 'normal'), 40],
    [pick(tenant.priorityIds, 'high'), 18],
    [pick(tenant.priorityIds, 'urgent'), 6],
  ]);
  const staffIds = Object.values(tenant.userIds);
  const assigneeSlots = Array.from({ length: 100 }, (_, i) =>
    i < 15 ? null : staffIds[i % staffIds.length],
  );
  const teamIds = Object.values(tenant.teamIds);
  const teamSlots = Array.from({ length: 100 }, (_, i) => (i < 10 ? null : teamIds[i % teamIds.length]));

  await db.query(
    `INSERT INTO tickets (tenant_id, title, description, status_id, priority_id, category, tags, assignee_id, team_id,
                          contact_id, created_by_id, creation_time, last_modification_time, resolved_at, closed_at,
                          sla_due_at, sla_status, language, deleted_at)
     SELECT $1,
            CASE WHEN g % 37 = 0 THEN ($2::text[])[1 + (g / 37) % cardinality($2::text[])]
                 ELSE ($3::text[])[1 + h1 % cardinality($3::text[])] || ' (#' || g || ')' END,
            CASE WHEN g % 41 = 0 THEN ($2::text[])[1 + (g / 41) % cardinality($2::text[])]
                 ELSE ($4::text[])[1 + h2 % cardinality($4::text[])] || ' ' || ($4::text[])[1 + h3 % cardinality($4::text[])] END,
            ($5::int[])[array_position($16::text[], status_key)],
            ($6::int[])[1 + h2 % 100],
            ($7::text[])[1 + h3 % cardinality($7::text[])],
            CASE WHEN g % 53 = 0 THEN ARRAY[($15::text[])[1 + (g / 53) % cardinality($15::text[])], 'nasty']
                 ELSE string_to_array(($8::text[])[1 + h4 % cardinality($8::text[])], E'\\x1f') END,
            ($9::uuid[])[1 + h4 % 100],
            ($10::uuid[])[1 + h5 % 100],
            CASE WHEN h5 % 20 = 0 THEN NULL ELSE ($11::bigint[])[1 + h5 % cardinality($11::bigint[])] END,
            ($12::uuid[])[1 + h2 % cardinality($12::uuid[])],
            created,
            CASE WHEN h3 % 10 = 0 THEN NULL
                 ELSE least($17::timestamptz, greatest(coalesce(closed_at, resolved_at, created),
                                                       created + make_interval(secs => h3 % 2592000))) END,
            resolved_at,
            closed_at,
            sla_due_at,
            CASE WHEN sla_due_at IS NULL THEN NULL
                 WHEN coalesce(resolved_at, $17::timestamptz) > sla_due_at THEN 'breached'
                 WHEN resolved_at IS NULL AND sla_due_at < $17::timestamptz + interval '8 hours' THEN 'at_risk'
                 ELSE 'on_track' END,
            ($13::text[])[1 + h2 % cardinality($13::text[])],
            CASE WHEN g % 50 = 7 THEN created + interval '10 days' END
     -- Stacked derived tables, each kept whole by OFFSET 0, so that the hashes, the times and the status are computed
     -- once per row: flattened, every use of them would repeat their calls (6 times the CPU of the plain insert).
     FROM (
       SELECT s.*, CASE WHEN status_key IN ('solved', 'closed') THEN resolve_at END AS resolved_at,
              CASE WHEN status_key = 'closed' THEN close_at END AS closed_at
       FROM (
         -- The status agrees with the timestamps as of the anchor: nothing happens after it, and tickets older
         -- than 60 days were closed (16 days at most after creation), but 1 in 20 open ones stays in a stale backlog.
         SELECT b.*,
                CASE WHEN drawn_key <> 'closed' AND created < $17::timestamptz - interval '60 days'
                          AND (drawn_key = 'solved' OR h3 % 20 <> 0) THEN 'closed'
                     WHEN drawn_key IN ('solved', 'closed') AND resolve_at > $17::timestamptz THEN $18::text
                     WHEN drawn_key = 'closed' AND close_at > $17::timestamptz THEN 'solved'
                     ELSE drawn_key END AS status_key
         FROM (
           SELECT c.*,
                  -- Resolution takes 10 minutes to 5 days, mostly under a day; closing follows it by 1 to 11 days.
                  created + make_interval(secs => resolve_secs) AS resolve_at,
                  created + make_interval(secs => resolve_secs + 86400 + h5 % 864000) AS close_at,
                  CASE WHEN h5 % 7 <> 0 THEN created + make_interval(hours => (24 * (1 + h5 % 3))::int) END AS sla_due_at
           FROM (
             SELECT h.*, ($16::text[])[1 + h1 % 100] AS drawn_key,
                    600 + ((h4 % 432000) * ((h4 / 432000) % 1000)) / 1000 AS resolve_secs,
                    CASE WHEN g % 3 = 0
                         THEN date_trunc('hour', $17::timestamptz - make_interval(secs => h2 % 63072000))
                         ELSE $17::timestamptz - make_interval(secs => h2 % 63072000) - make_interval(secs => (h3 % 1000000) / 1000000.0) END
                      AS created
             FROM (
               SELECT g, abs(hashint8extended(g, 1)) AS h1, abs(hashint8extended(g, 2)) AS h2,
                      abs(hashint8extended(g, 3)) AS h3, abs(hashint8extended(g, 4)) AS h4, abs(hashint8extended(g, 5)) AS h5
               FROM generate_series(1, $14::int) g
               OFFSET 0
             ) h
             OFFSET 0
           ) c
           OFFSET 0
         ) b
         OFFSET 0
       ) s
       OFFSET 0
     ) e`,
    [
      tenant.id,
      nasty.length > 0 ? nasty : SUBJECTS,
      SUBJECTS,
      PHRASES,
      statusSlots.map((key) => pick(tenant.statusIds, key)),
      prioritySlots,
      CATEGORIES,
      TAG_SETS,
      assigneeSlots,
      teamSlots,
      contactIds.rows.map((r) => r.id),
      staffIds,
      LANGUAGES,
      options.count,
      nasty.filter((s) => s.trim() !== '' && s.length < 200),
      statusSlots,
      options.anchor.toISOString(),
      second,
    ],
  );
}
