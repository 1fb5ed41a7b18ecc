/**
 * System permissions are a bit-flag set stored on roles. A user holds a permission when any of its roles
 * has the flag. Flags are part of the persisted data: never renumber one.
 */
export const SystemPermissions = {
  None: 0,
  ManageTickets: 1,
  DeleteTickets: 2,
  ManageContacts: 4,
  ManageViews: 8,
  ManageTeams: 16,
  ManageUsers: 32,
  ManageRoles: 64,
  ViewReports: 128,
  ManageSettings: 256,
  ImportExportTickets: 512,
  ManageKnowledgeBase: 1024,
  ViewAuditLog: 2048,
} as const;

export type SystemPermissionName = Exclude<keyof typeof SystemPermissions, 'None'>;

export interface SystemPermissionDescriptor {
  readonly name: SystemPermissionName;
  readonly flag: number;
  readonly label: string;
  readonly developerName: string;
}

const describe = (
  name: SystemPermissionName,
  label: string,
  developerName: string,
): SystemPermissionDescriptor => ({
  name,
  flag: SystemPermissions[name],
  label,
  developerName,
});

/** The builtin descriptors, in flag order: what an admin UI lists when editing a role. */
export const SYSTEM_PERMISSION_DESCRIPTORS: readonly SystemPermissionDescriptor[] = [
  describe('ManageTickets', 'Manage Tickets', 'manage_tickets'),
  describe('DeleteTickets', 'Delete Tickets', 'delete_tickets'),
  describe('ManageContacts', 'Manage Contacts', 'manage_contacts'),
  describe('ManageViews', 'Manage Views', 'manage_views'),
  describe('ManageTeams', 'Manage Teams', 'manage_teams'),
  describe('ManageUsers', 'Manage Users', 'manage_users'),
  describe('ManageRoles', 'Manage Roles', 'manage_roles'),
  describe('ViewReports', 'View Reports', 'view_reports'),
  describe('ManageSettings', 'Manage Settings', 'manage_settings'),
  describe('ImportExportTickets', 'Import / Export Tickets', 'import_export_tickets'),
  describe('ManageKnowledgeBase', 'Manage Knowledge Base', 'manage_knowledge_base'),
  describe('ViewAuditLog', 'View Audit Log', 'view_audit_log'),
];

/** All flags a role may carry; anything else in a stored value is ignored. */
export const ALL_SYSTEM_PERMISSIONS = SYSTEM_PERMISSION_DESCRIPTORS.reduce((all, d) => all | d.flag, 0);

export function hasPermission(granted: number, flag: number): boolean {
  return (granted & flag) === flag;
}

/** The union of the flags of a user's roles. */
export function combinePermissions(roleFlags: Iterable<number>): number {
  let all = SystemPermissions.None as number;
  for (const flags of roleFlags) all |= flags;
  return all & ALL_SYSTEM_PERMISSIONS;
}
