import type { Actor } from '@app/domain';

/** The actor of a command and what the audit trail records about the call (CONTRACT §7). */
export interface CallContext {
  readonly actor: Actor;
  readonly ip: string | null;
  readonly userAgent: string | null;
}
