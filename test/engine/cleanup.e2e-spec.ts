/**
 * Redis databases 10 (the queue the cleanup checks, and the CLI's) and 11 (a worker running the cleanup on its cron).
 *
 * CONTRACT §6 Retention: the cleanup deletes expired files, marks their jobs `expired`, aborts multipart uploads left
 * behind, fails running jobs whose worker and queue entry are gone, and is safe to run twice or twice at once. The
 * use case runs here with its real adapters (PostgreSQL, BullMQ on Redis, S3 on s3rver behind the recording proxy);
 * the CLI and the worker's cron run as built processes. The database is shared with other spec files, whose rows a
 * cleanup also sees: counts are asserted as lower bounds, this spec's own jobs exactly.
 */
import {
  SystemClock,
  PgUploadJournal,
  TypeormExportCleanupStore,
  TypeormExportJobRepository,
  BullmqExportQueue,
} from '@app/infrastructure';
import {
  type CleanupSummary,
  CleanupExportsCommand,
  CleanupExportsHandler,
  type FileStorage,
} from '@app/application';
import { Logger } from '@nestjs/common';
import { type ExportJob, exportObjectKey } from '@app/domain';
import { cancelActiveJobs, insertJob, type JobSpec } from '../support/api';
import { beginMultipartUpload, GatedFileStorage, runCleanupCli } from '../support/cleanup';
import { EngineHarness } from '../support/engine-harness';
import { readJob, waitForJob } from '../support/job-polling';
import { objectKeys, s3Env } from '../support/s3-bucket';
import { createTestTenant, type TestTenant } from '../support/factories';
import { type RecordingProxy, startRecordingProxy, startS3Server, type S3TestServer } from '../support/s3';
import { redisUrlWithDb, startWorker } from '../support/worker';

jest.setTimeout(60_000);

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const hoursAgo = (hours: number): Date => new Date(Date.now() - hours * HOUR_MS);
const SAFE_MESSAGE = 'The export stopped unexpectedly; retry it.';

describe('the retention cleanup (PostgreSQL, Redis, s3rver behind the recording proxy)', () => {
  let server: S3TestServer;
  let proxy: RecordingProxy;
  let env: Record<string, string>;
  let engine: EngineHarness;
  let tenant: TestTenant;

  beforeAll(async () => {
    server = await startS3Server();
    proxy = await startRecordingProxy(server.endpoint);
    env = { REDIS_URL: redisUrlWithDb(10), ...s3Env({ ...server.s3, endpoint: proxy.endpoint }) };
    engine = await EngineHarness.open(env);
    tenant = await createTestTenant(engine.pool);
  });

  afterEach(() => {
    proxy.clearFaults();
    jest.restoreAllMocks();
  });

  afterAll(async () => {
    if (engine) await cancelActiveJobs(engine.pool, [tenant.id]);
    await engine?.close();
    await proxy?.close();
    await server?.close();
  });

  /** The use case with its real adapters; `storage` defaults to the S3 storage behind the proxy. */
  function cleanup(storage: FileStorage = engine.storage): Promise<CleanupSummary> {
    const handler = new CleanupExportsHandler(
      new TypeormExportCleanupStore(engine.dataSource),
      new TypeormExportJobRepository(engine.dataSource),
      storage,
      new PgUploadJournal(engine.pool),
      new BullmqExportQueue(engine.queue, engine.config),
      new SystemClock(),
      {
        retentionHours: 72,
        maxAttempts: engine.config.exports.maxAttempts,
        progressIntervalMs: 500,
        stallAfterMs: 300_000,
        maxRowsByFormat: {},
        attemptTimeoutMs: 1_800_000,
      },
    );
    return handler.execute(new CleanupExportsCommand());
  }

  /** A run that did the work: a worker of another spec file may hold the lock for a moment (its own cron). */
  async function cleanupRun(storage?: FileStorage): Promise<CleanupSummary> {
    for (let attempt = 1; ; attempt++) {
      const summary = await cleanup(storage);
      if (!summary.skipped || attempt === 20) return summary;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  const job = (spec: Omit<JobSpec, 'tenant' | 'requester'>): Promise<ExportJob> =>
    insertJob(engine.dataSource, engine.storage, { tenant, requester: 'admin', ...spec });
  /** Completed 73 h ago: past its 72 h retention for an hour. */
  const expiredJob = (): Promise<ExportJob> =>
    job({ status: 'completed', requestedAt: hoursAgo(74), completedAt: hoursAgo(73) });
  const prefixOf = (j: ExportJob): string => `exports/${tenant.id}/${j.id}/`;
  const keyOf = (j: ExportJob): string => exportObjectKey(j.toSnapshot());
  const stored = (j: ExportJob): Promise<string[]> => objectKeys(server.s3, prefixOf(j));
  const status = async (j: ExportJob): Promise<string> =>
    (await readJob(engine.pool, tenant.id, j.id)).status;

  async function auditOf(
    j: ExportJob,
  ): Promise<{ action: string; actorId: string | null; details: unknown }[]> {
    const { rows } = await engine.pool.query<{ action: string; actorId: string | null; details: unknown }>(
      'SELECT action, actor_id AS "actorId", details FROM audit_events WHERE job_id = $1 ORDER BY id',
      [j.id],
    );
    return rows;
  }

  async function fileDeletedAt(j: ExportJob): Promise<Date | null> {
    const { rows } = await engine.pool.query<{ deletedAt: Date | null }>(
      `SELECT f.deleted_at AS "deletedAt" FROM stored_files f JOIN export_jobs j ON j.file_id = f.id WHERE j.id = $1`,
      [j.id],
    );
    return rows[0].deletedAt;
  }

  /** Sets when the job row last changed: a live attempt touches it every 500 ms, a lost one never again. */
  async function lastChanged(j: ExportJob, minutesAgo: number): Promise<void> {
    await engine.pool.query(
      `UPDATE export_jobs SET updated_at = now() - make_interval(mins => $2) WHERE id = $1`,
      [j.id, minutesAgo],
    );
  }

  /** A multipart upload really begun on s3rver (through the proxy), journaled for `attempt`, begun that long ago. */
  async function journaledUpload(j: ExportJob, attempt: number, minutesAgo: number): Promise<string> {
    const key = keyOf(j);
    const uploadId = await beginMultipartUpload({ ...server.s3, endpoint: proxy.endpoint }, key);
    const journal = new PgUploadJournal(engine.pool);
    await journal.started({
      tenantId: tenant.id,
      jobId: j.id,
      attempt,
      provider: 's3',
      objectKey: key,
      uploadId,
    });
    await engine.pool.query(
      `UPDATE export_uploads SET started_at = now() - make_interval(mins => $2) WHERE upload_id = $1`,
      [uploadId, minutesAgo],
    );
    return uploadId;
  }

  const outcomeOf = async (uploadId: string): Promise<string | null> =>
    (
      await engine.pool.query<{ outcome: string | null }>(
        'SELECT outcome FROM export_uploads WHERE upload_id = $1',
        [uploadId],
      )
    ).rows[0].outcome;
  const abortsOf = (uploadId: string): number =>
    proxy.events.filter((e) => e.type === 'abort' && e.uploadId === uploadId).length;

  it('deletes the objects of expired jobs and marks them expired with an export.expired audit row; current files stay', async () => {
    const expired = [await expiredJob(), await expiredJob()];
    const current = await job({ status: 'completed' });
    for (const j of [...expired, current]) expect(await stored(j)).toEqual([keyOf(j)]);

    const summary = await cleanupRun();

    expect(summary.skipped).toBe(false);
    expect(summary.expiredJobs).toBeGreaterThanOrEqual(2);
    expect(summary.filesDeleted).toBeGreaterThanOrEqual(2);
    for (const j of expired) {
      expect(await stored(j)).toEqual([]);
      expect(await status(j)).toBe('expired');
      expect(await fileDeletedAt(j)).toBeInstanceOf(Date);
      expect(await auditOf(j)).toMatchObject([
        { action: 'export.expired', actorId: null, details: { fileDeleted: true } },
      ]);
    }
    expect(await stored(current)).toEqual([keyOf(current)]);
    expect(await status(current)).toBe('completed');
    expect(await fileDeletedAt(current)).toBeNull();
    expect(await auditOf(current)).toEqual([]);
  });

  it('running it again changes nothing: same rows, same objects, no second audit row', async () => {
    const expired = await expiredJob();
    await cleanupRun();
    const before = { row: await readJob(engine.pool, tenant.id, expired.id), audit: await auditOf(expired) };

    await cleanupRun();

    expect(await readJob(engine.pool, tenant.id, expired.id)).toEqual(before.row);
    expect(await auditOf(expired)).toEqual(before.audit);
    expect(await stored(expired)).toEqual([]);
    expect(
      proxy.requests.filter((r) => r.key === keyOf(expired) && r.operation === 'DeleteObject'),
    ).toHaveLength(1);
  });

  it('two runs at once: the second finds the first holding the lock and is skipped; the end state is the same', async () => {
    const expired = [await expiredJob(), await expiredJob()];
    const gated = new GatedFileStorage(engine.storage);
    const gate = gated.holdNextDelete();
    const first = cleanup(gated);
    await Promise.race([
      gate.reached,
      first.then(() => {
        throw new Error('the first run ended before it deleted anything (another cleanup held the lock?)');
      }),
    ]);

    const second = await cleanup();
    gate.open();

    expect(second).toEqual({
      skipped: true,
      expiredJobs: 0,
      filesDeleted: 0,
      uploadsAborted: 0,
      lostJobsFailed: 0,
      errors: 0,
    });
    expect((await first).expiredJobs).toBeGreaterThanOrEqual(2);
    for (const j of expired) {
      expect(await status(j)).toBe('expired');
      expect(await stored(j)).toEqual([]);
      expect((await auditOf(j)).map((a) => a.action)).toEqual(['export.expired']);
    }
  });

  it('two runs at once, as Promise.all: each job expires once, whichever run does it', async () => {
    const expired = [await expiredJob(), await expiredJob(), await expiredJob()];

    const runs = await Promise.all([cleanup(), cleanup()]);

    expect(runs.filter((r) => !r.skipped).length).toBeGreaterThanOrEqual(1);
    for (const j of expired) {
      expect(await status(j)).toBe('expired');
      expect(await stored(j)).toEqual([]);
      expect((await auditOf(j)).map((a) => a.action)).toEqual(['export.expired']);
    }
  });

  it('a storage error on one object leaves that job completed and expires the others; the next run finishes it', async () => {
    const [first, stuck, last] = [await expiredJob(), await expiredJob(), await expiredJob()];
    proxy.failWhile((r) => r.operation === 'DeleteObject' && r.key === keyOf(stuck), 500);
    const warnings: string[] = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(JSON.stringify(args));
    });

    const halfFailed = await cleanupRun();

    expect(halfFailed.errors).toBeGreaterThanOrEqual(1);
    expect(await status(first)).toBe('expired');
    expect(await status(last)).toBe('expired');
    expect(await status(stuck)).toBe('completed');
    expect(await stored(stuck)).toEqual([keyOf(stuck)]);
    expect(await fileDeletedAt(stuck)).toBeNull();
    expect(await auditOf(stuck)).toEqual([]);
    expect(proxy.requests.some((r) => r.key === keyOf(stuck) && r.status === 500)).toBe(true);
    // The operator learns which job and why from the worker's log.
    expect(warnings.join('\n')).toMatch(new RegExp(`${stuck.id}.*InternalError`));
    jest.restoreAllMocks();

    proxy.clearFaults();
    const next = await cleanupRun();

    expect(next.expiredJobs).toBeGreaterThanOrEqual(1);
    expect(await status(stuck)).toBe('expired');
    expect(await stored(stuck)).toEqual([]);
    expect((await auditOf(stuck)).map((a) => a.action)).toEqual(['export.expired']);
  });

  it("aborts the multipart uploads of attempts that are over (seen by S3) and journals them; a live attempt's upload is untouched", async () => {
    const retried = await job({ status: 'running' });
    const taken = await engine.repository.findById(tenant.id, retried.id);
    if (!taken) throw new Error('the job is gone');
    taken.start(new Date()); // a second attempt took over after the first one's worker died
    await engine.repository.save(taken);
    const ofDeadAttempt = await journaledUpload(retried, 1, 20);
    const ofLiveAttempt = await journaledUpload(retried, 2, 20);
    const failed = await job({ status: 'failed' });
    await lastChanged(failed, 10);
    const ofFailedJob = await journaledUpload(failed, 1, 30);

    const summary = await cleanupRun();

    expect(summary.uploadsAborted).toBeGreaterThanOrEqual(2);
    expect([abortsOf(ofDeadAttempt), abortsOf(ofFailedJob), abortsOf(ofLiveAttempt)]).toEqual([1, 1, 0]);
    expect(proxy.unfinishedUploads()).toContain(ofLiveAttempt);
    expect(proxy.unfinishedUploads()).not.toContain(ofDeadAttempt);
    expect([
      await outcomeOf(ofDeadAttempt),
      await outcomeOf(ofFailedJob),
      await outcomeOf(ofLiveAttempt),
    ]).toEqual(['aborted', 'aborted', null]);
    expect(await status(retried)).toBe('running');
  });

  it('fails a running job whose queue entry is gone, that stopped changing and has no attempt left, with a safe message; a job BullMQ still holds stays running', async () => {
    const lost = await job({ status: 'running' });
    await engine.pool.query('UPDATE export_jobs SET attempts = $2 WHERE id = $1', [
      lost.id,
      engine.config.exports.maxAttempts,
    ]);
    await lastChanged(lost, 5);
    const lostUpload = await journaledUpload(lost, 1, 6);
    const stalled = await job({ status: 'running' });
    await lastChanged(stalled, 5);
    await engine.enqueue(tenant.id, stalled.id);
    const busy = await job({ status: 'running' });

    const summary = await cleanupRun();

    expect(summary.lostJobsFailed).toBeGreaterThanOrEqual(1);
    expect(await readJob(engine.pool, tenant.id, lost.id)).toMatchObject({
      status: 'failed',
      stage: null,
      errorCode: 'EXPORT_JOB.WORKER_LOST',
      errorMessage: SAFE_MESSAGE,
    });
    expect(await auditOf(lost)).toMatchObject([
      { action: 'export.failed', actorId: null, details: { code: 'EXPORT_JOB.WORKER_LOST' } },
    ]);
    expect(abortsOf(lostUpload)).toBe(1);
    expect(await outcomeOf(lostUpload)).toBe('aborted');
    expect(await status(stalled)).toBe('running');
    expect(await status(busy)).toBe('running');
  });

  /**
   * Nothing went wrong: no warning or error line of the CLI, no stack trace. (Node itself may warn on stderr: the
   * AWS SDK announces on Node 20 that later versions will need Node 22.)
   */
  function expectNoCliComplaint(stderr: string): void {
    expect(stderr).not.toMatch(/^exports:cleanup:/m);
    expect(stderr).not.toMatch(/\n\s+at /);
  }

  it('npm run exports:cleanup (the built CLI) prints one line per category and a final line, and exits 0', async () => {
    const expired = await expiredJob();

    const run = await runCleanupCli(env);

    expect(run.code).toBe(0);
    expectNoCliComplaint(run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('Retention cleanup:');
    expect(lines.slice(1, 6).map((l) => l.trim().replace(/\s+\d+$/, ''))).toEqual([
      'expired jobs',
      'files deleted',
      'uploads aborted',
      'lost running jobs failed',
      'errors',
    ]);
    expect(Number(/expired jobs\s+(\d+)/.exec(run.stdout)?.[1])).toBeGreaterThanOrEqual(1);
    expect(lines[6]).toMatch(/^Done in \d+\.\d s: \d+ jobs? expired, .*, no errors\.$/);
    expect(await status(expired)).toBe('expired');
    expect(await stored(expired)).toEqual([]);
  });

  it('two CLI runs at once both exit 0; the jobs end the same, each expired once', async () => {
    const expired = [await expiredJob(), await expiredJob()];

    const runs = await Promise.all([runCleanupCli(env), runCleanupCli(env)]);

    for (const run of runs) {
      expect(run.code).toBe(0);
      expectNoCliComplaint(run.stderr);
      expect(run.stdout).toMatch(
        /^(Retention cleanup:\n[\s\S]*\nDone in .*\.|Skipped: another cleanup is running.*)\n$/,
      );
    }
    for (const j of expired) {
      expect(await status(j)).toBe('expired');
      expect((await auditOf(j)).map((a) => a.action)).toEqual(['export.expired']);
    }
  });

  it('the worker runs the cleanup on CLEANUP_CRON', async () => {
    await cancelActiveJobs(engine.pool, [tenant.id]); // its queue (Redis 11) holds none of this spec's running jobs
    const expired = await expiredJob();
    const worker = await startWorker({
      env: { ...env, REDIS_URL: redisUrlWithDb(11), CLEANUP_CRON: '* * * * * *' },
    });
    try {
      await waitForJob(engine.pool, tenant.id, expired.id, (j) => j.status === 'expired', 15_000);
      expect(await stored(expired)).toEqual([]);
      expect((await auditOf(expired)).map((a) => a.action)).toEqual(['export.expired']);
    } finally {
      await worker.stop();
    }
  });
});
