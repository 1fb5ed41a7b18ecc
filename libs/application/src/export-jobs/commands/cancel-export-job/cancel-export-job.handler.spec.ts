import { type Actor, type ExportJobStatusValue, SystemPermissions } from '@app/domain';
import { anActor, anExportJob, GLOBEX_TENANT_ID } from '@app/domain/testing/export-job.factory';
import { FakeExportJobRepository, FixedClock } from '../../../testing/api-fakes';
import { CancelExportJobCommand } from './cancel-export-job.command';
import { CancelExportJobHandler } from './cancel-export-job.handler';

const P = SystemPermissions;
const admin = anActor({ isAdmin: true, permissions: P.ImportExportTickets });
const agent = anActor({ permissions: P.ImportExportTickets });
const revokedAgent = anActor({ permissions: P.ManageTickets });

function setup() {
  const jobs = new FakeExportJobRepository();
  const handler = new CancelExportJobHandler(jobs, new FixedClock(new Date('2026-03-02T09:00:30Z')));
  const cancel = (actor: Actor, id: string) =>
    handler.execute(new CancelExportJobCommand({ actor, ip: '10.0.0.1', userAgent: 'jest' }, id));
  return { jobs, cancel };
}

describe('CancelExportJobHandler', () => {
  it.each<ExportJobStatusValue>(['queued', 'running'])(
    'cancels a %s job and audits it in the same save',
    async (status) => {
      const { jobs, cancel } = setup();
      const job = anExportJob({ requestedBy: agent, status });
      jobs.seed(job);
      await expect(cancel(agent, job.id)).resolves.toMatchObject({
        job: { id: job.id, status: 'cancelled', stage: null },
        canDownload: false,
      });
      expect(jobs.stored(job.id)).toMatchObject({ status: 'cancelled', stage: null });
      expect(jobs.audit).toEqual([
        {
          tenantId: agent.tenantId,
          actorId: agent.userId,
          action: 'export.cancelled',
          jobId: job.id,
          ip: '10.0.0.1',
          userAgent: 'jest',
          details: { from: status },
        },
      ]);
    },
  );

  it.each<ExportJobStatusValue>(['completed', 'failed', 'cancelled', 'expired'])(
    'refuses a %s job with EXPORT_JOB.INVALID_TRANSITION and writes nothing',
    async (status) => {
      const { jobs, cancel } = setup();
      const job = anExportJob({ requestedBy: agent, status });
      jobs.seed(job);
      await expect(cancel(agent, job.id)).rejects.toMatchObject({ code: 'EXPORT_JOB.INVALID_TRANSITION' });
      expect(jobs.writes).toEqual([]);
    },
  );

  it('lets an export admin cancel any job of the tenant', async () => {
    const { jobs, cancel } = setup();
    const job = anExportJob({ requestedBy: agent });
    jobs.seed(job);
    await cancel(admin, job.id);
    expect(jobs.stored(job.id)?.status).toBe('cancelled');
  });

  it('is ACCESS_DENIED for a requester who lost the permission (the job stays visible to it)', async () => {
    const { jobs, cancel } = setup();
    const job = anExportJob({ requestedBy: revokedAgent });
    jobs.seed(job);
    await expect(cancel(revokedAgent, job.id)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it.each<[string, Actor]>([
    ['another agent', anActor({ permissions: P.ImportExportTickets })],
    [
      'an export admin of another tenant',
      anActor({ tenantId: GLOBEX_TENANT_ID, isAdmin: true, permissions: P.ImportExportTickets }),
    ],
  ])('is EXPORT_JOB.NOT_FOUND for %s', async (_case, actor) => {
    const { jobs, cancel } = setup();
    const job = anExportJob({ requestedBy: agent });
    jobs.seed(job);
    await expect(cancel(actor, job.id)).rejects.toMatchObject({ code: 'EXPORT_JOB.NOT_FOUND' });
  });

  it('reloads and decides again when the worker saved the job in between', async () => {
    const { jobs, cancel } = setup();
    const job = anExportJob({ requestedBy: agent, status: 'running' });
    jobs.seed(job);
    jobs.staleSaves = 1;
    await expect(cancel(agent, job.id)).resolves.toMatchObject({ job: { status: 'cancelled' } });
    expect(jobs.stored(job.id)?.status).toBe('cancelled');
    expect(jobs.audit).toHaveLength(1);
  });

  it('gives up after three lost races', async () => {
    const { jobs, cancel } = setup();
    const job = anExportJob({ requestedBy: agent });
    jobs.seed(job);
    jobs.staleSaves = 3;
    await expect(cancel(agent, job.id)).rejects.toMatchObject({ code: 'EXPORT_JOB.CONCURRENT_UPDATE' });
  });
});
