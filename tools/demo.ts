import { isAbsolute, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AppConfig, readConfig, signAccessToken } from '@app/infrastructure';
import { Pool } from 'pg';
import { runCli } from '../apps/cli/src/cli';
import { signInLink } from '../apps/cli/src/sign-in-link';
import { startDemoAzurite } from './demo/azurite';
import { databaseName, findUser, migrate, type SeedOutcome, seedTickets } from './demo/database';
import { downloadExport, type DownloadedFile } from './demo/download';
import { DemoFailure, firstLine } from './demo/failure';
import { type DemoOptions, parseDemoOptions } from './demo/options';
import { formatCount, ProgressReporter, rowsPerSecond } from './demo/progress';
import { checkRedis } from './demo/redis';
import { checkCanStart, childEnvironment, DemoStack, logFileOf } from './demo/stack';
import {
  type CompletedExportJob,
  type ExportJobResource,
  ExportJobEndedError,
  ExportServiceClient,
  HttpStatusError,
  type TicketViewResource,
} from './shared/http-client';

/** Who the demo is, and what it exports (CONTRACT §3: the seeded admin of acme; its widest system view). */
const ADMIN = 'admin@acme.test';
const VIEW = 'All tickets';
const TOKEN_TTL_SECONDS = 3600;
/** The sign-in link of --keep: valid for a working day of clicking around. */
const KEPT_TOKEN_TTL_SECONDS = 12 * 3600;
const MAX_WAIT_FOR_SLOT_SECONDS = 10;
const CREATE_TIMEOUT_MS = 10_000;

/** Ctrl-C (or SIGTERM): the end of a --keep run, a failure of any other. */
class Interrupted extends DemoFailure {}

interface DemoContext {
  readonly config: AppConfig;
  readonly options: DemoOptions;
  readonly jwtSecret: string;
  readonly stack: DemoStack;
  readonly signal: AbortSignal;
  /** Ends the run with this failure: every wait of the demo stops. */
  abort(failure: DemoFailure): void;
}

/**
 * `npm run demo` (CONTRACT §1): migrate, seed, start the API and one worker, then act as the admin SPA over HTTP:
 * list views, request a CSV export, follow its progress, download the file and check its sha256. Whatever
 * happens, what it started is stopped; a failure ends with one `demo: <what failed and what to do>` line.
 */
runCli('demo', async () => {
  const options = parseDemoOptions(process.argv.slice(2));
  const config = readConfig();
  const { env, jwtSecret } = childEnvironment(config);
  const controller = new AbortController();
  const abort = (failure: DemoFailure): void => {
    if (!controller.signal.aborted) controller.abort(failure);
  };
  const stack = new DemoStack(env, config, abort);
  const interrupt = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      // A second Ctrl-C: no more waiting.
      stack.killNow();
      process.stderr.write(`demo: interrupted again by ${signal}; killed what the demo had started\n`);
      process.exit(130);
    }
    abort(new Interrupted(`interrupted by ${signal}; stopped what the demo had started`));
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  process.on('exit', () => stack.killNow());

  let summary: string;
  // STORAGE_DRIVER=azure with UseDevelopmentStorage=true: an Azurite of the demo's own (else null).
  const azurite = await startDemoAzurite(config);
  if (azurite) {
    process.on('exit', () => azurite.started?.killNow());
    say(azurite.label);
  }
  try {
    const ctx = { config, options, jwtSecret, stack, signal: controller.signal, abort };
    const done = await runDemo(ctx);
    summary = done.summary;
    if (options.keep) await keepRunning(ctx, done);
  } catch (error) {
    const failure = asFailure(error, controller.signal);
    await stack.stop();
    await azurite?.started?.close();
    if (stack.apps.length > 0) process.stderr.write(stack.tails());
    throw failure;
  }
  await stack.stop();
  await azurite?.started?.close();
  say(azurite?.started ? 'stopped the API, the worker and Azurite' : 'stopped the API and the worker');
  say(summary);
});

interface DemoDone {
  readonly summary: string;
  /** The demo user, for the sign-in link of --keep. */
  readonly user: { readonly userId: string; readonly tenantId: string };
}

/**
 * --keep: the apps stay up for a person to use; the sign-in link is printed (token in the fragment, as
 * `npm run token -- admin@acme.test --url`). Returns at Ctrl-C; a child dying meanwhile is a failure.
 */
async function keepRunning(ctx: DemoContext, done: DemoDone): Promise<void> {
  const { userId, tenantId } = done.user;
  const token = signAccessToken({ sub: userId, tid: tenantId }, ctx.jwtSecret, KEPT_TOKEN_TTL_SECONDS);
  say(done.summary);
  say(`the API and the worker keep running; open this link to sign in as ${ADMIN} (valid 12 h):`);
  process.stdout.write(`${signInLink(ctx.stack.baseUrl, token)}\n`);
  say('press Ctrl-C to stop them');
  if (!ctx.signal.aborted)
    await new Promise<void>((resolvePromise) =>
      ctx.signal.addEventListener('abort', () => resolvePromise(), { once: true }),
    );
  if (!(ctx.signal.reason instanceof Interrupted)) throw asError(ctx.signal.reason);
}

async function runDemo(ctx: DemoContext): Promise<DemoDone> {
  const { config, options, signal } = ctx;
  await checkCanStart(config.port);
  await abortable(checkRedis(config.redisUrl), signal);

  const database = databaseName(config.databaseUrl);
  const applied = await abortable(migrate(config.databaseUrl), signal);
  say(
    `database ${database}: ${applied.length === 0 ? 'migrations up to date' : `applied ${applied.join(', ')}`}`,
  );
  const pool = new Pool({ connectionString: config.databaseUrl, max: 2 });
  let user: { userId: string; tenantId: string };
  try {
    say(
      `demo data: checking for ${formatCount(options.tickets)} tickets (seeding when the database holds another number)`,
    );
    say(describeSeed(await abortable(seedTickets(pool, options.tickets), signal)));
    user = await abortable(findUser(pool, ADMIN), signal);
  } finally {
    // After an interrupt a query may still run: do not wait for it.
    if (signal.aborted) pool.end().catch(() => undefined);
    else await pool.end();
  }
  // As `npm run token -- admin@acme.test` mints it, with the secret the API runs with.
  const token = signAccessToken({ sub: user.userId, tid: user.tenantId }, ctx.jwtSecret, TOKEN_TTL_SECONDS);

  say(
    `starting the API on port ${config.port} and one worker (logs: ${logFileOf('api')}, ${logFileOf('worker')})`,
  );
  await ctx.stack.start(signal);
  say(`API ready at ${ctx.stack.baseUrl} (storage: ${storageLabel(config)})`);

  const client = new ExportServiceClient(ctx.stack.baseUrl, token, signal);
  const view = pickView(await client.listTicketViews());
  say(
    ctx.options.source === 'tickets'
      ? `exporting view "${view.name}" (${view.id}) as ${ADMIN} to CSV`
      : `exporting source ${ctx.options.source} as ${ADMIN} to CSV`,
  );
  return { summary: await exportAndDownload(ctx, client, view), user };
}

/** POST /export-jobs, follow it with a progress bar until completed, download it: the summary line. */
async function exportAndDownload(
  ctx: DemoContext,
  client: ExportServiceClient,
  view: TicketViewResource,
): Promise<string> {
  const { options, signal } = ctx;
  const timer = setTimeout(
    () =>
      ctx.abort(
        new DemoFailure(
          `the export did not finish within ${options.timeoutSeconds} s; see ${logFileOf('worker')}, or allow longer with --timeout`,
        ),
      ),
    options.timeoutSeconds * 1000,
  );
  const progress = new ProgressReporter(process.stdout, Date.now());
  let job: ExportJobResource | null = null;
  let ended = false;
  try {
    // Tickets: the view, as the SPA exports it; another source: all its rows (the admin's tenant), as CSV;
    // ticket analytics needs a range of days: the last 90, up to today (UTC).
    const body =
      options.source === 'tickets'
        ? { viewId: view.id }
        : options.source === 'ticket-analytics'
          ? { source: options.source, filters: lastDays(90) }
          : { source: options.source };
    job = await requestExport(client, { ...body, format: 'csv' }, signal);
    progress.update(job);
    const completed = await client
      .waitForExportJob(job.id, { interval: 'retry-after', onUpdate: (update) => progress.update(update) })
      .finally(() => progress.finish());
    ended = true;
    clearTimeout(timer);
    const file = await downloadExport(client, completed, options.outDir, signal);
    say(
      `downloaded ${displayPath(file.path)} (${file.bytes} bytes, sha256 ${file.sha256}) in ${file.seconds.toFixed(1)} s`,
    );
    return summaryLine(completed, file);
  } catch (error) {
    // The SPA's "cancel" for a job the demo gives up on while it runs: the worker stops it and leaves nothing.
    if (job && !ended && !(error instanceof ExportJobEndedError))
      await client.cancelExportJob(job.id, AbortSignal.timeout(3000)).catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** POST /export-jobs; while the admin has too many active jobs (429, left by an interrupted run), wait as told. */
async function requestExport(
  client: ExportServiceClient,
  body: Readonly<Record<string, unknown>>,
  signal: AbortSignal,
): Promise<ExportJobResource> {
  for (let said = false; ; said = true) {
    try {
      // Not aborted half-way: a job the API created must come back, so that it can be cancelled.
      return await client.createExportJob(body, AbortSignal.timeout(CREATE_TIMEOUT_MS));
    } catch (error) {
      if (!(error instanceof HttpStatusError) || error.status !== 429) throw error;
      if (!said) say(`${ADMIN} has too many active exports (an earlier run's?): waiting for a free slot`);
      const seconds = Math.min(MAX_WAIT_FOR_SLOT_SECONDS, error.retryAfterSeconds ?? 2);
      await sleep(seconds * 1000, undefined, { signal });
    }
  }
}

/** The required day range of a ticket-analytics export: the `days` days up to today (UTC dates). */
function lastDays(days: number): { and: { field: string; operator: string; value: string }[] } {
  const day = (offset: number): string =>
    new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);
  return {
    and: [
      { field: 'date', operator: 'on_or_after', value: day(days - 1) },
      { field: 'date', operator: 'on_or_before', value: day(0) },
    ],
  };
}

function pickView(views: readonly TicketViewResource[]): TicketViewResource {
  const view =
    views.find((v) => v.isSystem && v.name === VIEW) ?? views.find((v) => v.isSystem) ?? views.at(0) ?? null;
  if (view === null)
    throw new DemoFailure(
      `${ADMIN} sees no ticket views: run npm run db:seed -- --reset, then the demo again`,
    );
  return view;
}

/** Seconds from the request to `completed` by the service's own clock (polling adds nothing to it). */
function summaryLine(job: CompletedExportJob, file: DownloadedFile): string {
  const rows = job.file.rowCount;
  const seconds = (Date.parse(job.completedAt ?? '') - Date.parse(job.requestedAt)) / 1000;
  return (
    `exported ${rows} rows (${formatBytes(file.bytes)}) in ${seconds.toFixed(1)} s, ` +
    `${formatCount(rowsPerSecond(rows, seconds))} rows/s, sha256 verified -> ${displayPath(file.path)}`
  );
}

function describeSeed(seed: SeedOutcome): string {
  const counts = Object.entries(seed.tickets)
    .map(([slug, n]) => `${slug} ${formatCount(n)}`)
    .join(', ');
  switch (seed.action) {
    case 'seeded':
      return `demo data: seeded tickets (${counts}) in ${seed.seconds.toFixed(1)} s`;
    case 'kept':
      return `demo data: already seeded (${counts} tickets), kept`;
    case 'reseeded':
      return `demo data: reseeded (acme had ${formatCount(seed.previous ?? 0)} tickets; now ${counts}) in ${seed.seconds.toFixed(1)} s`;
  }
}

function storageLabel(config: AppConfig): string {
  const { storage } = config;
  if (storage.driver === 'local') return `local, ${displayPath(resolve(storage.localDir))}`;
  if (storage.driver === 'azure') return `azure, container ${storage.azure.container ?? '?'}`;
  return `s3, bucket ${storage.s3.bucket ?? '?'}${storage.s3.endpoint ? ` at ${storage.s3.endpoint}` : ''}`;
}

/** Any error as the one-line failure to print: what went wrong and what to do. */
function asFailure(error: unknown, signal: AbortSignal): DemoFailure {
  // An abort (Ctrl-C, a child that died, the timeout) is the cause of whatever the interrupted step threw.
  if (signal.aborted && signal.reason instanceof DemoFailure) return signal.reason;
  if (error instanceof DemoFailure) return error;
  if (error instanceof ExportJobEndedError) {
    const reason = error.job.error
      ? `${error.job.error.code}: ${error.job.error.message}`
      : 'no reason given';
    return new DemoFailure(`the export ${error.job.status} (${reason}); see ${logFileOf('worker')}`);
  }
  if (error instanceof HttpStatusError)
    return new DemoFailure(
      `${firstLine(error).slice(0, 400)}; see ${logFileOf('api')}, or run npm run db:seed -- --reset if the data is off`,
    );
  return new DemoFailure(`unexpected error: ${firstLine(error)}`);
}

/** Rejects as soon as `signal` aborts, even when `work` cannot be cancelled (it then ends on its own). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = (): void => reject(asError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolvePromise(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(asError(error));
      },
    );
  });
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** Relative to the working directory when inside it (`exports/x.csv`), else absolute. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function say(message: string): void {
  process.stdout.write(`demo: ${message}\n`);
}
