import type { ExportJob } from './api.js';

interface Sample {
  at: number;
  rows: number;
}

/**
 * Rows per second and the time left, from the rows exported seen over the last 10 s (so a stall shows as a
 * falling rate), or since the job started when there is only one sample.
 */
export class ProgressRate {
  private samples: Sample[] = [];

  update(job: ExportJob, now = Date.now()): { rowsPerSecond: number | null; secondsLeft: number | null } {
    if (job.status === 'completed' && job.file && job.startedAt && job.completedAt) {
      const seconds = (Date.parse(job.completedAt) - Date.parse(job.startedAt)) / 1000;
      return { rowsPerSecond: seconds > 0 ? job.file.rowCount / seconds : null, secondsLeft: 0 };
    }
    if (job.status !== 'running') return { rowsPerSecond: null, secondsLeft: null };
    const rows = job.progress.rowsExported;
    this.samples.push({ at: now, rows });
    this.samples = this.samples.filter((s) => now - s.at <= 10_000);
    const first = this.samples[0];
    let rate: number | null = null;
    if (first && now - first.at >= 500 && rows > first.rows)
      rate = ((rows - first.rows) * 1000) / (now - first.at);
    else if (job.startedAt && rows > 0) {
      const seconds = (now - Date.parse(job.startedAt)) / 1000;
      rate = seconds > 0 ? rows / seconds : null;
    }
    const total = job.progress.totalRows;
    const secondsLeft = rate && total !== null ? Math.max(0, (total - rows) / rate) : null;
    return { rowsPerSecond: rate, secondsLeft };
  }
}

export function durationText(seconds: number): string {
  if (seconds < 1) return 'less than a second';
  // Rounded first, so 59.6 s reads "about 1 min" rather than "about 60 s".
  const whole = Math.round(seconds);
  if (whole < 60) return `about ${whole} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
