/**
 * Redis database 15. Issue #15, scenario e: a fault right after the completion commit. A test-only trigger makes
 * every journal update of one job's uploads fail, so the attempt commits the job `completed` and then cannot close
 * its upload's journal entry. The rule: once the row says `completed`, only the retention cleanup deletes its
 * object. The file stays, the download matches the job's sha256, and the cleanup later closes the entry as
 * completed without touching the file.
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import { readConfig } from '@app/infrastructure';
import { S3FileStorage } from '@app/infrastructure/sdk-adapters';
import type { ExportJob } from '@app/domain';
import { bearer, startApi, type StartedApi, tokenFor } from '../support/api';
import { insertBulkTickets } from '../support/bulk-tickets';
import { runCleanupCli, settleOtherTenantsUploads } from '../support/cleanup';
import { EngineHarness } from '../support/engine-harness';
import { FaultProxy } from '../support/fault-proxy';
import { readJob, waitUntil } from '../support/job-polling';
import { objectKeys, s3Env } from '../support/s3-bucket';
import { createTestTenant, type TestTenant } from '../support/factories';
import { startS3Server, type S3TestServer } from '../support/s3';
import { redisUrlWithDb, startWorker, type RunningWorker } from '../support/worker';

jest.setTimeout(180_000);

const ROWS = 60_000; // about 15 MB: a multipart upload, so the attempt journals it

const INSTALL_FAULT = `
  CREATE TABLE IF NOT EXISTS fault_journal_jobs (job_id uuid PRIMARY KEY);
  CREATE OR REPLACE FUNCTION fault_fail_journal() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.finished_at IS NOT NULL AND EXISTS (SELECT 1 FROM fault_journal_jobs WHERE job_id = NEW.job_id) THEN
      RAISE EXCEPTION 'fault injected: the journal update fails';
    END IF;
    RETURN NEW;
  END $$;
  DROP TRIGGER IF EXISTS fault_fail_journal ON export_uploads;
  CREATE TRIGGER fault_fail_journal BEFORE UPDATE ON export_uploads
    FOR EACH ROW EXECUTE FUNCTION fault_fail_journal();
  CREATE TABLE IF NOT EXISTS fault_slow_commit_jobs (job_id uuid PRIMARY KEY);
  CREATE OR REPLACE FUNCTION fault_slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.status = 'completed' AND EXISTS (SELECT 1 FROM fault_slow_commit_jobs WHERE job_id = NEW.id) THEN
      PERFORM pg_sleep(3);
    END IF;
    RETURN NULL;
  END $$;
  DROP TRIGGER IF EXISTS fault_slow_commit ON export_jobs;
  CREATE CONSTRAINT TRIGGER fault_slow_commit AFTER UPDATE ON export_jobs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fault_slow_commit();`;
const REMOVE_FAULT = `
  DROP TRIGGER IF EXISTS fault_fail_journal ON export_uploads;
  DROP FUNCTION IF EXISTS fault_fail_journal();
  DROP TABLE IF EXISTS fault_journal_jobs;
  DROP TRIGGER IF EXISTS fault_slow_commit ON export_jobs;
  DROP FUNCTION IF EXISTS fault_slow_commit();
  DROP TABLE IF EXISTS fault_slow_commit_jobs;`;

describe('a fault right after the completion commit', () => {
  let server: S3TestServer;
  let env: Record<string, string>;
  let engine: EngineHarness;
  let api: StartedApi;
  let pgProxy: FaultProxy | undefined;
  let tenant: TestTenant;
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    server = await startS3Server();
    env = { REDIS_URL: redisUrlWithDb(15), ...s3Env(server.s3) };
    engine = await EngineHarness.open(env);
    await engine.pool.query(INSTALL_FAULT);
    api = await startApi({ storage: new S3FileStorage(server.s3) });
    tenant = await createTestTenant(engine.pool);
    await insertBulkTickets(engine.pool, tenant, {
      count: ROWS,
      createdBefore: new Date(Date.now() - 3_600_000),
      descriptionLength: 150,
    });
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await pgProxy?.close();
    await engine?.pool.query(REMOVE_FAULT);
    await api?.close();
    await engine?.close();
    await server?.close();
  });

  async function download(job: ExportJob): Promise<{ status: number; sha256: string; bytes: number }> {
    const res = await request(api.app.getHttpServer())
      .get(`/export-jobs/${job.id}/download`)
      .set(bearer(tokenFor(api.config, tenant, 'admin')))
      .buffer(true)
      .parse((response, callback) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => callback(null, Buffer.concat(chunks)));
      });
    const body = res.body as Buffer;
    return {
      status: res.status,
      sha256: createHash('sha256').update(body).digest('hex'),
      bytes: body.length,
    };
  }

  it('the journal update fails after the commit: the file stays, and the download matches its sha256', async () => {
    const job = await engine.requestWideExport(tenant);
    await engine.pool.query('INSERT INTO fault_journal_jobs (job_id) VALUES ($1)', [job.id]);
    const worker = await startWorker({ env });
    workers.push(worker);

    const done = await engine.finished(tenant, job.id, 90_000);
    expect(done).toMatchObject({ status: 'completed', attempts: 1, rowsExported: ROWS, errorCode: null });
    await waitUntil(
      'the worker logged the failed journal update',
      () => worker.output().includes('could not close the journal entry of a completed upload'),
      5_000,
    );
    // The entry stays open: the journal could not be updated.
    expect(await engine.uploads(job.id)).toMatchObject([{ attempt: 1, outcome: null }]);
    const key = await engine.objectKeyOf(tenant, job.id);
    expect(await objectKeys(server.s3, `exports/${tenant.id}/${job.id}/`)).toEqual([key]);
    const file = await engine.readFile(tenant, job.id);
    const first = await download(job);
    expect(first).toEqual({ status: 200, sha256: file.record.sha256, bytes: file.record.sizeBytes });

    // The database answers again; past the settled-job grace, the cleanup closes the entry and keeps the file.
    await engine.pool.query('DELETE FROM fault_journal_jobs WHERE job_id = $1', [job.id]);
    await engine.pool.query(
      "UPDATE export_jobs SET updated_at = now() - interval '10 minutes' WHERE tenant_id = $1 AND id = $2",
      [tenant.id, job.id],
    );
    await settleOtherTenantsUploads(engine.pool, tenant.id);
    const cleanup = await runCleanupCli(env);
    expect(cleanup.code).toBe(0);
    expect(await engine.uploads(job.id)).toMatchObject([{ attempt: 1, outcome: 'completed' }]);
    expect(await objectKeys(server.s3, `exports/${tenant.id}/${job.id}/`)).toEqual([key]);
    expect(await download(job)).toEqual(first);
    expect(await readJob(engine.pool, tenant.id, job.id)).toMatchObject({ status: 'completed' });
    expect(await engine.auditActions(job.id)).toEqual([
      'export.requested',
      'export.completed',
      'export.downloaded',
      'export.downloaded',
    ]);
    process.stdout.write(
      'fault after the completion commit (journal update fails): completed, file kept, download sha256 matches; ' +
        'the cleanup closed the entry as completed\n',
    );
  });

  it('the connection drops during COMMIT (the commit lands): the file stays, and the download matches', async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill()));
    pgProxy = await FaultProxy.forUrl(readConfig().databaseUrl);
    const proxy = pgProxy;
    const worker = await startWorker({
      env: { ...env, DATABASE_URL: proxy.rewrite(readConfig().databaseUrl) },
    });
    workers.push(worker);
    const job = await engine.requestExport({ tenant, format: 'csv' });
    await engine.pool.query('INSERT INTO fault_slow_commit_jobs (job_id) VALUES ($1)', [job.id]);
    // The completion's COMMIT runs the deferred trigger (3 s): the connection is cut while it sleeps, so the
    // commit lands in the database but the worker only sees its connection end.
    await waitUntil(
      'the completion is committing',
      async () =>
        (
          await engine.pool.query(
            "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()",
          )
        ).rowCount === 1,
      90_000,
    );
    proxy.setMode('cut');
    const cutAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    proxy.setMode('pass');

    const done = await engine.finished(tenant, job.id, 60_000);
    expect(done).toMatchObject({ status: 'completed', attempts: 1, errorCode: null });
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // whatever the attempt does after the fault
    const key = await engine.objectKeyOf(tenant, job.id);
    expect(await objectKeys(server.s3, `exports/${tenant.id}/${job.id}/`)).toEqual([key]);
    const file = await engine.readFile(tenant, job.id);
    expect(await download(job)).toEqual({
      status: 200,
      sha256: file.record.sha256,
      bytes: file.record.sizeBytes,
    });
    expect((await readJob(engine.pool, tenant.id, job.id))?.status).toBe('completed');
    // The attempt saw its COMMIT fail and then either read the job back as completed with its file or could not
    // tell, and kept the object either way. (A worker without an 'error' listener on its pg clients dies of the
    // cut instead, which leaves the object too: scenario k makes it survive and take the path above.)
    process.stdout.write(
      `fault during the completion COMMIT (PostgreSQL cut 4 s): the job stays completed and its file intact ` +
        `(checked ${Date.now() - cutAt} ms after the cut)\n`,
    );
  });
});
