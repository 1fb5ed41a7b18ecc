import { SYSTEM_PERMISSION_DESCRIPTORS, USERS_SOURCE } from '@app/domain';
import type { RecordSourceSql } from '../record-query-builder';
import { recordSourceSql } from '../record-source-sql';

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** The user's roles of its own tenant (user_roles carries the tenant). */
const ROLES_OF_USER =
  'FROM user_roles ur JOIN roles r ON r.id = ur.role_id AND r.tenant_id = u.tenant_id WHERE ur.user_id = u.id';

/** Effective permissions: the union of the roles' flags (CONTRACT §3), named by the builtin labels in flag order. */
const PERMISSION_LABELS = `ARRAY(SELECT d.label FROM (VALUES ${SYSTEM_PERMISSION_DESCRIPTORS.map(
  (d) => `(${d.flag}, ${literal(d.label)})`,
).join(
  ', ',
)}) AS d(flag, label) WHERE ((SELECT coalesce(bit_or(r.permissions), 0) ${ROLES_OF_USER}) & d.flag) <> 0 ORDER BY d.flag)`;

const flag = (sql: string): { sql: string; json: string } => ({
  sql: `CASE WHEN ${sql} THEN 'true' ELSE 'false' END`,
  json: sql,
});

/**
 * The tenant's users. Only the columns below are read from `users`: name, email, is_admin, disabled_at and
 * created_at; a credential column (a hash, a token) added to the table later is unreachable from here.
 */
const SQL: RecordSourceSql<
  'name' | 'email' | 'admin' | 'disabled' | 'roles' | 'permissions' | 'created',
  'name' | 'email' | 'admin' | 'disabled' | 'created',
  'name' | 'email' | 'created'
> = {
  from: 'FROM users u',
  tenantId: 'u.tenant_id',
  createdAt: 'u.created_at',
  id: { sql: 'u.id', type: 'uuid' },
  columns: {
    name: { sql: 'u.name' },
    email: { sql: 'u.email' },
    admin: flag('u.is_admin'),
    disabled: flag('(u.disabled_at IS NOT NULL)'),
    roles: { sql: `ARRAY(SELECT r.name ${ROLES_OF_USER} ORDER BY r.name)` },
    permissions: { sql: PERMISSION_LABELS },
    created: { sql: 'u.created_at' },
  },
  filters: {
    name: { sql: 'u.name', type: 'text' },
    email: { sql: 'u.email', type: 'text' },
    admin: { sql: 'u.is_admin', type: 'boolean' },
    disabled: { sql: '(u.disabled_at IS NOT NULL)', type: 'boolean' },
    created: { sql: 'u.created_at', type: 'timestamptz' },
  },
  sorts: {
    name: { sql: 'u.name', type: 'text' },
    email: { sql: 'u.email', type: 'text' },
    created: { sql: 'u.created_at', type: 'timestamptz' },
  },
};

export const USERS_SQL = recordSourceSql(USERS_SOURCE, SQL);
