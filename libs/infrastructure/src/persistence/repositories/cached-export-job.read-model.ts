import {
  type ExportDownloadView,
  type ExportJobListFilter,
  type ExportJobListPage,
  ExportJobReadModel,
  type ExportJobView,
} from '@app/application';
import type { JobChange } from '../../events/job-change-channel';
import type { JobChangeListener } from '../../events/redis-job-change-subscriber';

export interface ExportJobReadCacheOptions {
  /** The longest a read is served from memory, counted from before it was read: the bound if a change is missed. */
  readonly maxAgeMs: number;
  /** At most this many jobs are held; the oldest read goes first. */
  readonly maxEntries: number;
  /** Milliseconds now (tests drive it). */
  readonly now?: () => number;
}

/** How long a job read serves polls when no change is announced (see CachedExportJobReadModel). */
export const EXPORT_JOB_READ_CACHE: ExportJobReadCacheOptions = { maxAgeMs: 1000, maxEntries: 10_000 };

interface Entry {
  readonly view: ExportJobView;
  /** When the read that produced it started. */
  readonly readAt: number;
}

/**
 * The API's job reads (`findById`, the status poll and each event of a stream) served from memory between changes;
 * lists and downloads always go to the database. Whoever reads, the caller's permissions are decided afresh on
 * every request (ActorResolver is not cached): only the job's state is held.
 *
 * Why a poll never sees a stale job for long: every writer announces a change on the `export-jobs:changed` channel
 * after its commit, and this cache hears it (`changed`) through the API's subscriber.
 * - A read that starts after the commit reads the new state.
 * - A read that started before: if it was stored, `changed` deletes it; if it was still in flight when `changed`
 *   arrived, the generation moved and it is not stored.
 * So a stale state is served only between the commit and the message's arrival (pub/sub latency: milliseconds).
 * Whatever happens to the message (Redis away, a lost publish, a writer that does not announce), no entry is served
 * longer than `maxAgeMs` after its read started; and a re-established subscription clears everything.
 * A job that is not found is not cached.
 */
export class CachedExportJobReadModel extends ExportJobReadModel implements JobChangeListener {
  private readonly entries = new Map<string, Entry>();
  /** Moves on every change heard: a read that saw it move while in flight is not stored. */
  private generation = 0;
  private readonly now: () => number;

  constructor(
    private readonly inner: ExportJobReadModel,
    private readonly options: ExportJobReadCacheOptions = EXPORT_JOB_READ_CACHE,
  ) {
    super();
    this.now = options.now ?? Date.now;
  }

  async findById(tenantId: string, id: string): Promise<ExportJobView | null> {
    const key = `${tenantId}:${id}`;
    const startedAt = this.now();
    const held = this.entries.get(key);
    if (held && startedAt - held.readAt < this.options.maxAgeMs) return held.view;
    if (held) this.entries.delete(key);
    const generation = this.generation;
    const view = await this.inner.findById(tenantId, id);
    if (view !== null && generation === this.generation) this.store(key, { view, readAt: startedAt });
    return view;
  }

  list(tenantId: string, filter: ExportJobListFilter): Promise<ExportJobListPage> {
    return this.inner.list(tenantId, filter);
  }

  findDownload(tenantId: string, jobId: string): Promise<ExportDownloadView | null> {
    return this.inner.findDownload(tenantId, jobId);
  }

  changed(change: JobChange): void {
    this.generation += 1;
    this.entries.delete(`${change.tenantId}:${change.jobId}`);
  }

  /** Changes may have been missed while the subscription was down: forget everything. */
  resubscribed(): void {
    this.generation += 1;
    this.entries.clear();
  }

  /** Jobs held right now (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private store(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, entry);
  }
}
