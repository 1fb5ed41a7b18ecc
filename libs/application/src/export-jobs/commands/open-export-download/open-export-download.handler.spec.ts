import { buffer } from 'node:stream/consumers';
import {
  type Actor,
  AUDIT_EVENTS_SOURCE,
  type ExportJob,
  type ExportJobStatusValue,
  SystemPermissions,
} from '@app/domain';
import { anActor, anExportJob, COMPLETED_AT, GLOBEX_TENANT_ID } from '@app/domain/testing/export-job.factory';
import type { StoredFileRecord } from '../../../ports/export-job.repository';
import {
  FakeExportJobRepository,
  FakeReadModel,
  FixedClock,
  InMemoryStorage,
  RecordingAuditLog,
} from '../../../testing/api-fakes';
import { OpenExportDownloadHandler } from './open-export-download.handler';
import { OpenExportDownloadCommand } from './open-export-download.command';

const P = SystemPermissions;
const HOUR_MS = 3_600_000;
const admin = anActor({ isAdmin: true, permissions: P.ImportExportTickets });
const agent = anActor({ permissions: P.ImportExportTickets });
const auditor = anActor({ isAdmin: true, permissions: P.ViewAuditLog });
const CONTENT = Buffer.from('\uFEFFTicket ID,Title\r\n1,Hello\r\n');

function setup(now = new Date(COMPLETED_AT.getTime() + HOUR_MS)) {
  const jobs = new FakeExportJobRepository();
  const files = new FakeReadModel(jobs);
  const storage = new InMemoryStorage();
  const audit = new RecordingAuditLog();
  const handler = new OpenExportDownloadHandler(files, storage, audit, new FixedClock(now));
  const open = (actor: Actor, id: string) =>
    handler.execute(new OpenExportDownloadCommand({ actor, ip: '10.1.1.1', userAgent: 'curl' }, id));
  const withFile = (job: ExportJob, stored = true): ExportJob => {
    const file = job.toSnapshot().file;
    if (file) {
      const record: StoredFileRecord = {
        id: file.storedFileId,
        tenantId: job.tenantId,
        name: file.name,
        contentType: file.contentType,
        sizeBytes: CONTENT.length,
        sha256: file.sha256,
        provider: 'local',
        bucket: null,
        objectKey: `exports/${job.tenantId}/${job.id}/${file.name}`,
      };
      files.files.push(record);
      if (stored) storage.objects.set(record.objectKey, CONTENT);
    }
    jobs.seed(job);
    return job;
  };
  return { audit, open, withFile };
}

describe('OpenExportDownloadHandler', () => {
  it('streams the file to an export admin and audits the download', async () => {
    const { audit, open, withFile } = setup();
    const job = withFile(anExportJob({ requestedBy: agent, status: 'completed' }));
    const file = job.toSnapshot().file;
    const download = await open(admin, job.id);
    expect(download).toMatchObject({
      fileName: file?.name,
      contentType: file?.contentType,
      sizeBytes: CONTENT.length,
      sha256: file?.sha256,
    });
    expect((await buffer(download.stream)).equals(CONTENT)).toBe(true);
    expect(audit.entries).toEqual([
      {
        tenantId: admin.tenantId,
        actorId: admin.userId,
        action: 'export.downloaded',
        jobId: job.id,
        ip: '10.1.1.1',
        userAgent: 'curl',
        details: { fileName: file?.name, sizeBytes: CONTENT.length },
      },
    ]);
  });

  it.each<[string, () => ExportJob, Actor, string, string]>([
    [
      'the requester who is no admin',
      () => anExportJob({ requestedBy: agent, status: 'completed' }),
      agent,
      'ACCESS_DENIED',
      'forbidden',
    ],
    [
      'an admin without the permission, on its own old job',
      () => anExportJob({ requestedBy: auditor, status: 'completed' }),
      auditor,
      'ACCESS_DENIED',
      'forbidden',
    ],
    [
      'another agent',
      () => anExportJob({ requestedBy: agent, status: 'completed' }),
      anActor(),
      'EXPORT_JOB.NOT_FOUND',
      'not_found',
    ],
    [
      'an export admin of another tenant',
      () => anExportJob({ requestedBy: agent, status: 'completed' }),
      anActor({ tenantId: GLOBEX_TENANT_ID, isAdmin: true }),
      'EXPORT_JOB.NOT_FOUND',
      'not_found',
    ],
  ])('refuses %s and audits the refusal', async (_case, makeJob, actor, code, reason) => {
    const { audit, open, withFile } = setup();
    const job = withFile(makeJob());
    await expect(open(actor, job.id)).rejects.toMatchObject({ code });
    expect(audit.entries).toEqual([
      expect.objectContaining({
        action: 'export.download_denied',
        actorId: actor.userId,
        jobId: job.id,
        details: { reason },
      }),
    ]);
  });

  it.each<ExportJobStatusValue>(['queued', 'running', 'failed', 'cancelled'])(
    'is EXPORT_JOB.NOT_COMPLETED for a %s job',
    async (status) => {
      const { audit, open, withFile } = setup();
      const job = withFile(anExportJob({ requestedBy: agent, status }));
      await expect(open(admin, job.id)).rejects.toMatchObject({ code: 'EXPORT_JOB.NOT_COMPLETED' });
      expect(audit.entries.map((e) => e.details)).toEqual([{ reason: 'not_completed' }]);
    },
  );

  it('is EXPORT_JOB.EXPIRED once expired, and past expiresAt before the cleanup ran', async () => {
    const late = setup(new Date(COMPLETED_AT.getTime() + 72 * HOUR_MS));
    const completed = late.withFile(anExportJob({ requestedBy: agent, status: 'completed' }));
    await expect(late.open(admin, completed.id)).rejects.toMatchObject({ code: 'EXPORT_JOB.EXPIRED' });
    const expired = late.withFile(anExportJob({ requestedBy: agent, status: 'expired' }), false);
    await expect(late.open(admin, expired.id)).rejects.toMatchObject({ code: 'EXPORT_JOB.EXPIRED' });
    expect(late.audit.entries.map((e) => e.details)).toEqual([{ reason: 'expired' }, { reason: 'expired' }]);
  });

  describe("asks the job's source who may download", () => {
    afterEach(() => {
      jest.restoreAllMocks();
    });

    it('refuses an export admin when the source refuses, and still serves a job of another source', async () => {
      // A stricter rule of one source (the registry's audit-events entry) must reach the download.
      const rule = jest.spyOn(AUDIT_EVENTS_SOURCE, 'canDownload').mockReturnValue(false);
      const { audit, open, withFile } = setup();
      const auditLog = withFile(
        anExportJob({ requestedBy: admin, status: 'completed', source: 'audit-events' }),
      );
      const tickets = withFile(anExportJob({ requestedBy: admin, status: 'completed' }));

      await expect(open(admin, auditLog.id)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
      await expect(open(admin, tickets.id)).resolves.toMatchObject({ sizeBytes: CONTENT.length });

      expect(rule).toHaveBeenCalledTimes(1);
      expect(rule).toHaveBeenCalledWith(
        admin,
        expect.objectContaining({ tenantId: admin.tenantId, requestedById: admin.userId }),
      );
      expect(audit.entries.map((e) => [e.jobId, e.action, e.details])).toEqual([
        [auditLog.id, 'export.download_denied', { reason: 'forbidden' }],
        [tickets.id, 'export.downloaded', expect.objectContaining({ sizeBytes: CONTENT.length })],
      ]);
    });

    it('serves someone the source admits even without the default rule', async () => {
      jest.spyOn(AUDIT_EVENTS_SOURCE, 'canDownload').mockReturnValue(true);
      const { open, withFile } = setup();
      const job = withFile(anExportJob({ requestedBy: agent, status: 'completed', source: 'audit-events' }));
      await expect(open(agent, job.id)).resolves.toMatchObject({ sizeBytes: CONTENT.length });
    });
  });

  it('is EXPORT_JOB.FILE_MISSING when storage lost the file', async () => {
    const { audit, open, withFile } = setup();
    const job = withFile(anExportJob({ requestedBy: agent, status: 'completed' }), false);
    await expect(open(admin, job.id)).rejects.toMatchObject({ code: 'EXPORT_JOB.FILE_MISSING' });
    expect(audit.entries.map((e) => e.details)).toEqual([{ reason: 'file_missing' }]);
  });
});
