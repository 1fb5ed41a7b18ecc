/**
 * Redis database 14 (shared by the fault specs, which flush it when they open; jest runs spec files one at a time
 * on this machine's two cores).
 *
 * CONTRACT §6 Delivery, SIGTERM (a deploy, a scale-down): the stopping worker fetches nothing more from the moment
 * it is told to stop, hands its running export back without spending one of the job's attempts, and exits within
 * its grace period; another worker then runs every job. PostgreSQL is throttled for the stopping worker only, so
 * that its export is still running when the signal comes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '@app/infrastructure';
import { insertBulkTickets } from '../support/bulk-tickets';
import { EngineHarness } from '../support/engine-harness';
import { createTestTenant, type TestTenant } from '../support/factories';
import { FaultProxy } from '../support/fault-proxy';
import { readCsv, sha256 } from '../support/file-readers';
import { delay, readJob } from '../support/job-polling';
import { redisUrlWithDb, startWorker, type RunningWorker } from '../support/worker';

jest.setTimeout(180_000);

const ROWS = 60_000;
/** About 12 MB of COPY text at 1 MB/s: the export runs for about 12 s. */
const THROTTLE = { throttle: { bytesPerSecond: 1_000_000 } } as const;

describe('SIGTERM in the middle of an export, with another job waiting', () => {
  let dir: string;
  let env: Record<string, string>;
  let engine: EngineHarness;
  let tenant: TestTenant;
  let proxy: FaultProxy;
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'export-shutdown-'));
    proxy = await FaultProxy.forUrl(readConfig().databaseUrl);
    env = { REDIS_URL: redisUrlWithDb(14), STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: dir };
    engine = await EngineHarness.open(env);
    tenant = await createTestTenant(engine.pool);
    await insertBulkTickets(engine.pool, tenant, {
      count: ROWS,
      createdBefore: new Date(Date.now() - 3_600_000),
      descriptionLength: 150,
    });
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await engine?.close();
    await proxy?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function worker(extra: Record<string, string> = {}): Promise<RunningWorker> {
    const started = await startWorker({ env: { ...env, ...extra } });
    workers.push(started);
    return started;
  }

  const requestExport = () =>
    engine.requestExport({
      tenant,
      refinement: {
        columns: ['id', 'title', 'description', 'creationTime'],
        sort: [{ field: 'id', direction: 'asc' }],
      },
    });

  it('stops fetching, releases the running job unspent, exits in time; another worker completes both', async () => {
    proxy.setMode(THROTTLE);
    // One slot: the second job waits in the queue while the first runs.
    const stopping = await worker({
      EXPORT_WORKER_CONCURRENCY: '1',
      DATABASE_URL: proxy.rewrite(readConfig().databaseUrl),
    });
    const first = await requestExport();
    await engine.waitForJob(tenant, first.id, (j) => j.status === 'running' && j.rowsExported > 0, 60_000);
    const second = await requestExport();
    await delay(500);
    expect(await readJob(engine.pool, tenant.id, second.id)).toMatchObject({ status: 'queued', attempts: 0 });

    const signalledAt = Date.now();
    await stopping.stop();
    const exitSeconds = (Date.now() - signalledAt) / 1000;
    process.stdout.write(
      `SIGTERM mid-export: the worker exited ${exitSeconds.toFixed(1)} s after the signal\n`,
    );
    // It exited by itself (stop() would SIGKILL after 30 s), within its 25 s grace period.
    expect(stopping.exitCode()).toBe(0);
    expect(exitSeconds).toBeLessThan(25);

    // The running job is back to queued with its attempt handed back; the waiting one was never fetched.
    expect(await readJob(engine.pool, tenant.id, first.id)).toMatchObject({
      status: 'queued',
      stage: 'queued',
      attempts: 0,
      errorCode: null,
    });
    expect(stopping.output()).toContain('"outcome":"released"');
    expect(await readJob(engine.pool, tenant.id, second.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(stopping.output()).not.toContain(second.id);
    const entries = await Promise.all([engine.queue.getJob(first.id), engine.queue.getJob(second.id)]);
    expect(entries.map((e) => e?.attemptsMade)).toEqual([0, 0]);

    proxy.setMode('pass');
    await worker();
    for (const job of [first, second]) {
      const done = await engine.finished(tenant, job.id, 60_000);
      expect(done).toMatchObject({ status: 'completed', attempts: 1, rowsExported: ROWS, errorCode: null });
      const file = await engine.readFile(tenant, job.id);
      expect(file.record.sha256).toBe(sha256(file.bytes));
      expect(readCsv(file.bytes).records).toHaveLength(ROWS);
      expect(await engine.auditActions(job.id)).toEqual(['export.requested', 'export.completed']);
    }
  });
});
