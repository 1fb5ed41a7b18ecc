import { ActorResolver } from '@app/application';
import { type Actor, combinePermissions, isUuid } from '@app/domain';
import type { DataSource } from 'typeorm';

interface ActorRow {
  readonly id: string;
  readonly tenant_id: string;
  readonly email: string;
  readonly is_admin: boolean;
  readonly disabled_at: Date | null;
  readonly role_flags: number[];
}

/** One query per request: the user and the flags of its roles in its own tenant. */
export class TypeormActorResolver extends ActorResolver {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async resolve(userId: string, tenantId: string): Promise<Actor | null> {
    if (!isUuid(userId) || !isUuid(tenantId)) return null;
    const rows = await this.dataSource.query<ActorRow[]>(
      `SELECT u.id, u.tenant_id, u.email, u.is_admin, u.disabled_at,
              COALESCE(array_agg(r.permissions) FILTER (WHERE r.id IS NOT NULL), '{}') AS role_flags
         FROM users u
         LEFT JOIN user_roles ur ON ur.user_id = u.id AND ur.tenant_id = u.tenant_id
         LEFT JOIN roles r ON r.id = ur.role_id AND r.tenant_id = u.tenant_id
        WHERE u.id = $1
        GROUP BY u.id`,
      [userId],
    );
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
