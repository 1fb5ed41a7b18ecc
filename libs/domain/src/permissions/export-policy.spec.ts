import type { ExportJob } from '../export-jobs/export-job';
import { ACME_TENANT_ID, anActor, anExportJob, GLOBEX_TENANT_ID } from '../testing/export-job.factory';
import type { Actor } from './actor';
import {
  canCancelExportJob,
  canDownloadExportJob,
  canListAllExportJobsOfTenant,
  canRequestExport,
  canRetryExportJob,
  canSeeExportJob,
} from './export-policy';
import { ALL_SYSTEM_PERMISSIONS, combinePermissions, SystemPermissions as P } from './system-permissions';

/** The roles `db:seed` gives its users (CONTRACT §3); only ImportExportTickets (512) matters for exports. */
const ROLE = {
  Administrator: ALL_SYSTEM_PERMISSIONS,
  Agent: P.ManageTickets | P.ManageContacts | P.ManageViews | P.ImportExportTickets,
  Viewer: P.ViewReports,
  Auditor: P.ViewReports | P.ViewAuditLog,
} as const;

/** The five seeded identities of CONTRACT §3. */
const IDENTITIES = {
  'admin@acme': anActor({
    tenantId: ACME_TENANT_ID,
    email: 'admin@acme.test',
    isAdmin: true,
    permissions: combinePermissions([ROLE.Administrator]),
  }),
  'agent@acme': anActor({
    tenantId: ACME_TENANT_ID,
    email: 'agent@acme.test',
    isAdmin: false,
    permissions: combinePermissions([ROLE.Agent]),
  }),
  'viewer@acme': anActor({
    tenantId: ACME_TENANT_ID,
    email: 'viewer@acme.test',
    isAdmin: false,
    permissions: combinePermissions([ROLE.Viewer]),
  }),
  'auditor@acme': anActor({
    tenantId: ACME_TENANT_ID,
    email: 'auditor@acme.test',
    isAdmin: true,
    permissions: combinePermissions([ROLE.Auditor]),
  }),
  'admin@globex': anActor({
    tenantId: GLOBEX_TENANT_ID,
    email: 'admin@globex.test',
    isAdmin: true,
    permissions: combinePermissions([ROLE.Administrator]),
  }),
} as const satisfies Record<string, Actor>;
type Identity = keyof typeof IDENTITIES;

/** Jobs as seen from the acting identity. */
type JobKind = 'own' | 'same tenant, other user' | 'other tenant';
const otherTenantOf = (actor: Actor): string =>
  actor.tenantId === ACME_TENANT_ID ? GLOBEX_TENANT_ID : ACME_TENANT_ID;
const JOBS: Readonly<Record<JobKind, (actor: Actor) => ExportJob>> = {
  own: (actor) => anExportJob({ requestedBy: actor }),
  'same tenant, other user': (actor) => anExportJob({ requestedBy: anActor({ tenantId: actor.tenantId }) }),
  'other tenant': (actor) => anExportJob({ requestedBy: anActor({ tenantId: otherTenantOf(actor) }) }),
};

const Y = true;
const n = false;

describe('export policy', () => {
  it('the seeded identities hold ImportExportTickets as CONTRACT §3 says', () => {
    const holds = (identity: Identity): boolean =>
      (IDENTITIES[identity].permissions & P.ImportExportTickets) === P.ImportExportTickets;
    expect(holds('admin@acme')).toBe(true);
    expect(holds('agent@acme')).toBe(true);
    expect(holds('viewer@acme')).toBe(false);
    expect(holds('auditor@acme')).toBe(false);
    expect(holds('admin@globex')).toBe(true);
  });

  // prettier-ignore
  it.each<[Identity, boolean, boolean]>([
    // identity        request  list all of tenant
    ['admin@acme',     Y,       Y],
    ['agent@acme',     Y,       n],
    ['viewer@acme',    n,       n],
    ['auditor@acme',   n,       n],
    ['admin@globex',   Y,       Y],
  ])('%s: canRequestExport %s, canListAllExportJobsOfTenant %s', (identity, request, listAll) => {
    expect(canRequestExport(IDENTITIES[identity])).toBe(request);
    expect(canListAllExportJobsOfTenant(IDENTITIES[identity])).toBe(listAll);
  });

  // Requester sees the own job whatever it now holds; download needs isAdmin AND 512 AND same tenant (being the
  // requester is not enough); cancel/retry: the requester still holding 512, or an admin with 512 of the tenant.
  // prettier-ignore
  it.each<[Identity, JobKind, boolean, boolean, boolean, boolean]>([
    // identity        job                         see  download  cancel  retry
    ['admin@acme',     'own',                      Y,   Y,        Y,      Y],
    ['admin@acme',     'same tenant, other user',  Y,   Y,        Y,      Y],
    ['admin@acme',     'other tenant',             n,   n,        n,      n],
    ['agent@acme',     'own',                      Y,   n,        Y,      Y],
    ['agent@acme',     'same tenant, other user',  n,   n,        n,      n],
    ['agent@acme',     'other tenant',             n,   n,        n,      n],
    ['viewer@acme',    'own',                      Y,   n,        n,      n],
    ['viewer@acme',    'same tenant, other user',  n,   n,        n,      n],
    ['viewer@acme',    'other tenant',             n,   n,        n,      n],
    ['auditor@acme',   'own',                      Y,   n,        n,      n],
    ['auditor@acme',   'same tenant, other user',  n,   n,        n,      n],
    ['auditor@acme',   'other tenant',             n,   n,        n,      n],
    ['admin@globex',   'own',                      Y,   Y,        Y,      Y],
    ['admin@globex',   'same tenant, other user',  Y,   Y,        Y,      Y],
    ['admin@globex',   'other tenant',             n,   n,        n,      n],
  ])('%s on a job (%s): see %s, download %s, cancel %s, retry %s', (identity, kind, see, download, cancel, retry) => {
    const actor = IDENTITIES[identity];
    const job = JOBS[kind](actor);
    expect(canSeeExportJob(actor, job)).toBe(see);
    expect(canDownloadExportJob(actor, job)).toBe(download);
    expect(canCancelExportJob(actor, job)).toBe(cancel);
    expect(canRetryExportJob(actor, job)).toBe(retry);
  });

  it('the job kinds are what their names say', () => {
    const actor = IDENTITIES['agent@acme'];
    const own = JOBS.own(actor);
    const colleague = JOBS['same tenant, other user'](actor);
    const foreign = JOBS['other tenant'](actor);
    expect([own.tenantId, own.requestedById]).toEqual([actor.tenantId, actor.userId]);
    expect(colleague.tenantId).toBe(actor.tenantId);
    expect(colleague.requestedById).not.toBe(actor.userId);
    expect(foreign.tenantId).not.toBe(actor.tenantId);
  });

  it.each(Object.keys(IDENTITIES) as Identity[])(
    '%s gets nothing on another tenant job that carries the same user id',
    (identity) => {
      const actor = IDENTITIES[identity];
      const job = anExportJob({ requestedBy: actor, tenantId: otherTenantOf(actor) });
      expect(job.requestedById).toBe(actor.userId);
      expect(canSeeExportJob(actor, job)).toBe(false);
      expect(canDownloadExportJob(actor, job)).toBe(false);
      expect(canCancelExportJob(actor, job)).toBe(false);
      expect(canRetryExportJob(actor, job)).toBe(false);
    },
  );

  it('a requester whose permission was revoked still sees the job but may no longer cancel or retry it', () => {
    const agent = anActor({ permissions: ROLE.Agent });
    const job = anExportJob({ requestedBy: agent });
    const revoked: Actor = { ...agent, permissions: ROLE.Agent & ~P.ImportExportTickets };

    expect([
      canSeeExportJob(agent, job),
      canCancelExportJob(agent, job),
      canRetryExportJob(agent, job),
    ]).toEqual([true, true, true]);
    expect([
      canSeeExportJob(revoked, job),
      canCancelExportJob(revoked, job),
      canRetryExportJob(revoked, job),
    ]).toEqual([true, false, false]);
  });

  it('an admin who loses ImportExportTickets loses every other user job of the tenant at once', () => {
    const admin = IDENTITIES['admin@acme'];
    const demoted: Actor = { ...admin, permissions: admin.permissions & ~P.ImportExportTickets };
    const job = JOBS['same tenant, other user'](admin);
    expect(canSeeExportJob(demoted, job)).toBe(false);
    expect(canDownloadExportJob(demoted, job)).toBe(false);
    expect(canCancelExportJob(demoted, job)).toBe(false);
    expect(canListAllExportJobsOfTenant(demoted)).toBe(false);
  });
});
