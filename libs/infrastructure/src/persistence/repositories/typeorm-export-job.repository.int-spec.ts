import { randomUUID } from 'node:crypto';
import { DEFAULT_TICKET_QUERY, ExportJob, type ExportJobQuery } from '@app/domain';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { testDataSource, testPool } from '../../../../../test/support/database';
import { createTestTenant, type TestTenant } from '../../../../../test/support/factories';
import { TypeormExportJobRepository } from './typeorm-export-job.repository';

const NASTY = [
  'quote " inside',
  "'; DROP TABLE tickets; --",
  'emoji 🎫🚀',
  'line\nbreak',
  '%_ like wildcards %',
];

function aQuery(overrides: Partial<ExportJobQuery> = {}): ExportJobQuery {
  return {
    ...DEFAULT_TICKET_QUERY,
    viewId: null,
    viewName: null,
    timezone: 'Europe/Paris',
    fileName: null,
    ...overrides,
  };
}

describe('TypeormExportJobRepository', () => {
  let pool: Pool;
  let dataSource: DataSource;
  let acme: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    acme = await createTestTenant(pool);
    other = await createTestTenant(pool);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await pool.end();
  });

  function requestJob(query = aQuery()): ExportJob {
    return ExportJob.request({
      id: randomUUID(),
      tenantId: acme.id,
      requestedBy: { id: acme.userId('agent'), email: acme.email('agent') },
      source: 'tickets',
      format: 'csv',
      query,
      now: new Date('2026-11-20T10:00:00.123Z'),
      idempotencyKey: `key-${randomUUID()}`,
      requestHash: 'hash-1',
    });
  }

  it('stores a requested job and reads back the same state', async () => {
    const repository = new TypeormExportJobRepository(dataSource);
    const job = requestJob(
      aQuery({
        search: NASTY[1],
        conditions: [{ and: NASTY.map((value) => ({ field: 'title', operator: 'eq', value })), or: [] }],
        fileName: 'weekly report',
      }),
    );

    await repository.save(job);
    const loaded = await new TypeormExportJobRepository(dataSource).findById(acme.id, job.id);

    expect(loaded?.toSnapshot()).toEqual(job.toSnapshot());
  });

  it('persists every state change: start, progress, completion with its file', async () => {
    const repository = new TypeormExportJobRepository(dataSource);
    const job = requestJob();
    await repository.save(job);
    job.start(new Date('2026-11-20T10:00:01Z'));
    job.enterStage('exporting');
    job.reportProgress(40, 100);
    await repository.save(job);
    const fileId = randomUUID();
    await pool.query(
      `INSERT INTO stored_files (id, tenant_id, name, content_type, size_bytes, sha256, provider, object_key)
       VALUES ($1, $2, 'all-tickets-20261120-100000.csv', 'text/csv; charset=utf-8', 1234, $3, 'local', $4)`,
      [fileId, acme.id, 'a'.repeat(64), `exports/${acme.id}/${job.id}/all-tickets-20261120-100000.csv`],
    );
    job.complete({
      file: {
        storedFileId: fileId,
        name: 'all-tickets-20261120-100000.csv',
        contentType: 'text/csv; charset=utf-8',
        sizeBytes: 1234,
        sha256: 'a'.repeat(64),
        rowCount: 100,
      },
      snapshotAt: new Date('2026-11-20T10:00:01.500Z'),
      now: new Date('2026-11-20T10:00:05Z'),
      retentionHours: 72,
    });
    await repository.save(job);

    const loaded = await new TypeormExportJobRepository(dataSource).findById(acme.id, job.id);

    expect(loaded?.toSnapshot()).toEqual(job.toSnapshot());
    expect(loaded?.toSnapshot()).toMatchObject({
      status: 'completed',
      attempts: 1,
      progress: { percent: 100, rowsExported: 100, totalRows: 100 },
      expiresAt: new Date('2026-11-23T10:00:05Z'),
    });
  });

  it('never finds a job through another tenant', async () => {
    const repository = new TypeormExportJobRepository(dataSource);
    const job = requestJob();
    await repository.save(job);

    expect(await repository.findById(other.id, job.id)).toBeNull();
    expect(await repository.findById(acme.id, randomUUID())).toBeNull();
  });

  it('refuses to overwrite a change made since the job was loaded', async () => {
    const job = requestJob();
    await new TypeormExportJobRepository(dataSource).save(job);
    const apiRepository = new TypeormExportJobRepository(dataSource);
    const workerRepository = new TypeormExportJobRepository(dataSource);
    const inApi = await apiRepository.findById(acme.id, job.id);
    const inWorker = await workerRepository.findById(acme.id, job.id);
    if (!inApi || !inWorker) throw new Error('job not found');

    inApi.cancel();
    await apiRepository.save(inApi);
    inWorker.start(new Date());

    await expect(workerRepository.save(inWorker)).rejects.toMatchObject({
      code: 'EXPORT_JOB.CONCURRENT_UPDATE',
    });
    const stored = await new TypeormExportJobRepository(dataSource).findById(acme.id, job.id);
    expect(stored?.status.value).toBe('cancelled');
  });

  async function auditActionsOf(jobId: string): Promise<string[]> {
    const { rows } = await pool.query<{ action: string }>(
      'SELECT action FROM audit_events WHERE job_id = $1 ORDER BY id',
      [jobId],
    );
    return rows.map((r) => r.action);
  }

  it('writes the audit rows and the new file in the same transaction as the job', async () => {
    const repository = new TypeormExportJobRepository(dataSource);
    const job = requestJob();
    await repository.save(job, {
      audit: [
        {
          tenantId: acme.id,
          actorId: acme.userId('agent'),
          action: 'export.requested',
          jobId: job.id,
          ip: '10.0.0.1',
          userAgent: 'jest',
        },
      ],
    });
    job.start(new Date());
    const fileId = randomUUID();
    job.complete({
      file: {
        storedFileId: fileId,
        name: 'f.csv',
        contentType: 'text/csv',
        sizeBytes: 3,
        sha256: 'b'.repeat(64),
        rowCount: 0,
      },
      snapshotAt: new Date(),
      now: new Date(),
      retentionHours: 72,
    });

    await repository.save(job, {
      newFile: {
        id: fileId,
        tenantId: acme.id,
        name: 'f.csv',
        contentType: 'text/csv',
        sizeBytes: 3,
        sha256: 'b'.repeat(64),
        provider: 's3',
        bucket: 'exports',
        objectKey: `exports/${acme.id}/${job.id}/f.csv`,
      },
      audit: [
        { tenantId: acme.id, actorId: null, action: 'export.completed', jobId: job.id, details: { rows: 0 } },
      ],
    });

    expect(await auditActionsOf(job.id)).toEqual(['export.requested', 'export.completed']);
    const { rows } = await pool.query('SELECT provider, bucket, object_key FROM stored_files WHERE id = $1', [
      fileId,
    ]);
    expect(rows).toEqual([
      { provider: 's3', bucket: 'exports', object_key: `exports/${acme.id}/${job.id}/f.csv` },
    ]);
  });

  it('writes neither audit rows nor the file when the job is stale', async () => {
    const job = requestJob();
    await new TypeormExportJobRepository(dataSource).save(job);
    const first = new TypeormExportJobRepository(dataSource);
    const second = new TypeormExportJobRepository(dataSource);
    const a = await first.findById(acme.id, job.id);
    const b = await second.findById(acme.id, job.id);
    if (!a || !b) throw new Error('job not found');
    a.cancel();
    await first.save(a, {
      audit: [
        { tenantId: acme.id, actorId: acme.userId('agent'), action: 'export.cancelled', jobId: job.id },
      ],
    });
    b.cancel();
    const fileId = randomUUID();

    await expect(
      second.save(b, {
        newFile: {
          id: fileId,
          tenantId: acme.id,
          name: 'x',
          contentType: 'text/csv',
          sizeBytes: 1,
          sha256: 'c'.repeat(64),
          provider: 'local',
          bucket: null,
          objectKey: 'k',
        },
        audit: [
          { tenantId: acme.id, actorId: acme.userId('admin'), action: 'export.cancelled', jobId: job.id },
        ],
      }),
    ).rejects.toMatchObject({ code: 'EXPORT_JOB.CONCURRENT_UPDATE' });
    expect(await auditActionsOf(job.id)).toEqual(['export.cancelled']);
    expect((await pool.query('SELECT 1 FROM stored_files WHERE id = $1', [fileId])).rowCount).toBe(0);
  });

  it('records a webhook event only for a state change that commits: none when its transaction rolls back', async () => {
    const eventsOf = async (jobId: string): Promise<string[]> =>
      (
        await pool.query<{ type: string }>(
          'SELECT type FROM export_job_events WHERE job_id = $1 ORDER BY id',
          [jobId],
        )
      ).rows.map((r) => r.type);
    const job = requestJob();
    await new TypeormExportJobRepository(dataSource).save(job);
    const failing = new TypeormExportJobRepository(dataSource);
    const loaded = await failing.findById(acme.id, job.id);
    if (!loaded) throw new Error('job not found');
    loaded.cancel();

    // The job's row is updated (the trigger fires), then the audit row breaks the transaction: no tenant has that id.
    await expect(
      failing.save(loaded, {
        audit: [{ tenantId: randomUUID(), actorId: null, action: 'export.cancelled', jobId: job.id }],
      }),
    ).rejects.toThrow(/foreign key/);
    expect(await eventsOf(job.id)).toEqual([]);
    expect((await new TypeormExportJobRepository(dataSource).findById(acme.id, job.id))?.status.value).toBe(
      'queued',
    );

    const repository = new TypeormExportJobRepository(dataSource);
    const again = await repository.findById(acme.id, job.id);
    if (!again) throw new Error('job not found');
    again.cancel();
    await repository.save(again);
    expect(await eventsOf(job.id)).toEqual(['export.cancelled']);
  });
});
