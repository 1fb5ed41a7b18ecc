import { type BenchFigures, type ExportFigure, ratioOf } from './figures';

/** Issue 13's targets. "Small" is globex's "All tickets" (about N/10 rows), "large" acme's (about N). */
export const TARGETS = {
  ratioSmall: 0.6,
  ratioLarge: 0.7,
  peakRssLargeMb: 150,
  rssGrowth: 0.1,
  pollingRequestsPerSecond: 2000,
  pollingP99Ms: 25,
  revokedWithinMs: 1000,
} as const;

/** Issue 10's targets for XLSX at about N rows: speed against the COPY baseline, memory against CSV's. */
export const XLSX_TARGETS = {
  ratioLarge: 0.25,
  /** Peak RSS at most the CSV export's (same driver, same rows) plus this share. */
  rssOverCsv: 0.15,
  rssGrowth: 0.1,
} as const;

export interface TargetCheck {
  readonly target: string;
  readonly value: string;
  /** null: not measured in this run (its phase was skipped). */
  readonly met: boolean | null;
}

const n = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number | null): string => (value === null ? '—' : n(value));

/** `--json FILE`: the shape, plus the details the tables print. */
export function toJson(f: BenchFigures): unknown {
  const status = f.polling.find((p) => p.name === 'status');
  return {
    date: f.date,
    machine: f.machine,
    tickets: f.tickets,
    durationSeconds: round(f.durationSeconds, 1),
    exports: f.exports.map((e) => ({
      driver: e.driver,
      format: e.format,
      tenant: e.tenant,
      rows: e.rows,
      baselineRowsPerSecond: Math.round(e.baselineRowsPerSecond),
      serviceRowsPerSecond: Math.round(e.serviceRowsPerSecond),
      ratio: round(ratioOf(e), 3),
      peakRssMb: round(e.peakRssMb, 1),
      phasesMs: e.phases,
    })),
    polling: status
      ? {
          requestsPerSecond: Math.round(status.requestsPerSecond),
          p50Ms: status.p50Ms,
          p99Ms: status.p99Ms,
          duringExportRows: status.duringExportRows,
          runs: f.polling,
          revocation: f.revocation,
        }
      : null,
    concurrency: f.concurrency.map((c) => ({ ...c, rowsPerSecond: Math.round(c.rowsPerSecond) })),
  };
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function table(header: readonly string[], align: string, rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, align, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function exportsTable(exports: readonly ExportFigure[]): string {
  return table(
    ['driver', 'format', 'rows', 'baseline rows/s (COPY csv)', 'service rows/s', 'ratio', 'worker peak RSS'],
    '| ------ | ------ | ------: | ------: | ------: | ----: | ------: |',
    exports.map((e) => [
      e.driver,
      e.format,
      n(e.rows),
      n(e.baselineRowsPerSecond),
      n(e.serviceRowsPerSecond),
      ratioOf(e).toFixed(2),
      `${e.peakRssMb.toFixed(0)} MB`,
    ]),
  );
}

/** Each step in ms after requested_at; a first byte read from progress (not from the file) is marked `~`. */
export function phasesTable(exports: readonly ExportFigure[]): string {
  return table(
    ['driver', 'format', 'rows', 'started', 'count', 'first byte', 'last byte', 'upload done', 'completed'],
    '| ------ | ------ | ------: | ------: | ------: | ------: | ------: | ------: | ------: |',
    exports.map(({ driver, format, rows, phases: p }) => [
      driver,
      format,
      n(rows),
      ms(p.startedMs),
      ms(p.countMs),
      `${p.firstByteSource === 'progress' ? '~' : ''}${ms(p.firstByteMs)}`,
      ms(p.lastByteMs),
      ms(p.uploadDoneMs),
      ms(p.completedMs),
    ]),
  );
}

export function pollingTable(f: BenchFigures): string {
  return table(
    ['run', 'path', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx (304)', 'rows exported meanwhile'],
    '| --- | --- | ------: | ------: | ------: | ------: | ------: | ------: |',
    f.polling.map((p) => [
      p.name,
      p.path,
      n(p.requestsPerSecond),
      String(p.p50Ms),
      String(p.p99Ms),
      n(p.errors),
      `${n(p.non2xx)} (${n(p.notModified)})`,
      n(p.duringExportRows),
    ]),
  );
}

export function concurrencyTable(f: BenchFigures): string {
  return table(
    ['workers', 'concurrency each', 'jobs', 'rows', 'seconds', 'rows/s', 'each job once'],
    '| ------: | ------: | ------: | ------: | ------: | ------: | --- |',
    f.concurrency.map((c) => [
      String(c.workers),
      String(c.workerConcurrency),
      String(c.jobs),
      n(c.rows),
      c.seconds.toFixed(2),
      n(c.rowsPerSecond),
      c.eachJobOnce ? 'yes' : `NO: ${c.detail}`,
    ]),
  );
}

/** Every target of issues 13 and 10, met or not, from this run's figures. */
export function checkTargets(f: BenchFigures): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const csv = f.exports.filter((e) => e.format === 'csv');
  for (const driver of [...new Set(csv.map((e) => e.driver))]) {
    const small = csv.find((e) => e.driver === driver && e.tenant === 'globex');
    const large = csv.find((e) => e.driver === driver && e.tenant === 'acme');
    if (small)
      checks.push(
        atLeast(`${driver} csv ratio at ${n(small.rows)} rows`, ratioOf(small), TARGETS.ratioSmall),
      );
    if (large) {
      checks.push(
        atLeast(`${driver} csv ratio at ${n(large.rows)} rows`, ratioOf(large), TARGETS.ratioLarge),
      );
      checks.push({
        target: `${driver} csv worker peak RSS at ${n(large.rows)} rows <= ${TARGETS.peakRssLargeMb} MB`,
        value: `${large.peakRssMb.toFixed(0)} MB`,
        met: large.peakRssMb <= TARGETS.peakRssLargeMb,
      });
    }
    if (small && large) checks.push(growthCheck(`${driver} csv`, small, large, TARGETS.rssGrowth));
  }
  const status = f.polling.find((p) => p.name === 'status');
  checks.push({
    target: `GET /export-jobs/:id during an export >= ${n(TARGETS.pollingRequestsPerSecond)} req/s`,
    value: status ? `${n(status.requestsPerSecond)} req/s` : 'not measured',
    met: status ? status.requestsPerSecond >= TARGETS.pollingRequestsPerSecond : null,
  });
  checks.push({
    target: `GET /export-jobs/:id during an export p99 <= ${TARGETS.pollingP99Ms} ms`,
    value: status ? `${status.p99Ms} ms` : 'not measured',
    met: status ? status.p99Ms <= TARGETS.pollingP99Ms : null,
  });
  const revoked = f.revocation;
  checks.push({
    target: `revoked export permission refused within ${n(TARGETS.revokedWithinMs)} ms`,
    value: revoked
      ? revoked.refusedAfterMs === null
        ? 'never refused'
        : `${n(revoked.refusedAfterMs)} ms (${revoked.refusalStatus})`
      : 'not measured',
    met: revoked
      ? revoked.refusedAfterMs !== null && revoked.refusedAfterMs <= TARGETS.revokedWithinMs
      : null,
  });
  for (const c of f.concurrency)
    checks.push({
      target: `${c.workers} worker(s): each of ${c.jobs} jobs ran once`,
      value: c.detail,
      met: c.eachJobOnce,
    });
  return [...checks, ...xlsxChecks(f)];
}

/** Issue 10: XLSX at about N rows on each driver it ran on, against the CSV export of the same rows. */
function xlsxChecks(f: BenchFigures): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const find = (driver: string, format: string, tenant: string): ExportFigure | undefined =>
    f.exports.find((e) => e.driver === driver && e.format === format && e.tenant === tenant);
  for (const driver of [...new Set(f.exports.filter((e) => e.format === 'xlsx').map((e) => e.driver))]) {
    const large = find(driver, 'xlsx', 'acme');
    const small = find(driver, 'xlsx', 'globex');
    const csv = find(driver, 'csv', 'acme');
    if (!large) continue;
    checks.push(
      atLeast(`${driver} xlsx ratio at ${n(large.rows)} rows`, ratioOf(large), XLSX_TARGETS.ratioLarge),
    );
    if (csv) {
      const bound = csv.peakRssMb * (1 + XLSX_TARGETS.rssOverCsv);
      checks.push({
        target: `${driver} xlsx worker peak RSS at ${n(large.rows)} rows <= csv’s + ${XLSX_TARGETS.rssOverCsv * 100}% (${bound.toFixed(0)} MB)`,
        value: `${large.peakRssMb.toFixed(0)} MB`,
        met: large.peakRssMb <= bound,
      });
    }
    if (small) checks.push(growthCheck(`${driver} xlsx`, small, large, XLSX_TARGETS.rssGrowth));
  }
  return checks;
}

/** Peak RSS from about N/10 to about N rows of one driver and format. */
function growthCheck(what: string, small: ExportFigure, large: ExportFigure, max: number): TargetCheck {
  const growth = large.peakRssMb / small.peakRssMb - 1;
  return {
    target: `${what} peak RSS growth ${n(small.rows)} -> ${n(large.rows)} rows <= +${max * 100}%`,
    value: `${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%`,
    met: growth <= max,
  };
}

function atLeast(target: string, value: number, min: number): TargetCheck {
  return { target: `${target} >= ${min}`, value: value.toFixed(2), met: value >= min };
}

export function targetsList(checks: readonly TargetCheck[]): string {
  const mark = (met: boolean | null): string => (met === null ? 'not measured' : met ? 'met' : 'NOT MET');
  return checks.map((c) => `- ${mark(c.met)}: ${c.target} (${c.value})`).join('\n');
}
