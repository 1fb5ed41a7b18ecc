export const AUDIT_ACTIONS = [
  'export.requested',
  'export.completed',
  'export.failed',
  'export.cancelled',
  'export.retried',
  'export.downloaded',
  'export.download_denied',
  'export.expired',
  'webhook.created',
  'webhook.deleted',
  'webhook.secret_rotated',
  'webhook.disabled',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One audited step (CONTRACT §7). `actorId` is null for steps the system takes (completion, expiry). */
export interface AuditEntry {
  readonly tenantId: string;
  readonly actorId: string | null;
  readonly action: AuditAction;
  readonly jobId: string | null;
  readonly ip?: string | null;
  readonly userAgent?: string | null;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Audit entries that change nothing else (a refused download). Entries that record a change of a job are saved
 * with the job, in its transaction: see ExportJobRepository.save.
 */
export abstract class AuditLog {
  abstract record(entry: AuditEntry): Promise<void>;
}
