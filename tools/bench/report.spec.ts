import type { BenchFigures, ExportFigure, PollingFigure } from './figures';
import type { JobPhases } from './job-timeline';
import { checkTargets, exportsTable, phasesTable, targetsList, toJson } from './report';

const PHASES: JobPhases = {
  startedMs: 12,
  countMs: 240,
  firstByteMs: 260,
  firstByteSource: 'file',
  lastByteMs: 4100,
  uploadDoneMs: 4180,
  completedMs: 4230,
};

function anExport(fields: Partial<ExportFigure>): ExportFigure {
  return {
    driver: 'local',
    format: 'csv',
    tenant: 'acme',
    rows: 980_000,
    baselineRowsPerSecond: 400_000,
    serviceRowsPerSecond: 300_000,
    peakRssMb: 140,
    phases: PHASES,
    ...fields,
  };
}

const STATUS: PollingFigure = {
  name: 'status',
  path: '/export-jobs/:id',
  seconds: 10,
  requests: 25_000,
  requestsPerSecond: 2500,
  p50Ms: 7,
  p99Ms: 20,
  errors: 0,
  non2xx: 0,
  notModified: 0,
  duringExportRows: 1_960_000,
};

function figures(fields: Partial<BenchFigures>): BenchFigures {
  return {
    date: '2026-11-30T16:00:00.000Z',
    machine: {
      cores: 2,
      cpuModel: 'AMD EPYC',
      totalMemoryMb: 24_105,
      node: 'v20.20.2',
      loadAverage: [0.5, 0.4, 0.3],
    },
    tickets: 1_000_000,
    exports: [anExport({ tenant: 'globex', rows: 98_000, peakRssMb: 132 }), anExport({})],
    polling: [STATUS],
    revocation: { refusedAfterMs: 310, refusalStatus: 404, restoredAfterMs: 280, probes: 40 },
    concurrency: [
      {
        workers: 1,
        workerConcurrency: 2,
        jobs: 4,
        rows: 1e6,
        seconds: 5,
        rowsPerSecond: 2e5,
        eachJobOnce: true,
        detail: 'ok',
      },
    ],
    durationSeconds: 201.27,
    ...fields,
  };
}

describe('toJson', () => {
  it("writes the issue's shape: date, machine, exports with their ratio, the status polling, concurrency", () => {
    const json = toJson(figures({})) as Record<string, unknown>;
    expect(json).toMatchObject({
      date: '2026-11-30T16:00:00.000Z',
      machine: { cores: 2, cpuModel: 'AMD EPYC', totalMemoryMb: 24_105, node: 'v20.20.2' },
      exports: [
        {
          driver: 'local',
          format: 'csv',
          rows: 98_000,
          baselineRowsPerSecond: 400_000,
          serviceRowsPerSecond: 300_000,
          ratio: 0.75,
          peakRssMb: 132,
        },
        { driver: 'local', format: 'csv', rows: 980_000, ratio: 0.75, peakRssMb: 140 },
      ],
      polling: { requestsPerSecond: 2500, p50Ms: 7, p99Ms: 20, duringExportRows: 1_960_000 },
      concurrency: [{ workers: 1, jobs: 4, rowsPerSecond: 200_000, eachJobOnce: true }],
      durationSeconds: 201.3,
    });
  });

  it('writes polling null when its phase did not run', () => {
    expect(toJson(figures({ polling: [], revocation: null }))).toMatchObject({ polling: null });
  });
});

describe('tables', () => {
  it('prints one row an export, rows/s rounded with separators, the ratio to two places', () => {
    const lines = exportsTable([anExport({})]).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('| local | csv | 980,000 | 400,000 | 300,000 | 0.75 | 140 MB |');
  });

  it('marks a first byte read from progress with ~ and an unseen step with —', () => {
    const fromProgress = { ...PHASES, firstByteSource: 'progress' as const, uploadDoneMs: null };
    const row = phasesTable([anExport({ phases: fromProgress })]).split('\n')[2];
    expect(row).toBe('| local | csv | 980,000 | 12 | 240 | ~260 | 4,100 | — | 4,230 |');
  });
});

describe('checkTargets', () => {
  it('meets every target with figures at the targets', () => {
    const checks = checkTargets(figures({}));
    expect(checks.filter((c) => c.met !== true)).toEqual([]);
    expect(checks.map((c) => c.target)).toEqual([
      'local csv ratio at 98,000 rows >= 0.6',
      'local csv ratio at 980,000 rows >= 0.7',
      'local csv worker peak RSS at 980,000 rows <= 150 MB',
      'local csv peak RSS growth 98,000 -> 980,000 rows <= +10%',
      'GET /export-jobs/:id during an export >= 2,000 req/s',
      'GET /export-jobs/:id during an export p99 <= 25 ms',
      'revoked export permission refused within 1,000 ms',
      '1 worker(s): each of 4 jobs ran once',
    ]);
  });

  it('reports each miss: a low ratio, RSS growth, slow polling, a late refusal, a job run twice', () => {
    const checks = checkTargets(
      figures({
        exports: [
          anExport({ tenant: 'globex', rows: 98_000, serviceRowsPerSecond: 200_000, peakRssMb: 120 }),
          anExport({ peakRssMb: 151 }),
        ],
        polling: [{ ...STATUS, requestsPerSecond: 1999, p99Ms: 26 }],
        revocation: { refusedAfterMs: 1001, refusalStatus: 404, restoredAfterMs: 5, probes: 9 },
        concurrency: [{ ...figures({}).concurrency[0], eachJobOnce: false, detail: 'x: attempts 2' }],
      }),
    );
    expect(checks.filter((c) => c.met === true).map((c) => c.target)).toEqual([
      'local csv ratio at 980,000 rows >= 0.7',
    ]);
    expect(targetsList(checks)).toContain(
      '- NOT MET: local csv peak RSS growth 98,000 -> 980,000 rows <= +10% (+25.8%)',
    );
  });

  it('checks XLSX at about N rows against the COPY baseline and against the CSV export’s memory (issue 10)', () => {
    const xlsx = (fields: Partial<ExportFigure>): ExportFigure =>
      anExport({ format: 'xlsx', serviceRowsPerSecond: 100_000, peakRssMb: 150, ...fields });
    const met = checkTargets(
      figures({
        exports: [anExport({}), xlsx({ tenant: 'globex', rows: 98_000, peakRssMb: 140 }), xlsx({})],
      }),
    ).filter((c) => c.target.includes('xlsx'));
    expect(targetsList(met)).toBe(
      [
        '- met: local xlsx ratio at 980,000 rows >= 0.25 (0.25)',
        '- met: local xlsx worker peak RSS at 980,000 rows <= csv’s + 15% (161 MB) (150 MB)',
        '- met: local xlsx peak RSS growth 98,000 -> 980,000 rows <= +10% (+7.1%)',
      ].join('\n'),
    );
    const missed = checkTargets(
      figures({
        exports: [
          anExport({}),
          xlsx({ tenant: 'globex', rows: 98_000, peakRssMb: 120 }),
          xlsx({ serviceRowsPerSecond: 99_000, peakRssMb: 162 }),
        ],
      }),
    ).filter((c) => c.target.includes('xlsx'));
    expect(missed.map((c) => c.met)).toEqual([false, false, false]);
  });

  it('says "not measured" for the phases that did not run, and a refusal that never came is not met', () => {
    const checks = checkTargets(figures({ exports: [], polling: [], revocation: null, concurrency: [] }));
    expect(checks.map((c) => c.met)).toEqual([null, null, null]);
    const never = checkTargets(
      figures({
        revocation: { refusedAfterMs: null, refusalStatus: null, restoredAfterMs: null, probes: 3 },
      }),
    );
    expect(never.find((c) => c.target.startsWith('revoked'))).toMatchObject({
      met: false,
      value: 'never refused',
    });
  });
});
