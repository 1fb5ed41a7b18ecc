import type { AuditEntry } from '@app/application';
import type { EntityManager } from 'typeorm';

/** Inserts audit rows with the given manager, so they share the caller's transaction. */
export async function insertAuditRows(manager: EntityManager, entries: readonly AuditEntry[]): Promise<void> {
  for (const e of entries) {
    await manager.query(
      `INSERT INTO audit_events (tenant_id, actor_id, action, job_id, ip, user_agent, details) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        e.tenantId,
        e.actorId,
        e.action,
        e.jobId,
        e.ip ?? null,
        e.userAgent ?? null,
        JSON.stringify(e.details ?? {}),
      ],
    );
  }
}
