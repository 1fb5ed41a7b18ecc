import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateDatabase, readConfig } from '@app/infrastructure';
import { Pool } from 'pg';
import { parseArgs, runCli } from '../../apps/cli/src/cli';
import { ensureContainer, startAzurite } from '../shared/azurite';
import { runConcurrency } from './concurrency';
import { AZURE_CONTAINER, benchEnv, ensureSeeded, log, machine, startS3rver } from './environment';
import { estimatesTable, type EstimateMeasurement } from './estimates';
import type {
  BenchFigures,
  ConcurrencyFigure,
  ExportFigure,
  PollingFigure,
  RevocationFigure,
} from './figures';
import { benchOptions, OPTION_SPEC } from './options';
import { runPolling } from './polling';
import {
  checkTargets,
  concurrencyTable,
  exportsTable,
  phasesTable,
  pollingTable,
  targetsList,
  toJson,
} from './report';
import { type DriverSetup, runBaselines, runSingleExports } from './single-exports';
import { secondsSince } from './stats';

/**
 * CONTRACT §8 and issue 13. Seeds N tickets (acme) and N/10 (globex) in `<database>_bench` (once: a database
 * already holding those counts is reused), then runs, against real API and worker processes from dist/:
 * 1. the COPY baseline and 2. single exports (exports: per driver, format and size; single-exports.ts),
 * 3. polling under load (polling.ts), 4. concurrent exports (concurrency.ts); prints their tables, each target of
 * issue 13 as met or not, and the run's duration; `--json FILE` writes the same figures.
 */
runCli('bench', async () => {
  const runStarted = process.hrtime.bigint();
  const options = benchOptions(parseArgs(process.argv.slice(2), OPTION_SPEC).values);
  const base = readConfig();
  const url = new URL(base.databaseUrl);
  url.pathname = `${url.pathname.replace(/_bench$/, '')}_bench`;
  const databaseUrl = url.toString();
  log(`database ${url.pathname.slice(1)}: migrating, ${options.tickets.toLocaleString('en-US')} tickets`);
  await migrateDatabase(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 6 });
  const work = await mkdtemp(join(tmpdir(), 'export-bench-'));
  const runsExports = options.phases.includes('exports');
  const drivers = runsExports ? options.drivers : [];
  const s3rver = drivers.includes('s3') ? await startS3rver(join(work, 's3')) : null;
  const azurite = drivers.includes('azure') ? await startAzurite() : null;
  const children: ChildProcess[] = [];
  let singles: ExportFigure[] = [];
  let estimates: EstimateMeasurement[] = [];
  let polling: PollingFigure[] = [];
  let revocation: RevocationFigure | null = null;
  let concurrency: ConcurrencyFigure[] = [];
  try {
    if (azurite) await ensureContainer(azurite.connectionString, AZURE_CONTAINER);
    const seeded = await ensureSeeded(pool, options.tickets);
    log(seeded.seeded ? `seeded in ${seeded.seconds.toFixed(1)} s` : 'already seeded: reused');
    const servers = {
      s3Endpoint: s3rver?.endpoint ?? null,
      azureConnectionString: azurite?.connectionString ?? null,
    };
    const setups: DriverSetup[] = drivers.map((driver) => ({
      driver,
      env: benchEnv(base, databaseUrl, driver, work, servers),
    }));
    const localEnv = benchEnv(base, databaseUrl, 'local', work, servers);
    const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
      const started = process.hrtime.bigint();
      log(`phase ${name}`);
      const result = await run();
      log(`phase ${name} took ${secondsSince(started).toFixed(1)} s`);
      return result;
    };
    if (runsExports) {
      const baselines = await phase('1 COPY baseline', () => runBaselines(pool, setups));
      ({ exports: singles, estimates } = await phase('2 single exports', () =>
        runSingleExports(pool, setups, options.formats, baselines, {
          estimates: options.estimates,
          children,
        }),
      ));
    }
    if (options.phases.includes('polling')) {
      ({ polling, revocation } = await phase('3 polling under load', () =>
        runPolling(pool, localEnv, children, {
          seconds: options.pollSeconds,
          connections: options.connections,
        }),
      ));
    }
    if (options.phases.includes('concurrency'))
      concurrency = await phase('4 concurrency', () => runConcurrency(pool, localEnv, children));
  } finally {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await s3rver?.close();
    await azurite?.close();
    await pool.end();
    await rm(work, { recursive: true, force: true });
  }
  const figures: BenchFigures = {
    date: new Date().toISOString(),
    machine: machine(),
    tickets: options.tickets,
    exports: singles,
    polling,
    revocation,
    concurrency,
    durationSeconds: secondsSince(runStarted),
  };
  const m = figures.machine;
  const out: string[] = [
    `${figures.date}, ${m.cores} × ${m.cpuModel}, ${Math.round(m.totalMemoryMb / 1024)} GB, node ${m.node}, load average ${m.loadAverage.join(' ')}`,
  ];
  if (singles.length > 0) {
    out.push('', 'Single exports:', '', exportsTable(singles));
    out.push('', 'Steps of each job, ms after requested_at (~: first byte from progress, not the file):');
    out.push('', phasesTable(singles));
  }
  if (estimates.length > 0) out.push('', 'Estimates:', '', estimatesTable(estimates));
  if (polling.length > 0) {
    out.push(
      '',
      `Polling under load (${options.connections} connections, ${options.pollSeconds} s each):`,
      '',
    );
    out.push(pollingTable(figures));
    if (revocation)
      out.push(
        '',
        `Revoked ImportExportTickets: refused after ${revocation.refusedAfterMs ?? 'never'} ms (${revocation.refusalStatus ?? '—'}); restored after ${revocation.restoredAfterMs ?? 'never'} ms; ${revocation.probes} probes`,
      );
  }
  if (concurrency.length > 0) out.push('', 'Concurrent exports:', '', concurrencyTable(figures));
  out.push('', 'Targets (issues 10 and 13):', '', targetsList(checkTargets(figures)));
  out.push('', `Total duration: ${figures.durationSeconds.toFixed(1)} s`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (options.json) {
    await writeFile(options.json, `${JSON.stringify(toJson(figures), null, 2)}\n`);
    log(`figures written to ${options.json}`);
  }
});
