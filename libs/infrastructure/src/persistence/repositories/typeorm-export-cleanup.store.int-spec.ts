import { randomUUID } from 'node:crypto';
import type { JournaledUpload } from '@app/application';
import { DEFAULT_TICKET_QUERY, ExportJob, type ExportJobStatusValue } from '@app/domain';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { testDataSource, testPool } from '../../../../../test/support/database';
import { createTestTenant, type TestTenant } from '../../../../../test/support/factories';
import { PgUploadJournal } from '../../export/pg-upload-journal';
import { TypeormExportCleanupStore } from './typeorm-export-cleanup.store';
import { TypeormExportJobRepository } from './typeorm-export-job.repository';

/**
 * The cleanup's queries span all tenants. Other spec files share this database, so every time here lies in the
 * year 2000: the rows of the others (stamped with the real time) never match these criteria.
 */
const NOW = new Date('2000-01-02T00:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ago = (ms: number): Date => new Date(NOW.getTime() - ms);

interface JobSpec {
  readonly status: ExportJobStatusValue;
  readonly expiresAt?: Date;
  readonly updatedAt?: Date;
  readonly attempts?: number;
}

describe('TypeormExportCleanupStore and PgUploadJournal.abandoned (PostgreSQL)', () => {
  let pool: Pool;
  let dataSource: DataSource;
  let otherProcess: DataSource;
  let tenant: TestTenant;
  let store: TypeormExportCleanupStore;
  let journal: PgUploadJournal;

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    otherProcess = await testDataSource();
    tenant = await createTestTenant(pool);
    store = new TypeormExportCleanupStore(dataSource);
    journal = new PgUploadJournal(pool);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await otherProcess.destroy();
    await pool.end();
  });

  /** A job driven to `status` by the aggregate and saved as the engine saves it; then its times are set. */
  async function aJob(spec: JobSpec): Promise<{ id: string; fileId: string | null; objectKey: string }> {
    const repository = new TypeormExportJobRepository(dataSource);
    const job = ExportJob.request({
      id: randomUUID(),
      tenantId: tenant.id,
      requestedBy: { id: tenant.userId('admin'), email: tenant.email('admin') },
      source: 'tickets',
      format: 'csv',
      query: { ...DEFAULT_TICKET_QUERY, viewId: null, viewName: null, timezone: 'UTC', fileName: null },
      now: ago(100 * HOUR),
    });
    await repository.save(job);
    const objectKey = `exports/${tenant.id}/${job.id}/all-tickets.csv`;
    let fileId: string | null = null;
    if (spec.status !== 'queued') job.start(ago(99 * HOUR));
    if (spec.status === 'failed') job.fail({ code: 'EXPORT_JOB.FAILED', message: 'It failed.' });
    if (spec.status === 'cancelled') job.cancel();
    if (spec.status === 'completed' || spec.status === 'expired') {
      fileId = randomUUID();
      const file = {
        name: 'all-tickets.csv',
        contentType: 'text/csv',
        sizeBytes: 10,
        sha256: 'a'.repeat(64),
      };
      job.complete({
        file: { storedFileId: fileId, rowCount: 1, ...file },
        snapshotAt: ago(99 * HOUR),
        now: ago(98 * HOUR),
        retentionHours: 72,
      });
      if (spec.status === 'expired') job.expire();
      await repository.save(job, {
        newFile: { id: fileId, tenantId: tenant.id, provider: 's3', bucket: 'b', objectKey, ...file },
      });
    } else if (spec.status !== 'queued') await repository.save(job);
    await pool.query(
      `UPDATE export_jobs SET expires_at = coalesce($2, expires_at), updated_at = $3,
              attempts = coalesce($4, attempts) WHERE id = $1`,
      [job.id, spec.expiresAt ?? null, spec.updatedAt ?? ago(HOUR), spec.attempts ?? null],
    );
    return { id: job.id, fileId, objectKey };
  }

  describe('runExclusive', () => {
    it('runs one at a time: a run while another holds the lock returns null without running', async () => {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let entered: () => void = () => undefined;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const first = store.runExclusive(async () => {
        entered();
        await held;
        return 'first';
      });
      await inside;
      const work = jest.fn(() => Promise.resolve('second'));

      await expect(new TypeormExportCleanupStore(otherProcess).runExclusive(work)).resolves.toBeNull();
      expect(work).not.toHaveBeenCalled();

      release();
      await expect(first).resolves.toBe('first');
      await expect(new TypeormExportCleanupStore(otherProcess).runExclusive(work)).resolves.toBe('second');
    });

    it('lets go of the lock when the run throws', async () => {
      await expect(store.runExclusive(() => Promise.reject(new Error('storage down')))).rejects.toThrow(
        'storage down',
      );
      await expect(
        new TypeormExportCleanupStore(otherProcess).runExclusive(() => Promise.resolve('ran')),
      ).resolves.toBe('ran');
    });
  });

  it('lists completed jobs at or past expiry with their undeleted file, in keyset pages by id', async () => {
    const due = await aJob({ status: 'completed', expiresAt: NOW });
    const past = await aJob({ status: 'completed', expiresAt: ago(HOUR) });
    await aJob({ status: 'completed', expiresAt: new Date(NOW.getTime() + 1) });
    await aJob({ status: 'expired', expiresAt: ago(HOUR) });
    await aJob({ status: 'failed' });
    const [first, second] = [due, past].sort((a, b) => a.id.localeCompare(b.id));

    const all = await store.expiredExports(NOW, null, 10);
    expect(all).toEqual([
      {
        tenantId: tenant.id,
        jobId: first.id,
        expiresAt: first === due ? NOW : ago(HOUR),
        file: { id: first.fileId, objectKey: first.objectKey },
      },
      expect.objectContaining({ jobId: second.id, file: { id: second.fileId, objectKey: second.objectKey } }),
    ]);
    const [page1] = await store.expiredExports(NOW, null, 1);
    expect(page1.jobId).toBe(first.id);
    expect((await store.expiredExports(NOW, page1, 1)).map((e) => e.jobId)).toEqual([second.id]);
    expect(await store.expiredExports(NOW, all[1], 10)).toEqual([]);

    await store.markFileDeleted(tenant.id, first.fileId ?? '', NOW);
    await store.markFileDeleted(tenant.id, first.fileId ?? '', new Date(NOW.getTime() + HOUR));
    const { rows } = await pool.query<{ deleted_at: Date }>(
      'SELECT deleted_at FROM stored_files WHERE id = $1',
      [first.fileId],
    );
    expect(rows).toEqual([{ deleted_at: NOW }]);
    expect((await store.expiredExports(NOW, null, 10)).find((e) => e.jobId === first.id)?.file).toBeNull();
  });

  it('lists running jobs untouched since the given instant, and only those', async () => {
    const idle = await aJob({ status: 'running', updatedAt: ago(10 * MINUTE) });
    await aJob({ status: 'running', updatedAt: ago(MINUTE) });
    await aJob({ status: 'queued', updatedAt: ago(HOUR) });
    await aJob({ status: 'failed', updatedAt: ago(HOUR) });

    const found = await store.idleRunningJobs(ago(2 * MINUTE), null, 10);

    expect(found).toEqual([{ tenantId: tenant.id, jobId: idle.id }]);
    expect(await store.idleRunningJobs(ago(2 * MINUTE), found[0], 10)).toEqual([]);
  });

  it('PgUploadJournal.abandoned: uploads of attempts that are over, after their grace, of the one provider', async () => {
    const prefix = randomUUID();
    const begin = async (
      job: { id: string; objectKey: string },
      name: string,
      attempt: number,
      startedAt: Date,
      provider: 's3' | 'local' = 's3',
    ): Promise<JournaledUpload> => {
      const upload = {
        tenantId: tenant.id,
        jobId: job.id,
        attempt,
        provider,
        objectKey: job.objectKey,
        uploadId: `${prefix}-${name}`,
      };
      await journal.started(upload);
      await pool.query('UPDATE export_uploads SET started_at = $2 WHERE upload_id = $1', [
        upload.uploadId,
        startedAt,
      ]);
      return upload;
    };
    const retried = await aJob({ status: 'running', attempts: 2, updatedAt: NOW });
    const superseded = await begin(retried, 'a-superseded', 1, ago(20 * MINUTE));
    await begin(retried, 'b-superseded-lately', 1, ago(5 * MINUTE));
    await begin(retried, 'c-live', 2, ago(20 * MINUTE));
    const ancient = await begin(
      await aJob({ status: 'running', updatedAt: NOW }),
      'd-ancient',
      1,
      ago(25 * HOUR),
    );
    const failed = await aJob({ status: 'failed', updatedAt: ago(10 * MINUTE) });
    const ofFailed = await begin(failed, 'e-failed', 1, ago(HOUR));
    await begin(failed, 'f-local', 1, ago(HOUR), 'local');
    const finished = await begin(failed, 'g-finished', 1, ago(HOUR));
    await journal.finished(finished.uploadId, 'aborted');
    await begin(
      await aJob({ status: 'cancelled', updatedAt: ago(30_000) }),
      'h-just-cancelled',
      1,
      ago(HOUR),
    );
    const criteria = {
      provider: 's3' as const,
      jobSettledBefore: ago(2 * MINUTE),
      supersededBefore: ago(15 * MINUTE),
      startedBefore: ago(24 * HOUR),
    };

    const found = await journal.abandoned(criteria, null, 10);

    expect(found).toEqual([superseded, ancient, ofFailed]);
    const [page1] = await journal.abandoned(criteria, null, 1);
    expect(page1).toEqual(superseded);
    expect(await journal.abandoned(criteria, page1, 2)).toEqual([ancient, ofFailed]);
    expect(await journal.abandoned(criteria, ofFailed, 10)).toEqual([]);
  });
});
