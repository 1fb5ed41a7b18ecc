import type { ExportJobResource } from '../shared/http-client';
import { bar, barLine, plainLine, ProgressReporter, type ProgressSnapshot } from './progress';

function aJob(overrides: Partial<ExportJobResource> = {}): ExportJobResource {
  return {
    id: '7d1b0a52-2f4e-4a70-9d55-8b7f6a1c2e11',
    status: 'running',
    stage: 'exporting',
    progress: { percent: 42, rowsExported: 84_000, totalRows: 200_000 },
    view: { id: 'v', name: 'All tickets' },
    requestedAt: '2026-11-23T12:15:00.000Z',
    startedAt: '2026-11-23T12:15:00.500Z',
    completedAt: null,
    file: null,
    error: null,
    ...overrides,
  };
}

const SNAPSHOT: ProgressSnapshot = {
  stage: 'exporting',
  percent: 42,
  rows: 84_000,
  totalRows: 200_000,
  seconds: 2,
};

class FakeOutput {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 120,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe('progress rendering', () => {
  it('fills the bar in proportion, clamped to 0..100', () => {
    expect(bar(0, 10)).toBe('[----------]   0%');
    expect(bar(42, 10)).toBe('[####------]  42%');
    expect(bar(100, 10)).toBe('[##########] 100%');
    expect(bar(130, 10)).toBe('[##########] 100%');
  });

  it('shows stage, rows of total, rows/s and seconds', () => {
    expect(plainLine(SNAPSHOT)).toBe('demo: exporting 42% (84,000/200,000 rows, 42,000 rows/s, 2.0 s)');
    expect(barLine(SNAPSHOT, 0)).toBe(
      'demo: exporting  | [##########--------------]  42% 84,000/200,000 rows, 42,000 rows/s, 2.0 s',
    );
  });

  it('does without a total while counting, and shows no rate before the first row', () => {
    expect(plainLine({ ...SNAPSHOT, stage: 'counting', percent: 0, rows: 0, totalRows: null })).toBe(
      'demo: counting 0% (0 rows, 0 rows/s, 2.0 s)',
    );
  });
});

describe('ProgressReporter', () => {
  it('redraws one line in place on a terminal and ends it on finish', () => {
    const out = new FakeOutput(true, 200);
    let now = 1000;
    const reporter = new ProgressReporter(out, 0, () => now);
    reporter.update(aJob());
    now = 2000;
    reporter.update(
      aJob({
        status: 'completed',
        stage: null,
        progress: { percent: 100, rowsExported: 200_000, totalRows: 200_000 },
      }),
    );
    reporter.finish();
    reporter.finish();
    const draws = out.text.split('\r').slice(1);
    expect(draws).toHaveLength(2);
    expect(draws[0]).toMatch(/^demo: exporting .* 42% 84,000\/200,000 rows/);
    expect(draws[0].endsWith('\u001b[K')).toBe(true);
    expect(draws[1]).toMatch(/^demo: completed .*100% 200,000\/200,000 rows/);
    expect(draws[1].endsWith('\u001b[K\n')).toBe(true);
    expect(out.text.match(/\n/g)).toHaveLength(1);
  });

  it('never draws wider than the terminal, so the line cannot wrap', () => {
    const out = new FakeOutput(true, 40);
    const reporter = new ProgressReporter(out, 0, () => 1000);
    reporter.update(aJob());
    reporter.finish();
    expect(out.text).toBe(`\r${'demo: exporting  | [##########------------'.slice(0, 39)}\u001b[K\n`);
  });

  it('takes a terminal that reports 0 columns for a 100-column one', () => {
    const out = new FakeOutput(true, 0);
    const reporter = new ProgressReporter(out, 0, () => 1000);
    reporter.update(aJob());
    reporter.finish();
    expect(out.text).toContain('84,000/200,000 rows, 84,000 rows/s, 1.0 s\u001b[K\n');
  });

  it('writes a plain line per change, without carriage returns or escapes, when the output is not a terminal', () => {
    const out = new FakeOutput(false);
    const reporter = new ProgressReporter(out, 0, () => 4000);
    reporter.update(
      aJob({ status: 'queued', stage: 'queued', progress: { percent: 0, rowsExported: 0, totalRows: null } }),
    );
    reporter.update(aJob());
    reporter.update(aJob({ progress: { percent: 42, rowsExported: 84_000, totalRows: 200_000 } }));
    reporter.finish();
    expect(out.text).toBe(
      'demo: queued 0% (0 rows, 0 rows/s, 4.0 s)\n' +
        'demo: exporting 42% (84,000/200,000 rows, 21,000 rows/s, 4.0 s)\n',
    );
  });
});
