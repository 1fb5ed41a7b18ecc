import { randomUUID } from 'node:crypto';
import { exportJobView } from '@app/application';
import { DEFAULT_TICKET_QUERY, ExportJob, type ExportJobQuery } from '@app/domain';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { testDataSource, testPool } from '../../../../../test/support/database';
import { createTestTenant, type TestTenant } from '../../../../../test/support/factories';
import { TypeormExportJobReadModel } from './typeorm-export-job.read-model';
import { TypeormExportJobRepository } from './typeorm-export-job.repository';

const FILE_NAME = 'open-tickets-20261120-100000.csv';

describe('TypeormExportJobReadModel', () => {
  let pool: Pool;
  let dataSource: DataSource;
  let acme: TestTenant;
  let other: TestTenant;
  let readModel: TypeormExportJobReadModel;
  let repository: TypeormExportJobRepository;

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    acme = await createTestTenant(pool);
    other = await createTestTenant(pool);
    readModel = new TypeormExportJobReadModel(dataSource);
    repository = new TypeormExportJobRepository(dataSource);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await pool.end();
  });

  function requestJob(
    requester = 'agent',
    requestedAt = new Date('2026-11-20T10:00:00.123Z'),
    query: Partial<ExportJobQuery> = {},
    tenant = acme,
  ): ExportJob {
    return ExportJob.request({
      id: randomUUID(),
      tenantId: tenant.id,
      requestedBy: { id: tenant.userId(requester), email: tenant.email(requester) },
      source: 'tickets',
      format: 'csv',
      query: {
        ...DEFAULT_TICKET_QUERY,
        viewId: null,
        viewName: null,
        timezone: 'UTC',
        fileName: null,
        ...query,
      },
      now: requestedAt,
    });
  }

  /** Completes a saved running job with a file row, as the worker does; returns the file's object key. */
  async function complete(job: ExportJob): Promise<string> {
    const fileId = randomUUID();
    const objectKey = `exports/${job.tenantId}/${job.id}/${FILE_NAME}`;
    job.complete({
      file: {
        storedFileId: fileId,
        name: FILE_NAME,
        contentType: 'text/csv; charset=utf-8',
        sizeBytes: 1234,
        sha256: 'b'.repeat(64),
        rowCount: 100,
      },
      snapshotAt: new Date('2026-11-20T10:00:01.500Z'),
      now: new Date('2026-11-20T10:00:05Z'),
      retentionHours: 72,
    });
    await repository.save(job, {
      newFile: {
        id: fileId,
        tenantId: job.tenantId,
        name: FILE_NAME,
        contentType: 'text/csv; charset=utf-8',
        sizeBytes: 1234,
        sha256: 'b'.repeat(64),
        provider: 'local',
        bucket: null,
        objectKey,
      },
    });
    return objectKey;
  }

  it('reads, in every state, exactly the view a command builds from the aggregate it saved', async () => {
    const viewId = acme.viewIds['Open tickets'];
    const job = requestJob('agent', undefined, {
      viewId,
      viewName: 'Open tickets',
      columns: ['id', 'title', 'assigneeEmail'],
    });
    await repository.save(job);
    expect(await readModel.findById(acme.id, job.id)).toEqual(exportJobView(job));

    job.start(new Date('2026-11-20T10:00:01Z'));
    job.enterStage('exporting');
    job.reportProgress(40, 100);
    await repository.save(job);
    expect(await readModel.findById(acme.id, job.id)).toEqual(exportJobView(job));

    await complete(job);
    const completed = await readModel.findById(acme.id, job.id);
    expect(completed).toEqual(exportJobView(job));
    expect(completed).toMatchObject({
      status: 'completed',
      view: { id: viewId, name: 'Open tickets' },
      columns: [
        { key: 'id', label: 'Ticket ID' },
        { key: 'title', label: 'Title' },
        { key: 'assigneeEmail', label: 'Assignee Email' },
      ],
      requestedBy: { id: acme.userId('agent'), email: acme.email('agent') },
      file: { name: FILE_NAME, sizeBytes: 1234, rowCount: 100 },
      expiresAt: new Date('2026-11-23T10:00:05Z'),
    });

    const failed = requestJob();
    await repository.save(failed);
    failed.start(new Date('2026-11-20T10:00:01Z'));
    failed.fail({ code: 'EXPORT_JOB.FAILED', message: 'The export failed; retry it.' });
    await repository.save(failed);
    expect(await readModel.findById(acme.id, failed.id)).toEqual(exportJobView(failed));
  });

  it('never finds a job through another tenant', async () => {
    const job = requestJob();
    await repository.save(job);
    await expect(readModel.findById(other.id, job.id)).resolves.toBeNull();
    await expect(readModel.findDownload(other.id, job.id)).resolves.toBeNull();
    const listed = await readModel.list(other.id, {
      requestedById: null,
      statuses: [],
      limit: 500,
      cursor: null,
    });
    expect(listed.items.map((item) => item.id)).not.toContain(job.id);
  });

  it('lists newest first by keyset, by requester and status, and refuses a cursor it did not make', async () => {
    const tenant = await createTestTenant(pool);
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 20, 10, minute, 0, 123));
    const jobs = [
      requestJob('agent', at(1), {}, tenant),
      requestJob('admin', at(2), {}, tenant),
      requestJob('agent', at(3), {}, tenant),
      requestJob('agent', at(3), {}, tenant),
    ];
    for (const job of jobs) await repository.save(job);
    jobs[0].cancel();
    await repository.save(jobs[0]);
    const newestFirst = [...[jobs[2], jobs[3]].sort((a, b) => (a.id < b.id ? 1 : -1)), jobs[1], jobs[0]].map(
      (job) => job.id,
    );

    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await readModel.list(tenant.id, { requestedById: null, statuses: [], limit: 3, cursor });
      ids.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(ids).toEqual(newestFirst);

    const mine = await readModel.list(tenant.id, {
      requestedById: tenant.userId('agent'),
      statuses: ['queued'],
      limit: 50,
      cursor: null,
    });
    expect(mine.items.map((item) => item.id)).toEqual(
      newestFirst.filter((id) => id !== jobs[1].id).slice(0, 2),
    );
    expect(mine.items[0]).toEqual(
      exportJobView(jobs.find((job) => job.id === mine.items[0].id) as ExportJob),
    );
    expect(mine.nextCursor).toBeNull();

    await expect(
      readModel.list(tenant.id, { requestedById: null, statuses: [], limit: 3, cursor: 'garbage' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'cursor' }] });
  });

  it('finds what a download needs, and no object key once the file is deleted', async () => {
    const queued = requestJob('agent');
    await repository.save(queued);
    await expect(readModel.findDownload(acme.id, queued.id)).resolves.toEqual({
      tenantId: acme.id,
      source: 'tickets',
      requestedById: acme.userId('agent'),
      status: 'queued',
      expiresAt: null,
      file: null,
    });
    // The source decides who may download: it is read from the job, not assumed.
    const auditLog = ExportJob.restore({ ...requestJob('admin').toSnapshot(), source: 'audit-events' });
    await repository.save(auditLog);
    await expect(readModel.findDownload(acme.id, auditLog.id)).resolves.toMatchObject({
      source: 'audit-events',
    });

    const job = requestJob('agent');
    await repository.save(job);
    job.start(new Date('2026-11-20T10:00:01Z'));
    await repository.save(job);
    const objectKey = await complete(job);
    const file = { name: FILE_NAME, contentType: 'text/csv; charset=utf-8', sha256: 'b'.repeat(64) };
    await expect(readModel.findDownload(acme.id, job.id)).resolves.toEqual({
      tenantId: acme.id,
      source: 'tickets',
      requestedById: acme.userId('agent'),
      status: 'completed',
      expiresAt: new Date('2026-11-23T10:00:05Z'),
      file: { ...file, objectKey },
    });

    await pool.query(
      'UPDATE stored_files SET deleted_at = now() WHERE id = (SELECT file_id FROM export_jobs WHERE id = $1)',
      [job.id],
    );
    await expect(readModel.findDownload(acme.id, job.id)).resolves.toMatchObject({
      file: { ...file, objectKey: null },
    });
  });
});
