import { Logger } from '@nestjs/common';
import { ConcurrentUpdateError, type ExportJob } from '@app/domain';
import type { ExportJobRepository, SaveOptions } from '../../../ports/export-job.repository';
import { errorName } from './error-name';

/** Why an attempt stopped before its end, when it was stopped from outside rather than failing. */
export type StopReason = 'cancelled' | 'superseded' | 'shutdown';

/** How far the attempt is: null until its rows are counted. */
export type ProgressProbe = () => { readonly rowsRead: number; readonly totalRows: number } | null;

/** The running job and its one writer: what a settlement needs to record how the attempt ended. */
export interface JobWriter {
  readonly job: ExportJob;
  save(options?: SaveOptions): Promise<void>;
}

/**
 * The running job's writes during one attempt, and how the attempt learns that it must stop.
 * - Saves are serialized: the ticker and the main flow never write the same job at once.
 * - Every `intervalMs` the ticker writes the progress (its columns only), only when it changed; otherwise it reads
 *   the job back. So the time of the last progress write is the time progress last changed (the stall rule).
 *   A save refused as a concurrent update, or a job read back as no longer this attempt's, means someone else
 *   changed it (a cancel, another attempt, the cleanup): `signal` aborts with the reason.
 * - The worker's shutdown aborts `signal` as well.
 */
export class ProgressReporter implements JobWriter {
  private readonly logger = new Logger(ProgressReporter.name);
  private readonly stopper = new AbortController();
  private saving: Promise<void> = Promise.resolve();
  private ticker: NodeJS.Timeout | null = null;

  constructor(
    private readonly jobs: ExportJobRepository,
    readonly job: ExportJob,
    private readonly intervalMs: number,
    shutdown?: AbortSignal,
  ) {
    if (shutdown?.aborted) this.stopper.abort('shutdown');
    shutdown?.addEventListener('abort', () => this.stopper.abort('shutdown'), { once: true });
  }

  /** Aborted, with a StopReason, when the attempt must stop. */
  get signal(): AbortSignal {
    return this.stopper.signal;
  }

  start(progress: ProgressProbe): void {
    this.stop();
    this.ticker = setInterval(() => void this.tick(progress), this.intervalMs);
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  save(options?: SaveOptions): Promise<void> {
    const next = this.saving.then(() => this.jobs.save(this.job, options));
    this.saving = next.catch(() => undefined);
    return next;
  }

  /** Only the progress columns (serialized with `save`): the stall rule reads when they last changed. */
  private saveProgress(): Promise<void> {
    const next = this.saving.then(() => this.jobs.saveProgress(this.job));
    this.saving = next.catch(() => undefined);
    return next;
  }

  throwIfStopped(): void {
    if (this.signal.aborted) throw new Error(`attempt stopped: ${String(this.signal.reason)}`);
  }

  /** Why the attempt stopped, if `error` comes from a stop rather than a failure (null for a failure). */
  async stopReason(error: unknown): Promise<StopReason | null> {
    if (this.signal.aborted) return this.signal.reason as StopReason;
    if (error instanceof ConcurrentUpdateError) return (await this.whoChanged()) ?? 'superseded';
    return null;
  }

  private async tick(progress: ProgressProbe): Promise<void> {
    if (this.signal.aborted || this.job.toSnapshot().status !== 'running') return;
    try {
      const reason = await this.check(progress());
      if (reason && !this.signal.aborted) this.stopper.abort(reason);
    } catch (error) {
      this.logger.warn({ jobId: this.job.id, err: errorName(error) }, 'could not write progress');
    }
  }

  private async check(progress: ReturnType<ProgressProbe>): Promise<StopReason | null> {
    if (progress === null || progress.rowsRead === this.job.toSnapshot().progress.rowsExported)
      return this.whoChanged();
    this.job.reportProgress(progress.rowsRead, progress.totalRows);
    try {
      await this.saveProgress();
      return null;
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) return (await this.whoChanged()) ?? 'superseded';
      throw error;
    }
  }

  /** What the stored job says: null while it is still this attempt's. */
  private async whoChanged(): Promise<StopReason | null> {
    const mine = this.job.toSnapshot();
    const stored = (await this.jobs.findById(mine.tenantId, mine.id))?.toSnapshot();
    if (stored?.status === 'cancelled') return 'cancelled';
    if (stored?.status === 'running' && stored.attempts === mine.attempts) return null;
    return 'superseded';
  }
}
