import { ActorResolver } from '@app/application';
import { type Actor, combinePermissions, isUuid } from '@app/domain';
import type { DataSource } from 'typeorm';
import { pgPoolOf } from '../persistence/pg-connection';

interface ActorRow {
  readonly id: string;
  readonly tenant_id: string;
  readonly email: string;
  readonly is_admin: boolean;
  readonly disabled_at: Date | null;
  readonly role_flags: number[];
}

/**
 * The statement of every authenticated request, prepared once per connection (a named pg query): PostgreSQL parses
 * and plans it once, and the call skips TypeORM's query runner. Never cached across requests: a revoked flag or a
 * disabled user counts on the next request (CONTRACT §3).
 */
const RESOLVE_ACTOR = {
  name: 'resolve-actor-v1',
  text: `SELECT u.id, u.tenant_id, u.email, u.is_admin, u.disabled_at,
                COALESCE(array_agg(r.permissions) FILTER (WHERE r.id IS NOT NULL), '{}') AS role_flags
           FROM users u
           LEFT JOIN user_roles ur ON ur.user_id = u.id AND ur.tenant_id = u.tenant_id
           LEFT JOIN roles r ON r.id = ur.role_id AND r.tenant_id = u.tenant_id
          WHERE u.id = $1
          GROUP BY u.id`,
} as const;

/** One query per request: the user and the flags of its roles in its own tenant. */
export class TypeormActorResolver extends ActorResolver {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async resolve(userId: string, tenantId: string): Promise<Actor | null> {
    if (!isUuid(userId) || !isUuid(tenantId)) return null;
    const { rows } = await pgPoolOf(this.dataSource).query<ActorRow>({ ...RESOLVE_ACTOR, values: [userId] });
    const user = rows[0];
    if (!user || user.tenant_id !== tenantId || user.disabled_at !== null) return null;
    return {
      userId: user.id,
      tenantId: user.tenant_id,
      email: user.email,
      isAdmin: user.is_admin,
      permissions: combinePermissions(user.role_flags),
    };
  }
}
