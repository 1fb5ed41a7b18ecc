import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ActorResolver, Clock, ExportJobReadModel, readableExportJob } from '@app/application';
import type { Actor } from '@app/domain';
import type { JobChange, JobChangeListener } from '@app/infrastructure';
import { JobChangeSource } from './job-change-subscriber';
import { EventStreamSettings } from './event-stream-settings';
import { EventStreamCapacityError, TooManyEventStreamsError } from './event-stream.errors';
import type { JobWatcher } from './job-event-stream';

/** A stream's place under the bounds, taken before the stream opens; release it exactly once. */
export interface StreamSlot {
  readonly actor: Actor;
  release(): void;
}

/** The open streams of one job, and the one read of it that serves them all. */
interface Watch {
  readonly tenantId: string;
  readonly jobId: string;
  readonly watchers: Set<JobWatcher>;
  reading: boolean;
  /** A change arrived while reading: read once more when done. */
  again: boolean;
  /** The re-check is due: read the watchers' users again too (a revoked permission, a disabled user). */
  reauthorize: boolean;
  readonly recheck: NodeJS.Timeout;
}

/**
 * The process's fan-out of job changes to its event streams. One Redis subscription feeds it; a change of a job
 * with open streams is read ONCE (one query, however many streams), then each stream gets the job as its own actor
 * may see it (the same decision as GET). Reads of one job never overlap: changes arriving meanwhile are folded
 * into one more read. Every watched job is also re-read every `recheckMs`, so a publish lost while Redis was away
 * costs a delay, never the terminal state; and every job is re-read when the subscription comes back. The re-check
also reads the streams' users again, so a revoked permission or a disabled user counts within `recheckMs` (one
lookup per user and watched job, not per stream).
 */
@Injectable()
export class JobEventHub implements JobChangeListener, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(JobEventHub.name);
  private readonly watches = new Map<string, Watch>();
  private readonly perUser = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly readModel: ExportJobReadModel,
    private readonly clock: Clock,
    private readonly settings: EventStreamSettings,
    private readonly changes: JobChangeSource,
    private readonly actors: ActorResolver,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.changes.start(this);
  }

  /** Ends every stream before the HTTP server closes (it would wait for them), then unsubscribes. */
  onModuleDestroy(): void {
    for (const watch of [...this.watches.values()]) for (const watcher of [...watch.watchers]) watcher.end();
    this.changes.close();
  }

  /** Open streams of this process (for tests and metrics). */
  get openStreams(): number {
    return this.total;
  }

  reserve(actor: Actor): StreamSlot {
    const key = `${actor.tenantId}:${actor.userId}`;
    const mine = this.perUser.get(key) ?? 0;
    if (mine >= this.settings.maxPerUser) throw new TooManyEventStreamsError(this.settings.maxPerUser);
    if (this.total >= this.settings.maxTotal) throw new EventStreamCapacityError();
    this.perUser.set(key, mine + 1);
    this.total += 1;
    let released = false;
    return {
      actor,
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const left = (this.perUser.get(key) ?? 1) - 1;
        if (left > 0) this.perUser.set(key, left);
        else this.perUser.delete(key);
      },
    };
  }

  /** Starts feeding a stream the job's states (reading it at once); until the stream closes. */
  watch(jobId: string, watcher: JobWatcher & { onClose(listener: () => void): void }): void {
    const key = `${watcher.actor.tenantId}:${jobId}`;
    let watch = this.watches.get(key);
    if (!watch) {
      watch = {
        tenantId: watcher.actor.tenantId,
        jobId,
        watchers: new Set(),
        reading: false,
        again: false,
        reauthorize: false,
        recheck: setInterval(() => this.recheck(key), this.settings.recheckMs),
      };
      this.watches.set(key, watch);
    }
    const watched = watch;
    watched.watchers.add(watcher);
    watcher.onClose(() => {
      watched.watchers.delete(watcher);
      if (watched.watchers.size === 0 && this.watches.get(key) === watched) {
        clearInterval(watched.recheck);
        this.watches.delete(key);
      }
    });
    this.refresh(key);
  }

  changed(change: JobChange): void {
    this.refresh(`${change.tenantId}:${change.jobId}`);
  }

  resubscribed(): void {
    for (const key of this.watches.keys()) this.refresh(key);
  }

  private recheck(key: string): void {
    const watch = this.watches.get(key);
    if (!watch) return;
    watch.reauthorize = true;
    this.refresh(key);
  }

  private refresh(key: string): void {
    const watch = this.watches.get(key);
    if (!watch) return;
    if (watch.reading) {
      watch.again = true;
      return;
    }
    watch.reading = true;
    void this.read(watch);
  }

  private async read(watch: Watch): Promise<void> {
    try {
      do {
        watch.again = false;
        if (watch.reauthorize) {
          watch.reauthorize = false;
          await this.reauthorize(watch);
        }
        const job = await this.readModel.findById(watch.tenantId, watch.jobId);
        const now = this.clock.now();
        for (const watcher of [...watch.watchers])
          watcher.deliver(readableExportJob(job, watcher.actor, now));
      } while (watch.again && watch.watchers.size > 0);
    } catch (error) {
      // PostgreSQL away: the streams stay open; the next change or re-check reads again.
      this.logger.warn(`reading export job ${watch.jobId} for its event streams failed: ${String(error)}`);
    } finally {
      watch.reading = false;
    }
  }

  /** One lookup per user watching this job; a stream whose user is gone or disabled ends. */
  private async reauthorize(watch: Watch): Promise<void> {
    const lookups = new Map<string, Promise<Actor | null>>();
    for (const watcher of [...watch.watchers]) {
      const { userId } = watcher.actor;
      let lookup = lookups.get(userId);
      if (!lookup) {
        lookup = this.actors.resolve(userId, watch.tenantId);
        lookups.set(userId, lookup);
      }
      watcher.actAs(await lookup);
    }
  }
}
