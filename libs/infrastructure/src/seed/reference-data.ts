import { ALL_SYSTEM_PERMISSIONS, DEFAULT_TICKET_COLUMNS, SystemPermissions } from '@app/domain';
import type { PoolClient } from 'pg';
import { stableId } from './stable-id';

const P = SystemPermissions;

export interface RoleSeed {
  readonly name: string;
  readonly permissions: number;
}

export interface UserSeed {
  readonly email: string;
  readonly name: string;
  readonly isAdmin: boolean;
  readonly roles: readonly string[];
  /** When the account was disabled (ISO 8601); absent for an active user. */
  readonly disabledAt?: string;
}

export interface ViewSeed {
  readonly name: string;
  /** Email of the owner; absent for a system view. */
  readonly owner?: string;
  readonly columns: readonly string[];
  readonly conditions: { readonly and: readonly object[]; readonly or: readonly object[] };
  readonly sort: readonly { readonly field: string; readonly direction: 'asc' | 'desc' }[];
}

export interface TenantSeed {
  readonly slug: string;
  readonly name: string;
  readonly statuses: readonly { key: string; label: string; type: 'open' | 'closed'; sortOrder: number }[];
  readonly priorities: readonly { key: string; label: string; sortOrder: number }[];
  readonly teams: readonly string[];
  readonly roles: readonly RoleSeed[];
  readonly users: readonly UserSeed[];
  readonly views: readonly ViewSeed[];
}

/** What was written, by name: the ids tests and the ticket generator refer to. */
export interface SeededTenant {
  readonly id: string;
  readonly slug: string;
  readonly userIds: Readonly<Record<string, string>>;
  readonly roleIds: Readonly<Record<string, string>>;
  readonly statusIds: Readonly<Record<string, number>>;
  readonly priorityIds: Readonly<Record<string, number>>;
  readonly teamIds: Readonly<Record<string, string>>;
  readonly viewIds: Readonly<Record<string, string>>;
}

const STATUSES: TenantSeed['statuses'] = [
  { key: 'new', label: 'New', type: 'open', sortOrder: 10 },
  { key: 'open', label: 'Open', type: 'open', sortOrder: 20 },
  { key: 'pending', label: 'Pending', type: 'open', sortOrder: 30 },
  { key: 'on_hold', label: 'On Hold', type: 'open', sortOrder: 40 },
  { key: 'solved', label: 'Solved', type: 'closed', sortOrder: 50 },
  { key: 'closed', label: 'Closed', type: 'closed', sortOrder: 60 },
];

const PRIORITIES: TenantSeed['priorities'] = [
  { key: 'low', label: 'Low', sortOrder: 10 },
  { key: 'normal', label: 'Normal', sortOrder: 20 },
  { key: 'high', label: 'High', sortOrder: 30 },
  { key: 'urgent', label: 'Urgent', sortOrder: 40 },
];

const ROLES: readonly RoleSeed[] = [
  { name: 'Administrator', permissions: ALL_SYSTEM_PERMISSIONS },
  { name: 'Agent', permissions: P.ManageTickets | P.ManageContacts | P.ManageViews | P.ImportExportTickets },
  { name: 'Support Staff', permissions: P.ManageTickets | P.ManageContacts },
  { name: 'Viewer', permissions: P.ViewReports },
  { name: 'Auditor', permissions: P.ViewReports | P.ViewAuditLog },
  {
    name: 'Team Lead',
    permissions: P.ManageTickets | P.ManageViews | P.ManageTeams | P.ViewReports | P.ImportExportTickets,
  },
];

const DEFAULT_COLUMNS: readonly string[] = DEFAULT_TICKET_COLUMNS;

/** The system views every tenant gets, plus one personal view of its admin. */
function views(adminEmail: string): ViewSeed[] {
  return [
    {
      name: 'All tickets',
      columns: DEFAULT_COLUMNS,
      conditions: { and: [], or: [] },
      sort: [{ field: 'creationTime', direction: 'desc' }],
    },
    {
      name: 'Open tickets',
      columns: [...DEFAULT_COLUMNS, 'tags', 'slaDueAt'],
      conditions: { and: [{ field: 'statusType', operator: 'is', value: 'open' }], or: [] },
      sort: [
        { field: 'priority', direction: 'desc' },
        { field: 'creationTime', direction: 'asc' },
      ],
    },
    {
      name: 'Urgent and high priority',
      columns: DEFAULT_COLUMNS,
      conditions: {
        and: [{ field: 'priority', operator: 'gte', value: 'high' }],
        or: [],
      },
      sort: [{ field: 'lastModificationTime', direction: 'desc' }],
    },
    {
      name: 'My open tickets',
      columns: DEFAULT_COLUMNS,
      conditions: {
        and: [
          { field: 'assignee', operator: 'is', value: '@me' },
          { field: 'statusType', operator: 'is', value: 'open' },
        ],
        or: [],
      },
      sort: [{ field: 'slaDueAt', direction: 'asc' }],
    },
    {
      name: 'Unassigned',
      columns: DEFAULT_COLUMNS,
      conditions: { and: [{ field: 'assignee', operator: 'is_empty' }], or: [] },
      sort: [{ field: 'creationTime', direction: 'asc' }],
    },
    {
      name: 'Billing and refunds',
      owner: adminEmail,
      columns: [
        'id',
        'title',
        'description',
        'status',
        'tags',
        'contactName',
        'contactEmail',
        'creationTime',
        'resolvedAt',
      ],
      conditions: {
        and: [],
        or: [
          { field: 'category', operator: 'is', value: 'Billing' },
          { field: 'tags', operator: 'is_any_of', values: ['refund', 'invoice'] },
        ],
      },
      sort: [
        { field: 'status', direction: 'asc' },
        { field: 'title', direction: 'asc' },
      ],
    },
  ];
}

const staff = (domain: string, names: readonly string[]): UserSeed[] =>
  names.map((name) => ({
    email: `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@${domain}`,
    name,
    isAdmin: false,
    roles: ['Support Staff'],
  }));

export const ACME: TenantSeed = {
  slug: 'acme',
  name: 'Acme Corporation',
  statuses: STATUSES,
  priorities: PRIORITIES,
  teams: ['Billing', 'Technical Support', 'Onboarding', 'Escalations', 'Customer Success'],
  roles: ROLES,
  users: [
    { email: 'admin@acme.test', name: 'Ada Admin', isAdmin: true, roles: ['Administrator'] },
    { email: 'agent@acme.test', name: 'Alan Agent', isAdmin: false, roles: ['Agent'] },
    { email: 'viewer@acme.test', name: 'Vera Viewer', isAdmin: false, roles: ['Viewer'] },
    { email: 'auditor@acme.test', name: 'Otto Auditor', isAdmin: true, roles: ['Auditor'] },
    ...staff('acme.test', [
      'Grace Hopper',
      'Linus Torvalds',
      'Margaret Hamilton',
      'Ken Thompson',
      'Barbara Liskov',
      'Dennis Ritchie',
      'Frances Allen',
      'Edsger Dijkstra',
    ]),
    // Accounts beyond the contract's five, for the staff directory and the audit log: several roles each, none,
    // and former staff whose accounts were disabled (their tickets and audit rows stay).
    {
      email: 'sam.supervisor@acme.test',
      name: 'Sam Supervisor',
      isAdmin: true,
      roles: ['Team Lead', 'Auditor'],
    },
    {
      email: 'rita.reporter@acme.test',
      name: 'Rita Reporter',
      isAdmin: false,
      roles: ['Viewer', 'Support Staff'],
    },
    { email: 'ivan.intern@acme.test', name: 'Ivan Intern', isAdmin: false, roles: [] },
    {
      email: 'dora.departed@acme.test',
      name: 'Dora Departed',
      isAdmin: false,
      roles: ['Agent'],
      disabledAt: '2026-05-29T16:00:00Z',
    },
    {
      email: 'felix.former@acme.test',
      name: 'Felix Former',
      isAdmin: true,
      roles: ['Administrator', 'Team Lead'],
      disabledAt: '2026-02-13T09:30:00Z',
    },
  ],
  views: views('admin@acme.test'),
};

export const GLOBEX: TenantSeed = {
  slug: 'globex',
  name: 'Globex Corporation',
  statuses: [
    { key: 'triage', label: 'Triage', type: 'open', sortOrder: 5 },
    ...STATUSES.filter((s) => s.key !== 'new'),
  ],
  priorities: PRIORITIES,
  teams: ['Support', 'Engineering', 'Sales'],
  roles: ROLES,
  users: [
    { email: 'admin@globex.test', name: 'Hank Scorpio', isAdmin: true, roles: ['Administrator'] },
    ...staff('globex.test', ['Homer Simpson', 'Frank Grimes', 'Mindy Simmons']),
    { email: 'patty.bouvier@globex.test', name: 'Patty Bouvier', isAdmin: true, roles: ['Agent', 'Auditor'] },
    {
      email: 'lurleen.lumpkin@globex.test',
      name: 'Lurleen Lumpkin',
      isAdmin: false,
      roles: ['Support Staff'],
      disabledAt: '2026-08-03T12:00:00Z',
    },
  ],
  views: views('admin@globex.test'),
};

const byName = <T>(entries: [string, T][]): Record<string, T> => Object.fromEntries(entries);

/** Writes a tenant's reference data (not its tickets). Ids are derived from the slug and names. */
export async function seedTenant(db: PoolClient, seed: TenantSeed): Promise<SeededTenant> {
  const tenantId = stableId('tenant', seed.slug);
  const id = (...parts: string[]): string => stableId(seed.slug, ...parts);
  await db.query('INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3)', [
    tenantId,
    seed.slug,
    seed.name,
  ]);

  const roleIds = byName(seed.roles.map((r) => [r.name, id('role', r.name)]));
  for (const role of seed.roles)
    await db.query('INSERT INTO roles (id, tenant_id, name, permissions) VALUES ($1, $2, $3, $4)', [
      roleIds[role.name],
      tenantId,
      role.name,
      role.permissions,
    ]);

  const userIds = byName(seed.users.map((u) => [u.email, id('user', u.email)]));
  for (const user of seed.users) {
    await db.query(
      'INSERT INTO users (id, tenant_id, email, name, is_admin, disabled_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [userIds[user.email], tenantId, user.email, user.name, user.isAdmin, user.disabledAt ?? null],
    );
    for (const role of user.roles)
      await db.query('INSERT INTO user_roles (tenant_id, user_id, role_id) VALUES ($1, $2, $3)', [
        tenantId,
        userIds[user.email],
        roleIds[role],
      ]);
  }

  const statusIds: Record<string, number> = {};
  for (const s of seed.statuses) {
    const { rows } = await db.query<{ id: number }>(
      'INSERT INTO ticket_statuses (tenant_id, key, label, type, sort_order) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [tenantId, s.key, s.label, s.type, s.sortOrder],
    );
    statusIds[s.key] = rows[0].id;
  }
  const priorityIds: Record<string, number> = {};
  for (const p of seed.priorities) {
    const { rows } = await db.query<{ id: number }>(
      'INSERT INTO ticket_priorities (tenant_id, key, label, sort_order) VALUES ($1, $2, $3, $4) RETURNING id',
      [tenantId, p.key, p.label, p.sortOrder],
    );
    priorityIds[p.key] = rows[0].id;
  }
  const teamIds = byName(seed.teams.map((t) => [t, id('team', t)]));
  for (const team of seed.teams)
    await db.query('INSERT INTO teams (id, tenant_id, name) VALUES ($1, $2, $3)', [
      teamIds[team],
      tenantId,
      team,
    ]);

  const viewIds = byName(seed.views.map((v) => [v.name, id('view', v.owner ?? 'system', v.name)]));
  for (const view of seed.views) {
    await db.query(
      `INSERT INTO ticket_views (id, tenant_id, owner_id, name, is_system, columns, conditions, sort)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        viewIds[view.name],
        tenantId,
        view.owner ? userIds[view.owner] : null,
        view.name,
        view.owner === undefined,
        JSON.stringify(view.columns),
        JSON.stringify(view.conditions),
        JSON.stringify(view.sort),
      ],
    );
  }
  return { id: tenantId, slug: seed.slug, userIds, roleIds, statusIds, priorityIds, teamIds, viewIds };
}
