import type { ExportJobResource } from '../shared/http-client';

export interface ProgressSnapshot {
  /** The job's stage, or its status when it has none (completed, failed, ...). */
  readonly stage: string;
  readonly percent: number;
  readonly rows: number;
  readonly totalRows: number | null;
  /** Seconds since the export was requested. */
  readonly seconds: number;
}

const BAR_WIDTH = 24;
const SPINNER = ['|', '/', '-', '\\'];

export function snapshotOf(job: ExportJobResource, seconds: number): ProgressSnapshot {
  return {
    stage: job.stage ?? job.status,
    percent: job.progress.percent,
    rows: job.progress.rowsExported,
    totalRows: job.progress.totalRows,
    seconds,
  };
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Rows per second so far; 0 until a row was written. */
export function rowsPerSecond(rows: number, seconds: number): number {
  return rows > 0 && seconds > 0 ? rows / seconds : 0;
}

function figures(s: ProgressSnapshot, rate: number): string {
  const rows =
    s.totalRows === null ? formatCount(s.rows) : `${formatCount(s.rows)}/${formatCount(s.totalRows)}`;
  return `${rows} rows, ${formatCount(rate)} rows/s, ${s.seconds.toFixed(1)} s`;
}

/** `[##########--------------]  42%`: the bar of a terminal. */
export function bar(percent: number, width = BAR_WIDTH): string {
  const clamped = Math.max(0, Math.min(100, percent));
  const filled = Math.round((clamped / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(clamped)).padStart(3)}%`;
}

/** One terminal line: `demo: exporting  / [#####-----]  42% 84,000/200,000 rows, 61,234 rows/s, 1.4 s`. */
export function barLine(s: ProgressSnapshot, tick: number, rate = rowsPerSecond(s.rows, s.seconds)): string {
  return `demo: ${s.stage.padEnd(10)} ${SPINNER[tick % SPINNER.length]} ${bar(s.percent)} ${figures(s, rate)}`;
}

/** One log line, for output that is not a terminal: `demo: exporting 42% (84,000/200,000 rows, ...)`. */
export function plainLine(s: ProgressSnapshot): string {
  return `demo: ${s.stage} ${Math.round(s.percent)}% (${figures(s, rowsPerSecond(s.rows, s.seconds))})`;
}

export interface ProgressOutput {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/**
 * The live progress of one export. On a terminal one line redrawn in place (`\r`), with a spinner and the clock
 * moving between polls; otherwise a plain line each time the job changes.
 */
export class ProgressReporter {
  private last: ProgressSnapshot | null = null;
  private tick = 0;
  private timer: NodeJS.Timeout | null = null;
  private drawn = false;

  constructor(
    private readonly out: ProgressOutput,
    private readonly startedAt: number,
    private readonly now: () => number = () => Date.now(),
  ) {
    if (out.isTTY) {
      this.timer = setInterval(() => this.redraw(), 250);
      this.timer.unref();
    }
  }

  update(job: ExportJobResource): void {
    const previous = this.last;
    this.last = snapshotOf(job, this.elapsed());
    if (this.out.isTTY) this.redraw();
    else if (!previous || previous.stage !== this.last.stage || previous.rows !== this.last.rows)
      this.out.write(`${plainLine(this.last)}\n`);
  }

  /** Ends the line on a terminal, stops the clock. Safe to call twice. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.out.isTTY && this.drawn) this.out.write('\n');
    this.drawn = false;
  }

  private elapsed(): number {
    return (this.now() - this.startedAt) / 1000;
  }

  private redraw(): void {
    if (!this.last) return;
    // Between polls only the clock and the spinner move; rows/s stays what it was at the last poll.
    const rate = rowsPerSecond(this.last.rows, this.last.seconds);
    const line = barLine({ ...this.last, seconds: this.elapsed() }, this.tick++, rate);
    // A terminal of unknown size (0 columns, as under `script`) gets 100.
    const width = Math.max(20, (this.out.columns || 100) - 1);
    this.out.write(`\r${line.slice(0, width)}\x1b[K`);
    this.drawn = true;
  }
}
