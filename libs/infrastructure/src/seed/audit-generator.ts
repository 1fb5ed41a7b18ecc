import type { PoolClient } from 'pg';
import type { SeededTenant } from './reference-data';

export interface AuditGenerationOptions {
  /** How many past export jobs to tell the story of; each leaves 2 to 5 audit rows. */
  readonly jobs: number;
  /** Jobs are spread over the year before this instant, and no row is later than it. */
  readonly anchor: Date;
  /** Emails of the users who request, cancel, retry and download (they hold ImportExportTickets). */
  readonly requesters: readonly string[];
  /** Emails of users who try to download without the right to (their rows are `export.download_denied`). */
  readonly outsiders: readonly string[];
}

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'export-service-sdk/1.4 (+node 20)',
];
const FORMATS = ['csv', 'csv', 'csv', 'xlsx', 'xlsx', 'json', 'ndjson', 'pdf'];

function idsOf(tenant: SeededTenant, emails: readonly string[]): string[] {
  return emails.map((email) => {
    const id = tenant.userIds[email];
    if (id === undefined) throw new Error(`seed data has no user "${email}"`);
    return id;
  });
}

/**
 * Inserts the audit trail of past export jobs in one set-based statement, with the actions and details the
 * service itself writes (see the handlers' `audit` entries): every job was requested; 70 in 100 completed (then
 * mostly downloaded, sometimes refused to someone without the right, and expired 72 h later), 12 failed (half of
 * them retried, the retry completing), 8 were cancelled and 10 expired unread. Values come from hashes of the job
 * number, so the same arguments always give the same rows; ids grow with time. The jobs themselves are long gone
 * (audit rows keep job ids without a foreign key, as in production after retention).
 */
export async function generateAuditEvents(
  db: PoolClient,
  tenant: SeededTenant,
  options: AuditGenerationOptions,
): Promise<void> {
  await db.query(
    `INSERT INTO audit_events (tenant_id, actor_id, action, job_id, ip, user_agent, details, created_at)
     SELECT $1::uuid, ev.actor, ev.action, ev.job, j.ip, CASE WHEN ev.actor IS NULL THEN NULL ELSE j.agent END,
            ev.details, ev.at
     FROM generate_series(1, $2::int) k
     CROSS JOIN LATERAL (
       SELECT abs(hashint8extended(k, 11)) AS h1, abs(hashint8extended(k, 12)) AS h2,
              abs(hashint8extended(k, 13)) AS h3, abs(hashint8extended(k, 14)) AS h4
     ) h
     CROSS JOIN LATERAL (
       SELECT md5($1::text || ':job:' || k)::uuid AS job, md5($1::text || ':retry:' || k)::uuid AS retry,
              $3::timestamptz - make_interval(secs => 300 + h1 % 31536000) AS at,
              ($4::uuid[])[1 + h2 % cardinality($4::uuid[])] AS actor,
              ($5::uuid[])[1 + h3 % cardinality($5::uuid[])] AS outsider,
              '10.' || (h2 % 4) || '.' || (h3 % 250) || '.' || (1 + h4 % 250) AS ip,
              ($6::text[])[1 + h3 % cardinality($6::text[])] AS agent,
              ($7::text[])[1 + h4 % cardinality($7::text[])] AS format,
              ($8::uuid[])[1 + h1 % cardinality($8::uuid[])] AS view,
              h2 % 100 AS outcome, 2 + h4 % 900 AS seconds, 200 + h1 % 200000 AS rows
     ) j
     CROSS JOIN LATERAL (VALUES
       (true, j.actor, 'export.requested', j.job, j.at,
        jsonb_build_object('source', 'tickets', 'format', j.format, 'viewId', j.view)),
       (j.outcome < 70 OR j.outcome >= 90, NULL, 'export.completed', j.job, j.at + make_interval(secs => j.seconds),
        jsonb_build_object('rows', j.rows, 'bytes', j.rows * 170, 'attempts', 1)),
       (j.outcome < 60, j.actor, 'export.downloaded', j.job, j.at + make_interval(secs => j.seconds + h3 % 7200),
        jsonb_build_object('fileName', 'tickets-' || to_char(j.at, 'YYYYMMDD-HH24MISS') || '.' || j.format,
                           'sizeBytes', j.rows * 170)),
       ((j.outcome < 70 OR j.outcome >= 90) AND h4 % 9 = 0, j.outsider, 'export.download_denied', j.job,
        j.at + make_interval(secs => j.seconds + h1 % 3600), jsonb_build_object('reason', 'forbidden')),
       (j.outcome < 70 OR j.outcome >= 90, NULL, 'export.expired', j.job,
        j.at + make_interval(secs => j.seconds + 259200 + h3 % 3600),
        jsonb_build_object('expiresAt', to_char((j.at + make_interval(secs => j.seconds + 259200)) AT TIME ZONE 'UTC',
                                                'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'fileDeleted', true)),
       (j.outcome BETWEEN 70 AND 81, NULL, 'export.failed', j.job, j.at + make_interval(secs => j.seconds),
        jsonb_build_object('code', CASE WHEN h3 % 3 = 0 THEN 'EXPORT_JOB.TIMED_OUT' ELSE 'EXPORT_JOB.FAILED' END,
                           'attempts', 3, 'cause', CASE WHEN h3 % 3 = 0 THEN 'TimeoutError' ELSE 'ECONNRESET' END)),
       (j.outcome BETWEEN 70 AND 75, j.actor, 'export.retried', j.retry, j.at + make_interval(secs => j.seconds + 600),
        jsonb_build_object('retryOf', j.job)),
       (j.outcome BETWEEN 70 AND 75, NULL, 'export.completed', j.retry, j.at + make_interval(secs => 2 * j.seconds + 600),
        jsonb_build_object('rows', j.rows, 'bytes', j.rows * 170, 'attempts', 1)),
       (j.outcome BETWEEN 82 AND 89, j.actor, 'export.cancelled', j.job, j.at + make_interval(secs => 1 + j.seconds / 3),
        jsonb_build_object('from', CASE WHEN h1 % 2 = 0 THEN 'queued' ELSE 'running' END))
     ) AS ev (happened, actor, action, job, at, details)
     WHERE ev.happened AND ev.at <= $3::timestamptz
     ORDER BY ev.at, k, ev.action`,
    [
      tenant.id,
      options.jobs,
      options.anchor.toISOString(),
      idsOf(tenant, options.requesters),
      idsOf(tenant, options.outsiders),
      USER_AGENTS,
      FORMATS,
      Object.values(tenant.viewIds),
    ],
  );
}
