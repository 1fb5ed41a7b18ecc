import { hasPermission } from './system-permissions';

/** Who is acting: resolved from the token and the database on every request. */
export interface Actor {
  readonly userId: string;
  readonly tenantId: string;
  readonly email: string;
  readonly isAdmin: boolean;
  /** Union of the flags of the user's roles. */
  readonly permissions: number;
}

export function actorHas(actor: Actor, flag: number): boolean {
  return hasPermission(actor.permissions, flag);
}
