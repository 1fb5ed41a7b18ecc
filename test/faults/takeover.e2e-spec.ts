/**
 * Redis database 15. Issue #15, scenario f and "housekeeping for an earlier attempt must never fail the current
 * one": a worker frozen (SIGSTOP) mid-upload past its lock (15 s lock, 5 s stalled check), another worker takes the
 * job over, then the first wakes up (SIGCONT). The workers talk to s3rver directly: it implements no
 * AbortMultipartUpload and answers 405, a real refusal the new attempt must log and leave for the cleanup.
 */
import type { ExportJob } from '@app/domain';
import { insertBulkTickets } from '../support/bulk-tickets';
import { EngineHarness } from '../support/engine-harness';
import { sha256 } from '../support/file-readers';
import { readJob, waitUntil } from '../support/job-polling';
import { objectKeys, s3Env } from '../support/s3-bucket';
import { createTestTenant, type TestTenant } from '../support/factories';
import { startS3Server, type S3TestServer } from '../support/s3';
import { redisUrlWithDb, startWorker, type RunningWorker } from '../support/worker';

jest.setTimeout(180_000);

const ROWS = 210_000;
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('two attempts at once (a worker frozen past its lock, then woken)', () => {
  let server: S3TestServer;
  let env: Record<string, string>;
  let engine: EngineHarness;
  let tenant: TestTenant;
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    server = await startS3Server();
    env = { REDIS_URL: redisUrlWithDb(15), ...s3Env(server.s3) };
    engine = await EngineHarness.open(env);
    tenant = await createTestTenant(engine.pool);
    await insertBulkTickets(engine.pool, tenant, {
      count: ROWS,
      createdBefore: new Date(Date.now() - 3_600_000),
      descriptionLength: 150,
    });
  });

  afterAll(async () => {
    for (const w of workers) {
      try {
        process.kill(w.pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await Promise.all(workers.map((w) => w.kill()));
    await engine?.close();
    await server?.close();
  });

  async function worker(): Promise<RunningWorker> {
    const started = await startWorker({ env });
    workers.push(started);
    return started;
  }

  const prefixOf = (job: ExportJob): string => `exports/${tenant.id}/${job.id}/`;

  it('the new attempt completes despite a refused abort, and the woken loser leaves the winner file intact', async () => {
    const loser = await worker();
    const job = await engine.requestWideExport(tenant);
    // Mid multipart upload: the upload is journaled (CreateMultipartUpload answered) and rows are flowing.
    await waitUntil(
      'the first attempt is uploading',
      async () =>
        (await engine.uploads(job.id)).length === 1 &&
        ((await readJob(engine.pool, tenant.id, job.id))?.rowsExported ?? 0) > 20_000,
      60_000,
    );
    process.kill(loser.pid, 'SIGSTOP');
    const frozenAt = Date.now();

    const winner = await worker();
    const done = await engine.finished(tenant, job.id, 90_000);
    const completedAfter = Date.now() - frozenAt;
    expect(done).toMatchObject({ status: 'completed', attempts: 2, rowsExported: ROWS, errorCode: null });
    // The lost attempt's upload could not be aborted (405): logged, and left unfinished for the cleanup.
    expect(winner.output()).toContain('left for the cleanup');
    // The winner closes its journal entry just after saving the job completed.
    await waitUntil(
      'the winner closed its upload journal entry',
      async () => ((await engine.uploads(job.id))[1]?.outcome ?? null) !== null,
      10_000,
    );
    expect(await engine.uploads(job.id)).toMatchObject([
      { attempt: 1, outcome: null },
      { attempt: 2, outcome: 'completed' },
    ]);
    const winnerKey = await engine.objectKeyOf(tenant, job.id);
    const before = await engine.readFile(tenant, job.id);
    expect(before.objectKey).toBe(winnerKey);
    expect(before.record.sha256).toBe(sha256(before.bytes));

    process.kill(loser.pid, 'SIGCONT');
    const wokenAt = Date.now();
    // The woken attempt learns it was superseded (its progress write is refused, or reads another attempt).
    await waitUntil(
      'the woken attempt stopped',
      () => /superseded|skipped|could not discard|stopped/.test(loser.output()),
      30_000,
    );
    const loserStoppedAfter = Date.now() - wokenAt;
    await delay(3_000); // anything the loser would still send reaches S3 by now

    expect(await objectKeys(server.s3, prefixOf(job))).toEqual([winnerKey]);
    const after = await engine.readFile(tenant, job.id);
    expect(sha256(after.bytes)).toBe(before.record.sha256);
    expect(after.bytes.length).toBe(before.record.sizeBytes);
    expect(await readJob(engine.pool, tenant.id, job.id)).toMatchObject({ status: 'completed', attempts: 2 });
    expect(await engine.auditActions(job.id)).toEqual(['export.requested', 'export.completed']);
    process.stdout.write(
      `takeover (s3rver, SIGSTOP past the lock): completed by attempt 2 ${completedAfter} ms after the freeze; ` +
        `the woken loser stopped ${loserStoppedAfter} ms after SIGCONT; one intact file remains\n`,
    );
  });
});
