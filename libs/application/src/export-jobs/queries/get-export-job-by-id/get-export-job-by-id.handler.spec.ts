import { type Actor, AUDIT_EVENTS_SOURCE, SystemPermissions } from '@app/domain';
import {
  ACME_TENANT_ID,
  anActor,
  anExportJob,
  COMPLETED_AT,
  GLOBEX_TENANT_ID,
} from '@app/domain/testing/export-job.factory';
import { exportColumnRefs } from '../../../ports/export-job.read-model';
import { FakeExportJobRepository, FakeReadModel, FixedClock } from '../../../testing/api-fakes';
import { GetExportJobByIdHandler } from './get-export-job-by-id.handler';
import { GetExportJobByIdQuery } from './get-export-job-by-id.query';

const P = SystemPermissions;
const admin = anActor({ isAdmin: true, permissions: P.ImportExportTickets | P.ManageTickets });
const agent = anActor({ permissions: P.ImportExportTickets });
const viewer = anActor({ permissions: P.ViewReports });
const auditor = anActor({ isAdmin: true, permissions: P.ViewReports | P.ViewAuditLog });
const globexAdmin = anActor({
  tenantId: GLOBEX_TENANT_ID,
  isAdmin: true,
  permissions: P.ImportExportTickets,
});
const HOUR_MS = 3_600_000;
const SOON_AFTER_COMPLETION = new Date(COMPLETED_AT.getTime() + HOUR_MS);

function setup(now = SOON_AFTER_COMPLETION) {
  const jobs = new FakeExportJobRepository();
  const handler = new GetExportJobByIdHandler(new FakeReadModel(jobs), new FixedClock(now));
  return { jobs, get: (actor: Actor, id: string) => handler.execute(new GetExportJobByIdQuery(actor, id)) };
}

describe('GetExportJobByIdHandler', () => {
  it('shows the requester its job, with everything the job holds', async () => {
    const { jobs, get } = setup();
    const job = anExportJob({ requestedBy: agent, status: 'running' });
    jobs.seed(job);
    const { query, ...props } = job.toSnapshot();
    await expect(get(agent, job.id)).resolves.toEqual({
      job: {
        id: props.id,
        tenantId: props.tenantId,
        source: props.source,
        format: props.format,
        status: 'running',
        stage: props.stage,
        progress: props.progress,
        view: null,
        columns: exportColumnRefs('tickets', query.columns),
        requestedBy: { id: agent.userId, email: agent.email },
        requestedAt: props.requestedAt,
        snapshotAt: props.snapshotAt,
        startedAt: props.startedAt,
        completedAt: null,
        expiresAt: null,
        attempts: props.attempts,
        retryOf: null,
        file: null,
        error: null,
      },
      canDownload: false,
    });
  });

  it.each<[string, Actor, Actor, boolean]>([
    ['the requester, an export admin, on a completed job', admin, admin, true],
    ['an export admin, on another user’s completed job', agent, admin, true],
    ['the requester without admin rights', agent, agent, false],
    ['the requester whose permission was revoked', viewer, viewer, false],
  ])('%s: canDownload %s', async (_case, requester, reader, canDownload) => {
    const { jobs, get } = setup();
    const job = anExportJob({ requestedBy: requester, status: 'completed' });
    jobs.seed(job);
    await expect(get(reader, job.id)).resolves.toMatchObject({ canDownload });
  });

  it('offers no download once the job is past its expiry, even before the cleanup ran', async () => {
    const { jobs, get } = setup(new Date(COMPLETED_AT.getTime() + 73 * HOUR_MS));
    const job = anExportJob({ requestedBy: agent, status: 'completed' });
    jobs.seed(job);
    await expect(get(admin, job.id)).resolves.toMatchObject({
      job: { status: 'completed' },
      canDownload: false,
    });
  });

  it("offers the download by the rule of the job's source, the one the download applies", async () => {
    const rule = jest.spyOn(AUDIT_EVENTS_SOURCE, 'canDownload').mockReturnValue(false);
    try {
      const { jobs, get } = setup();
      const auditLog = anExportJob({ requestedBy: admin, status: 'completed', source: 'audit-events' });
      const tickets = anExportJob({ requestedBy: admin, status: 'completed' });
      jobs.seed(auditLog, tickets);
      await expect(get(admin, auditLog.id)).resolves.toMatchObject({ canDownload: false });
      await expect(get(admin, tickets.id)).resolves.toMatchObject({ canDownload: true });
      expect(rule).toHaveBeenCalledWith(admin, { tenantId: admin.tenantId, requestedById: admin.userId });
    } finally {
      rule.mockRestore();
    }
  });

  it.each<[string, Actor]>([
    ['another non-admin user of the tenant', anActor({ permissions: P.ImportExportTickets })],
    ['an admin without the export permission', auditor],
    ['a user without any permission', viewer],
    ['an export admin of another tenant', globexAdmin],
  ])('is EXPORT_JOB.NOT_FOUND for %s', async (_case, reader) => {
    const { jobs, get } = setup();
    const job = anExportJob({ requestedBy: agent });
    jobs.seed(job);
    await expect(get(reader, job.id)).rejects.toMatchObject({ code: 'EXPORT_JOB.NOT_FOUND' });
  });

  it('is EXPORT_JOB.NOT_FOUND for a job that does not exist', async () => {
    const { get } = setup();
    await expect(get(admin, '00000000-0000-4000-8000-00000000dead')).rejects.toMatchObject({
      code: 'EXPORT_JOB.NOT_FOUND',
    });
  });

  it('never reaches into another tenant, even with the id of a job there', async () => {
    const { jobs, get } = setup();
    const job = anExportJob({ requestedBy: globexAdmin });
    jobs.seed(job);
    expect(job.tenantId).not.toBe(ACME_TENANT_ID);
    await expect(get(admin, job.id)).rejects.toMatchObject({ code: 'EXPORT_JOB.NOT_FOUND' });
  });
});
