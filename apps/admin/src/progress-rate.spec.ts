import type { ExportJob } from './api.js';
import { durationText, ProgressRate } from './progress-rate.js';

const START = Date.parse('2026-06-01T10:00:00Z');
const at = (seconds: number): number => START + seconds * 1000;

function aJob(overrides: Partial<ExportJob> = {}): ExportJob {
  return {
    id: '0b9c8f52-54a4-4d43-9a43-6f7c0a0c5f10',
    source: 'tickets',
    format: 'csv',
    status: 'running',
    stage: 'exporting',
    progress: { percent: 0, rowsExported: 0, totalRows: 1000 },
    view: { id: 'v1', name: 'All tickets' },
    columns: [],
    requestedBy: { id: 'u1', email: 'admin@acme.test' },
    requestedAt: new Date(START).toISOString(),
    startedAt: new Date(START).toISOString(),
    completedAt: null,
    expiresAt: null,
    attempts: 1,
    retryOf: null,
    file: null,
    error: null,
    links: { self: '/export-jobs/0b9c8f52-54a4-4d43-9a43-6f7c0a0c5f10' },
    ...overrides,
  };
}

const running = (rowsExported: number, totalRows: number | null = 1000): ExportJob =>
  aJob({ progress: { percent: 0, rowsExported, totalRows } });

describe('ProgressRate', () => {
  it('with one sample, rates the rows since the job started and derives the time left from the total', () => {
    expect(new ProgressRate().update(running(100), at(10))).toEqual({ rowsPerSecond: 10, secondsLeft: 90 });
  });

  it('with samples half a second apart or more, rates the rows between the oldest sample and now', () => {
    const rate = new ProgressRate();
    rate.update(running(300), at(1)); // 300 rows/s since the start
    // 200 rows in the 2 s since the first sample: 100 rows/s, not the 167 since the start.
    expect(rate.update(running(500), at(3))).toEqual({ rowsPerSecond: 100, secondsLeft: 5 });
  });

  it('falls back to the rate since the start while the samples are less than half a second apart', () => {
    const rate = new ProgressRate();
    rate.update(running(100), at(1));
    expect(rate.update(running(120), at(1.2))).toEqual({ rowsPerSecond: 100, secondsLeft: 8.8 });
  });

  it('forgets samples older than 10 s, so a stall shows as a falling rate and a growing time left', () => {
    const rate = new ProgressRate();
    rate.update(running(0), at(0));
    const moving = rate.update(running(500), at(5)); // 100 rows/s in the window
    expect(moving).toEqual({ rowsPerSecond: 100, secondsLeft: 5 });
    // Nothing new for 15 s: the last 10 s hold no other sample, so the rate is the rows since the start.
    const stalled = rate.update(running(500), at(20));
    expect(stalled).toEqual({ rowsPerSecond: 25, secondsLeft: 20 });
  });

  it('has no time left to give without a total, nor a rate before the first row', () => {
    expect(new ProgressRate().update(running(100, null), at(10))).toEqual({
      rowsPerSecond: 10,
      secondsLeft: null,
    });
    expect(new ProgressRate().update(running(0), at(10))).toEqual({ rowsPerSecond: null, secondsLeft: null });
  });

  it('never gives a negative time left (the total was counted before more rows appeared)', () => {
    expect(new ProgressRate().update(running(1200), at(10)).secondsLeft).toBe(0);
  });

  it('rates a completed job over its whole run, from its file, and has no rate for a job that is not running', () => {
    const completed = aJob({
      status: 'completed',
      completedAt: new Date(at(40)).toISOString(),
      file: { name: 'f.csv', contentType: 'text/csv', sizeBytes: 10, sha256: 'x', rowCount: 1000 },
    });
    expect(new ProgressRate().update(completed, at(99))).toEqual({ rowsPerSecond: 25, secondsLeft: 0 });
    const instant = { ...completed, completedAt: completed.startedAt };
    expect(new ProgressRate().update(instant, at(99))).toEqual({ rowsPerSecond: null, secondsLeft: 0 });
    for (const status of ['queued', 'failed', 'cancelled', 'expired'] as const)
      expect(new ProgressRate().update(aJob({ status }), at(10))).toEqual({
        rowsPerSecond: null,
        secondsLeft: null,
      });
  });
});

describe('durationText', () => {
  it.each([
    [0, 'less than a second'],
    [0.4, 'less than a second'],
    [1, 'about 1 s'],
    [42.4, 'about 42 s'],
    [59.4, 'about 59 s'],
    [59.6, 'about 1 min'],
    [89, 'about 1 min'],
    [90, 'about 2 min'],
    [3569, 'about 59 min'],
    [3570, 'about 1 h 0 min'],
    [5400, 'about 1 h 30 min'],
    [10 * 3600 + 125, 'about 10 h 2 min'],
  ])('%p s reads %p', (seconds, text) => {
    expect(durationText(seconds)).toBe(text);
  });
});
