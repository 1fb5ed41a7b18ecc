import { Logger } from '@nestjs/common';
import {
  type Actor,
  AUDIT_EVENTS_SOURCE,
  type ExportJobStatusValue,
  SystemPermissions,
  USERS_SOURCE,
} from '@app/domain';
import { anActor, anExportJob, anExportJobQuery } from '@app/domain/testing/export-job.factory';
import { FakeExportJobRepository, FixedClock, settings } from '../../../testing/api-fakes';
import { RecordingQueue } from '../../../testing/recording-queue';
import { RetryExportJobCommand } from './retry-export-job.command';
import { RetryExportJobHandler } from './retry-export-job.handler';

const P = SystemPermissions;
const NOW = new Date('2026-03-05T08:00:00Z');
const admin = anActor({ isAdmin: true, permissions: P.ImportExportTickets, email: 'admin@acme.test' });
const agent = anActor({ permissions: P.ImportExportTickets });

function setup(maxActive = 3) {
  const jobs = new FakeExportJobRepository();
  const queue = new RecordingQueue();
  const handler = new RetryExportJobHandler(jobs, queue, new FixedClock(NOW), settings(maxActive));
  const retry = (actor: Actor, id: string) =>
    handler.execute(new RetryExportJobCommand({ actor, ip: null, userAgent: null }, id));
  return { jobs, queue, retry };
}

describe('RetryExportJobHandler', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it.each<ExportJobStatusValue>(['failed', 'cancelled'])(
    'runs a %s export again as a new queued job pointing back at it, audited and enqueued',
    async (status) => {
      const { jobs, queue, retry } = setup();
      const original = anExportJob({ requestedBy: agent, status });
      jobs.seed(original);
      const { details, created } = await retry(agent, original.id);
      const { job, canDownload } = details;
      expect(created).toBe(true);
      const { id } = job;
      expect(id).not.toBe(original.id);
      expect(job).toMatchObject({ status: 'queued', retryOf: original.id, requestedAt: NOW, attempts: 0 });
      expect(canDownload).toBe(false);
      expect(jobs.stored(id)).toMatchObject({
        status: 'queued',
        retryOf: original.id,
        requestedAt: NOW,
        query: original.toSnapshot().query,
        format: original.toSnapshot().format,
        attempts: 0,
      });
      expect(jobs.stored(original.id)?.status).toBe(status);
      expect(jobs.audit).toEqual([
        expect.objectContaining({ action: 'export.retried', jobId: id, details: { retryOf: original.id } }),
      ]);
      expect(queue.enqueued).toEqual([{ tenantId: agent.tenantId, jobId: id }]);
    },
  );

  it("makes an admin's retry of another user's job the admin's job", async () => {
    const { jobs, retry } = setup();
    const original = anExportJob({ requestedBy: agent, status: 'failed' });
    jobs.seed(original);
    const { id } = (await retry(admin, original.id)).details.job;
    expect(jobs.stored(id)).toMatchObject({
      requestedById: admin.userId,
      requestedByEmail: 'admin@acme.test',
    });
  });

  it.each<ExportJobStatusValue>(['queued', 'running', 'completed', 'expired'])(
    'refuses a %s job with EXPORT_JOB.NOT_RETRYABLE',
    async (status) => {
      const { jobs, retry } = setup();
      const original = anExportJob({ requestedBy: agent, status });
      jobs.seed(original);
      await expect(retry(agent, original.id)).rejects.toMatchObject({ code: 'EXPORT_JOB.NOT_RETRYABLE' });
      expect(jobs.writes).toEqual([]);
    },
  );

  it('counts the new job against the active limit', async () => {
    const { jobs, retry } = setup(1);
    jobs.seed(anExportJob({ requestedBy: agent, status: 'running' }));
    const original = anExportJob({ requestedBy: agent, status: 'failed' });
    jobs.seed(original);
    await expect(retry(agent, original.id)).rejects.toMatchObject({ code: 'EXPORT_JOB.TOO_MANY_ACTIVE' });
  });

  it('is ACCESS_DENIED for its requester without the permission, NOT_FOUND for other users', async () => {
    const { jobs, retry } = setup();
    const revoked = anActor({ permissions: P.ViewReports });
    const original = anExportJob({ requestedBy: revoked, status: 'failed' });
    jobs.seed(original);
    await expect(retry(revoked, original.id)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await expect(retry(agent, original.id)).rejects.toMatchObject({ code: 'EXPORT_JOB.NOT_FOUND' });
  });

  describe("checks the source's request rule again: a retry is a new request", () => {
    it('refuses a requester who kept the permission but lost isAdmin, for the audit log, with its message', async () => {
      const { jobs, queue, retry } = setup();
      const formerAdmin = anActor({ isAdmin: true, permissions: P.ImportExportTickets });
      const original = anExportJob({ requestedBy: formerAdmin, status: 'failed', source: 'audit-events' });
      jobs.seed(original);
      const demoted = { ...formerAdmin, isAdmin: false };

      await expect(retry(demoted, original.id)).rejects.toMatchObject({
        code: 'ACCESS_DENIED',
        message: AUDIT_EVENTS_SOURCE.requestDeniedMessage,
      });
      expect(jobs.writes).toEqual([]);
      expect(jobs.audit).toEqual([]);
      expect(queue.enqueued).toEqual([]);
      // Still an export admin: the same job may be retried.
      await expect(retry(formerAdmin, original.id)).resolves.toMatchObject({ created: true });
    });

    it('refuses the same for a staff users job, and lets the tickets job of that requester be retried', async () => {
      const { jobs, retry } = setup();
      const formerAdmin = anActor({ isAdmin: true, permissions: P.ImportExportTickets });
      const users = anExportJob({ requestedBy: formerAdmin, status: 'cancelled', source: 'users' });
      const tickets = anExportJob({ requestedBy: formerAdmin, status: 'cancelled' });
      jobs.seed(users, tickets);
      const demoted = { ...formerAdmin, isAdmin: false };

      await expect(retry(demoted, users.id)).rejects.toMatchObject({
        code: 'ACCESS_DENIED',
        message: USERS_SOURCE.requestDeniedMessage,
      });
      await expect(retry(demoted, tickets.id)).resolves.toMatchObject({ created: true });
    });

    it('keeps retry with ImportExportTickets (CONTRACT §3): the auditor may request users, not retry them', async () => {
      const { jobs, retry } = setup();
      const auditor = anActor({ isAdmin: true, permissions: P.ViewAuditLog });
      const original = anExportJob({ requestedBy: auditor, status: 'failed', source: 'users' });
      jobs.seed(original);
      expect(USERS_SOURCE.canRequest(auditor)).toBe(true);
      await expect(retry(auditor, original.id)).rejects.toMatchObject({
        code: 'ACCESS_DENIED',
        message: 'Retrying this export needs the Import / Export Tickets permission.',
      });
    });

    it("lets an export admin retry an agent's ticket-analytics job as its own", async () => {
      const { jobs, retry } = setup();
      const original = anExportJob({ requestedBy: agent, status: 'failed', source: 'ticket-analytics' });
      jobs.seed(original);
      const { id } = (await retry(admin, original.id)).details.job;
      expect(jobs.stored(id)).toMatchObject({ source: 'ticket-analytics', requestedById: admin.userId });
    });
  });

  it('still answers with the new job when the queue is down', async () => {
    const { jobs, queue, retry } = setup();
    queue.failing = true;
    const original = anExportJob({ requestedBy: agent, status: 'cancelled' });
    jobs.seed(original);
    const { id } = (await retry(agent, original.id)).details.job;
    expect(jobs.stored(id)?.status).toBe('queued');
  });

  it('retries a job once: a second retry gets the first one back (created false), and nothing new is written', async () => {
    const { jobs, queue, retry } = setup();
    const original = anExportJob({ requestedBy: agent, status: 'failed' });
    jobs.seed(original);
    const first = await retry(agent, original.id);
    const writes = jobs.writes.length;

    const second = await retry(admin, original.id);

    expect(second.created).toBe(false);
    expect(second.details.job.id).toBe(first.details.job.id);
    expect(jobs.writes).toHaveLength(writes);
    expect(jobs.audit.filter((a) => a.action === 'export.retried')).toHaveLength(1);
    expect(queue.enqueued).toHaveLength(1);
  });

  it('is EXPORT_JOB.NOT_RETRYABLE when the retry made already is a job the caller may not see', async () => {
    const { jobs, retry } = setup();
    const original = anExportJob({ requestedBy: agent, status: 'failed' });
    jobs.seed(original);
    await retry(admin, original.id); // the admin's job: the agent does not see it

    await expect(retry(agent, original.id)).rejects.toMatchObject({ code: 'EXPORT_JOB.NOT_RETRYABLE' });
  });

  it("keeps the original requester's @me when an admin retries a job stored before queries were resolved", async () => {
    const { jobs, retry } = setup();
    const query = anExportJobQuery({
      conditions: [
        { and: [{ field: 'assignee', operator: 'is', value: '@me' }], or: [] },
        { and: [], or: [{ field: 'assignee', operator: 'is_any_of', values: ['@me', admin.userId] }] },
      ],
    });
    const original = anExportJob({ requestedBy: agent, status: 'failed', query });
    jobs.seed(original);

    const { id } = (await retry(admin, original.id)).details.job;

    expect(jobs.stored(id)?.requestedById).toBe(admin.userId);
    expect(jobs.stored(id)?.query.conditions).toEqual([
      { and: [{ field: 'assignee', operator: 'is', value: agent.userId }], or: [] },
      { and: [], or: [{ field: 'assignee', operator: 'is_any_of', values: [agent.userId, admin.userId] }] },
    ]);
  });
});
