import type { Actor } from '@app/domain';

/**
 * Who a verified token speaks for, read from the database on every request: the user, whether it is an admin and
 * the union of its roles' permission flags. A revoked flag therefore takes effect on the next request.
 */
export abstract class ActorResolver {
  /** Null when the user does not exist, is disabled, or does not belong to `tenantId`. */
  abstract resolve(userId: string, tenantId: string): Promise<Actor | null>;
}
