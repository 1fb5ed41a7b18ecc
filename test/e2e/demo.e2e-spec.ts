import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { freePort } from '../../tools/shared/processes';
import { scratchDatabase, type ScratchDatabase } from '../support/database';
import { redisUrlWithDb } from '../support/worker';

/** `npm run demo` as CI runs it: the built command, its own database, Redis databases 12 and 13. */
const DEMO = join(__dirname, '..', '..', 'dist', 'tools', 'demo.js');
const TOKEN_CLI = join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'token.js');
const TICKETS = 2000;
const RUN_TIMEOUT_MS = 100_000;
const SUMMARY =
  /^demo: exported (\d+) rows \((\d+(?:\.\d)? (?:B|kB|MB))\) in (\d+\.\d) s, ([\d,]+) rows\/s, sha256 verified -> (.+)$/m;
const DOWNLOADED = /^demo: downloaded (.+) \((\d+) bytes, sha256 ([0-9a-f]{64})\) in \d+\.\d s$/m;
/** CONTRACT §4: the labels of the default columns, the columns of the seeded "All tickets" view. */
const DEFAULT_HEADER = [
  'Ticket ID',
  'Title',
  'Status',
  'Priority',
  'Category',
  'Contact',
  'Assignee',
  'Team',
  'Created',
];

jest.setTimeout(120_000);

interface DemoRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly pid: number;
}

/** Pids of demo runs whose process group may still hold something: killed whatever happens to the test. */
const groups = new Set<number>();

/** True while any process of the group (the demo and what it spawned) is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Runs `node dist/.../demo.js <args>` in `cwd` with exactly `env`, as the leader of a process group of its own so
 * that the test can tell whether anything it started survived it. `onStdout` sees the output as it comes.
 */
function runDemo(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  cwd: string,
  onStdout?: (stdout: string, pid: number) => void,
): Promise<DemoRun> {
  const child = spawn(process.execPath, [DEMO, ...args], {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid ?? 0;
  groups.add(pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout, pid);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      process.kill(-pid, 'SIGKILL');
      reject(new Error(`the demo did not end within ${RUN_TIMEOUT_MS} ms:\n${stdout}\n${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, pid });
    });
  });
}

async function flushRedis(db: number): Promise<void> {
  const redis = new Redis(redisUrlWithDb(db), { maxRetriesPerRequest: 1 });
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

describe('npm run demo (the built command, end to end)', () => {
  let database: ScratchDatabase;
  let pool: Pool;
  let work: string;
  let baseEnv: Record<string, string>;

  beforeAll(async () => {
    if (!existsSync(DEMO)) throw new Error(`${DEMO} is missing: run npm run build first (npm test does)`);
    database = scratchDatabase('demo');
    work = await mkdtemp(join(tmpdir(), 'export-demo-'));
    await Promise.all([flushRedis(12), flushRedis(13)]);
    // What a CI job has: no AUTH_JWT_SECRET, no NODE_ENV (the demo brings its own secret), default LOG_LEVEL.
    baseEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: database.url,
      STORAGE_LOCAL_DIR: join(work, 'storage'),
    };
  });

  afterEach(() => {
    for (const pgid of groups) if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    groups.clear();
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('migrates, seeds, exports as the admin and downloads a verified file into --out, then stops everything', async () => {
    const out = join(work, 'out');
    const port = await freePort();
    const run = await runDemo(
      ['--tickets', String(TICKETS), '--out', out],
      { ...baseEnv, REDIS_URL: redisUrlWithDb(12), PORT: String(port) },
      work,
    );

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(groupAlive(run.pid)).toBe(false);
    const summary = SUMMARY.exec(run.stdout);
    const downloaded = DOWNLOADED.exec(run.stdout);
    if (!summary || !downloaded) throw new Error(`no summary or download line in:\n${run.stdout}`);
    expect(lastLine(run.stdout)).toBe(summary[0]);
    // Child logs went to files, not to the terminal.
    expect(run.stdout).not.toMatch(/"level":|\[Nest\]/);
    for (const app of ['api', 'worker'])
      expect((await stat(join(work, 'var', 'demo', `${app}.log`))).size).toBeGreaterThan(0);

    const [, rows, , seconds, rate, shownPath] = summary;
    const [, downloadedPath, bytes, sha256] = downloaded;
    const file = resolve(work, shownPath);
    expect(resolve(work, downloadedPath)).toBe(file);
    expect(await readdir(out)).toEqual([basename(file)]);
    expect(basename(file)).toMatch(/^all-tickets-\d{8}-\d{6}\.csv$/);
    const content = await readFile(file);
    expect(content.length).toBe(Number(bytes));
    expect(createHash('sha256').update(content).digest('hex')).toBe(sha256);
    // rows/s is rows over the unrounded seconds: within what rounding seconds to 0.1 allows.
    const shownRate = Number(rate.replace(/,/g, ''));
    expect(shownRate).toBeGreaterThanOrEqual(Math.floor(Number(rows) / (Number(seconds) + 0.05)));
    if (Number(seconds) > 0.05)
      expect(shownRate).toBeLessThanOrEqual(Math.ceil(Number(rows) / (Number(seconds) - 0.05)));

    // The file is the job's file, and holds exactly the view's rows: acme's tickets that are not deleted.
    pool = new Pool({ connectionString: database.url, max: 1 });
    const { rows: jobs } = await pool.query<{ status: string; sha256: string; size_bytes: string }>(
      `SELECT j.status, f.sha256, f.size_bytes FROM export_jobs j JOIN stored_files f ON f.id = j.file_id`,
    );
    expect(jobs).toEqual([{ status: 'completed', sha256, size_bytes: bytes }]);
    const { rows: counts } = await pool.query<{ all: string; live: string }>(
      `SELECT count(*) AS all, count(*) FILTER (WHERE t.deleted_at IS NULL) AS live
         FROM tickets t JOIN tenants te ON te.id = t.tenant_id WHERE te.slug = 'acme'`,
    );
    expect(Number(counts[0].all)).toBe(TICKETS);
    const records = parse(content, { bom: true });
    expect(records[0]).toEqual(DEFAULT_HEADER);
    expect(records.length - 1).toBe(Number(rows));
    expect(Number(rows)).toBe(Number(counts[0].live));
    expect(content.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('with STORAGE_DRIVER=azure and UseDevelopmentStorage=true, runs against an Azurite of its own and stops it', async () => {
    const port = await freePort();
    const run = await runDemo(
      ['--tickets', String(TICKETS), '--out', join(work, 'out-azure')],
      {
        ...baseEnv,
        REDIS_URL: redisUrlWithDb(12),
        PORT: String(port),
        STORAGE_DRIVER: 'azure',
        AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
        AZURE_CONTAINER: 'demo-exports',
      },
      work,
    );

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(groupAlive(run.pid)).toBe(false); // Azurite too: it was a child of the demo
    expect(run.stdout).toMatch(
      /^demo: Azurite (started in memory|already running) at 127\.0\.0\.1:10000, container demo-exports$/m,
    );
    expect(run.stdout).toMatch(/^demo: API ready at .* \(storage: azure, container demo-exports\)$/m);
    const downloaded = DOWNLOADED.exec(run.stdout);
    if (!downloaded) throw new Error(`no download line in:\n${run.stdout}`);
    const content = await readFile(resolve(work, downloaded[1]));
    expect(createHash('sha256').update(content).digest('hex')).toBe(downloaded[3]);
    expect(lastLine(run.stdout)).toMatch(SUMMARY);
  });

  it('says the port is taken, in one line, and starts nothing when PORT is in use', async () => {
    const port = await freePort();
    // Listening as the API would (every interface), so the demo cannot.
    const server: Server = await new Promise((resolvePromise) => {
      const listening = createServer().listen(port, () => resolvePromise(listening));
    });
    try {
      const run = await runDemo(
        ['--tickets', String(TICKETS), '--out', join(work, 'unused')],
        { ...baseEnv, REDIS_URL: redisUrlWithDb(13), PORT: String(port) },
        work,
      );
      expect(run.code).not.toBe(0);
      expect(run.code).not.toBeNull();
      expect(lastLine(run.stderr)).toBe(
        `demo: port ${port} is in use by another process: stop it, or run the demo with PORT set to a free port`,
      );
      expect(run.stdout).not.toContain('starting the API');
      expect(groupAlive(run.pid)).toBe(false);
      expect(existsSync(join(work, 'unused'))).toBe(false);
    } finally {
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
    }
  });

  it('stops the API and the worker it started when interrupted (Ctrl-C), and says so', async () => {
    const port = await freePort();
    let interrupted = false;
    const run = await runDemo(
      ['--tickets', String(TICKETS), '--out', join(work, 'interrupted')],
      { ...baseEnv, REDIS_URL: redisUrlWithDb(13), PORT: String(port) },
      work,
      (stdout, pid) => {
        // Once both children run: SIGINT to the demo alone, so that stopping them is the demo's doing.
        if (!interrupted && stdout.includes('demo: API ready')) {
          interrupted = true;
          process.kill(pid, 'SIGINT');
        }
      },
    );
    expect(interrupted).toBe(true);
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(lastLine(run.stderr)).toMatch(/^demo: interrupted by SIGINT; stopped what the demo had started$/);
    expect(run.stderr).toContain('demo: last lines of var/demo/worker.log:');
    expect(groupAlive(run.pid)).toBe(false);
    // Same database as the first run, same size: the data is kept, not seeded again.
    expect(run.stdout).toContain(`demo data: already seeded (acme ${TICKETS.toLocaleString('en-US')},`);
    // A job it had requested is cancelled, not left queued for the next worker.
    pool ??= new Pool({ connectionString: database.url, max: 1 });
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM export_jobs WHERE status IN ('queued', 'running')`,
    );
    expect(Number(rows[0].n)).toBe(0);
  });

  it('--keep: after the export keeps the apps up, prints the sign-in link, and stops both at Ctrl-C', async () => {
    const port = await freePort();
    // A secret of our own, so that `npm run token` signs for the API the demo started.
    const env = {
      ...baseEnv,
      REDIS_URL: redisUrlWithDb(12),
      PORT: String(port),
      AUTH_JWT_SECRET: 'a-secret-for-the-keep-case-of-the-demo',
    };
    let kept: (pid: number) => void = () => undefined;
    let seenStdout = '';
    const keeping = new Promise<number>((resolvePromise) => (kept = resolvePromise));
    const running = runDemo(
      ['--tickets', String(TICKETS), '--out', join(work, 'kept'), '--keep'],
      env,
      work,
      (stdout, pid) => {
        seenStdout = stdout;
        if (stdout.includes('demo: press Ctrl-C')) kept(pid);
      },
    );
    const pid = await Promise.race([
      keeping,
      running.then((run) => {
        throw new Error(`the demo ended instead of keeping the apps:\n${run.stdout}\n${run.stderr}`);
      }),
    ]);
    const apiUrl = `http://127.0.0.1:${port}`;
    const linkWithToken = (text: string): { link: URL; token: string } => {
      const line = text.split('\n').find((l) => l.startsWith(`${apiUrl}/admin#token=`));
      if (!line) throw new Error(`no sign-in link in:\n${text}`);
      const link = new URL(line);
      return { link, token: decodeURIComponent(link.hash.replace(/^#token=/, '')) };
    };
    const listJobs = (token: string) =>
      fetch(`${apiUrl}/export-jobs`, { headers: { Authorization: `Bearer ${token}` } });
    try {
      // While kept: the API answers, and the printed link signs the admin in (the token only in the fragment).
      expect((await fetch(`${apiUrl}/health/ready`)).status).toBe(200);
      const printed = linkWithToken(seenStdout);
      expect(printed.link.pathname).toBe('/admin');
      expect(printed.link.search).toBe('');
      const jobs = await listJobs(printed.token);
      expect(jobs.status).toBe(200);
      expect(((await jobs.json()) as { items: { status: string }[] }).items[0]?.status).toBe('completed');

      // `npm run token -- <email> --url` prints the same kind of link for the API of its configuration.
      const cli = await promisify(execFile)(process.execPath, [TOKEN_CLI, 'admin@acme.test', '--url'], {
        env: { ...env, NODE_ENV: 'development' },
      });
      const fromCli = linkWithToken(cli.stdout);
      expect(cli.stdout.trim()).toBe(fromCli.link.toString());
      expect((await listJobs(fromCli.token)).status).toBe(200);
    } catch (error) {
      process.kill(-pid, 'SIGKILL');
      throw error;
    }

    process.kill(pid, 'SIGINT');
    const run = await running;
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(groupAlive(run.pid)).toBe(false);
    expect(run.stdout).toContain('demo: stopped the API and the worker');
    expect(SUMMARY.test(lastLine(run.stdout))).toBe(true);
    await expect(fetch(`${apiUrl}/health/live`)).rejects.toThrow();
  });
});
