/**
 * Redis database 15. Issue #15 (k): the built worker logs one JSON object per line through pino, every line of an
 * export attempt carries jobId, tenantId and attempt, and a fault nobody caught is one structured line and exit 1.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertBulkTickets } from '../support/bulk-tickets';
import { EngineHarness } from '../support/engine-harness';
import { sha256 } from '../support/file-readers';
import { createTestTenant, type TestTenant } from '../support/factories';
import { redisUrlWithDb, type RunningWorker, startWorker } from '../support/worker';

jest.setTimeout(120_000);

const ROWS = 5_000;
const PROCESS_FAILURE = join(
  __dirname,
  '..',
  '..',
  'dist',
  'libs',
  'infrastructure',
  'src',
  'logging',
  'process-failure.js',
);

type LogLine = Record<string, unknown>;

function parseLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

describe('worker logs', () => {
  let engine: EngineHarness;
  let tenant: TestTenant;
  let storageDir: string;
  let worker: RunningWorker | undefined;

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'worker-logs-'));
    const env = {
      REDIS_URL: redisUrlWithDb(15),
      STORAGE_DRIVER: 'local',
      STORAGE_LOCAL_DIR: storageDir,
      LOG_LEVEL: 'debug',
    };
    engine = await EngineHarness.open(env);
    tenant = await createTestTenant(engine.pool);
    await insertBulkTickets(engine.pool, tenant, {
      count: ROWS,
      createdBefore: new Date(Date.now() - 3_600_000),
    });
    worker = await startWorker({ env });
  });

  afterAll(async () => {
    await worker?.kill();
    await engine?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('writes only JSON lines, and every line about an attempt carries its jobId, tenantId and attempt', async () => {
    const job = await engine.requestExport({ tenant, format: 'csv' });
    const done = await engine.finished(tenant, job.id, 60_000);
    const file = await engine.readFile(tenant, job.id);
    expect(done).toMatchObject({ status: 'completed', rowsExported: ROWS });
    expect(file.record.sha256).toBe(sha256(file.bytes));
    await worker?.stop();

    const lines = parseLines(worker?.output() ?? '');
    for (const line of lines) {
      expect({ level: typeof line.level, msg: typeof line.msg }).toEqual({ level: 'number', msg: 'string' });
      expect(String(line.msg)).not.toContain('\u001b['); // no colour codes
    }
    expect(lines.some((line) => String(line.msg).includes('worker started'))).toBe(true);
    const ofJob = lines.filter((line) => line.jobId === job.id || JSON.stringify(line).includes(job.id));
    expect(ofJob.length).toBeGreaterThan(0);
    for (const line of ofJob) expect(line).toMatchObject({ jobId: job.id, tenantId: tenant.id, attempt: 1 });
    expect(ofJob.map((line) => line.msg)).toContain('export attempt ended');
    // Outside an attempt (start, shutdown) no line claims a job.
    const outside = lines.filter((line) => /worker started|releasing running exports/.test(String(line.msg)));
    expect(outside.length).toBeGreaterThan(0);
    for (const line of outside) expect(line).not.toHaveProperty('jobId');
    process.stdout.write(`worker-logs: ${lines.length} JSON lines, ${ofJob.length} of the attempt\n`);
  });

  it.each([
    ['unhandledRejection', "Promise.reject(new Error('nobody awaited me'))", 'nobody awaited me'],
    [
      'uncaughtException',
      "setTimeout(() => { throw new Error('nobody caught me'); }, 0)",
      'nobody caught me',
    ],
  ])('logs an %s as one JSON line and exits 1', (event, fault, message) => {
    const run = spawnSync(
      process.execPath,
      ['-e', `require(${JSON.stringify(PROCESS_FAILURE)}).exitOnProcessFailure('worker'); ${fault};`],
      { encoding: 'utf8', timeout: 10_000 },
    );

    expect(run.status).toBe(1);
    expect(run.stderr).toBe('');
    const lines = parseLines(run.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 60,
      name: 'worker',
      event,
      err: { type: 'Error', message },
      msg: `${event}: ${message}; exiting`,
    });
    expect(String((lines[0].err as { stack: string }).stack)).toContain(message);
  });
});
