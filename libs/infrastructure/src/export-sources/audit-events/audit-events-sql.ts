import { AUDIT_EVENTS_SOURCE } from '@app/domain';
import type { RecordSourceSql } from '../record-query-builder';
import { recordSourceSql } from '../record-source-sql';

type Column = 'time' | 'actorEmail' | 'action' | 'jobId' | 'ip' | 'userAgent' | 'details';

/** audit_events of the tenant, with the actor's email (a row no user caused has none). */
const SQL: RecordSourceSql<Column, 'time' | 'action' | 'actor', 'time'> = {
  from: 'FROM audit_events a LEFT JOIN users au ON au.id = a.actor_id',
  tenantId: 'a.tenant_id',
  createdAt: 'a.created_at',
  id: { sql: 'a.id', type: 'bigint' },
  columns: {
    time: { sql: 'a.created_at' },
    actorEmail: { sql: 'au.email' },
    action: { sql: 'a.action' },
    jobId: { sql: 'a.job_id::text' },
    ip: { sql: 'a.ip' },
    userAgent: { sql: 'a.user_agent' },
    // The JSON text as stored (jsonb's own normal form): a string cell in every format.
    details: { sql: 'a.details::text' },
  },
  filters: {
    time: { sql: 'a.created_at', type: 'timestamptz' },
    action: { sql: 'a.action', type: 'text' },
    actor: { sql: 'au.email', type: 'text' },
  },
  sorts: { time: { sql: 'a.created_at', type: 'timestamptz' } },
};

export const AUDIT_EVENTS_SQL = recordSourceSql(AUDIT_EVENTS_SOURCE, SQL);
