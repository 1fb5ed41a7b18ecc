import {
  ActorResolver,
  type ExportDownloadView,
  type ExportJobDetails,
  type ExportJobListPage,
  ExportJobReadModel,
  type ExportJobView,
  exportJobView,
} from '@app/application';
import { FixedClock } from '@app/application/testing/api-fakes';
import type { Actor } from '@app/domain';
import { anActor, anExportJob, errorThrownBy } from '@app/domain/testing/export-job.factory';
import type { JobChangeListener } from '@app/infrastructure';
import { EventStreamCapacityError, TooManyEventStreamsError } from './event-stream.errors';
import { JobChangeSource } from './job-change-subscriber';
import { JobEventHub } from './job-event-hub';
import type { JobWatcher } from './job-event-stream';

/** Counts reads; a read can be held open to see what arrives meanwhile. */
class CountingReadModel extends ExportJobReadModel {
  reads = 0;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;

  constructor(public view: ExportJobView) {
    super();
  }
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open();
    this.gate = Promise.resolve();
  }
  async findById(tenantId: string, id: string): Promise<ExportJobView | null> {
    this.reads += 1;
    await this.gate;
    return this.view.tenantId === tenantId && this.view.id === id ? this.view : null;
  }
  list(): Promise<ExportJobListPage> {
    throw new Error('unexpected call: list');
  }
  findDownload(): Promise<ExportDownloadView | null> {
    throw new Error('unexpected call: findDownload');
  }
}

class HandDrivenChanges extends JobChangeSource {
  listener: JobChangeListener | null = null;
  closed = false;
  start(listener: JobChangeListener): Promise<void> {
    this.listener = listener;
    return Promise.resolve();
  }
  close(): void {
    this.closed = true;
  }
}

/** The users as the database has them now; a missing one is gone or disabled. */
class MapActorResolver extends ActorResolver {
  lookups = 0;
  readonly users = new Map<string, Actor>();
  resolve(userId: string, tenantId: string): Promise<Actor | null> {
    this.lookups += 1;
    const actor = this.users.get(userId);
    return Promise.resolve(actor && actor.tenantId === tenantId ? actor : null);
  }
}

class RecordingWatcher implements JobWatcher {
  readonly received: (ExportJobDetails | null)[] = [];
  ended = false;
  private listeners: (() => void)[] = [];
  constructor(public actor: Actor) {}
  actAs(actor: Actor | null): void {
    if (actor === null) this.end();
    else this.actor = actor;
  }
  deliver(details: ExportJobDetails | null): void {
    this.received.push(details);
  }
  end(): void {
    this.ended = true;
    for (const listener of this.listeners.splice(0)) listener();
  }
  onClose(listener: () => void): void {
    this.listeners.push(listener);
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('JobEventHub', () => {
  const owner = anActor();
  const admin = anActor({ isAdmin: true });
  const stranger = anActor();
  const job = anExportJob({ requestedBy: owner, status: 'running' });
  let readModel: CountingReadModel;
  let changes: HandDrivenChanges;
  let actors: MapActorResolver;
  let hubs: JobEventHub[];

  const hubWith = async (
    settings: Partial<{ maxPerUser: number; maxTotal: number; recheckMs: number }> = {},
  ) => {
    const hub = new JobEventHub(
      readModel,
      new FixedClock(new Date('2026-03-02T10:00:00Z')),
      {
        maxPerUser: 5,
        maxTotal: 1000,
        heartbeatMs: 15_000,
        recheckMs: 60_000,
        ...settings,
      },
      changes,
      actors,
    );
    await hub.onModuleInit();
    hubs.push(hub);
    return hub;
  };

  beforeEach(() => {
    readModel = new CountingReadModel(exportJobView(job));
    changes = new HandDrivenChanges();
    actors = new MapActorResolver();
    for (const actor of [owner, admin, stranger]) actors.users.set(actor.userId, actor);
    hubs = [];
  });

  afterEach(() => {
    for (const hub of hubs) hub.onModuleDestroy();
  });

  it('reads a changed job once for all its streams, and hands each the job as its actor may see it', async () => {
    const hub = await hubWith();
    const watchers = [
      ...Array.from({ length: 50 }, () => new RecordingWatcher(owner)),
      new RecordingWatcher(admin),
    ];
    const outsider = new RecordingWatcher(stranger);
    for (const watcher of [...watchers, outsider]) hub.watch(job.id, watcher);
    await settle();
    const readsAfterWatching = readModel.reads;

    changes.listener?.changed({ tenantId: job.tenantId, jobId: job.id });
    await settle();

    expect(readModel.reads - readsAfterWatching).toBe(1);
    for (const watcher of watchers) expect(watcher.received.at(-1)?.job.id).toBe(job.id);
    expect(outsider.received.at(-1)).toBeNull();
  });

  it('folds changes that arrive during a read into one more read', async () => {
    const hub = await hubWith();
    hub.watch(job.id, new RecordingWatcher(owner));
    await settle();
    const before = readModel.reads;

    readModel.hold();
    for (let i = 0; i < 10; i += 1) changes.listener?.changed({ tenantId: job.tenantId, jobId: job.id });
    readModel.release();
    await settle();
    await settle();

    expect(readModel.reads - before).toBe(2);
  });

  it('ignores changes of jobs nobody watches, and of another tenant', async () => {
    const hub = await hubWith();
    hub.watch(job.id, new RecordingWatcher(owner));
    await settle();
    const before = readModel.reads;

    changes.listener?.changed({ tenantId: job.tenantId, jobId: anExportJob().id });
    changes.listener?.changed({ tenantId: 'another-tenant', jobId: job.id });
    await settle();

    expect(readModel.reads).toBe(before);
  });

  it('re-reads watched jobs on its own every recheckMs, and stops once the last stream closed', async () => {
    const hub = await hubWith({ recheckMs: 10 });
    const watcher = new RecordingWatcher(owner);
    hub.watch(job.id, watcher);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(readModel.reads).toBeGreaterThanOrEqual(3);

    watcher.end();
    const after = readModel.reads;
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(readModel.reads).toBe(after);
  });

  it('reads the users again at each re-check: a demoted admin stops seeing the job, a disabled user is cut off', async () => {
    const hub = await hubWith({ recheckMs: 15 });
    const byAdmin = [new RecordingWatcher(admin), new RecordingWatcher(admin)];
    const byOwner = new RecordingWatcher(owner);
    for (const watcher of [...byAdmin, byOwner]) hub.watch(job.id, watcher);
    await settle();
    expect(byAdmin[0].received.at(-1)?.job.id).toBe(job.id);

    actors.users.set(admin.userId, { ...admin, isAdmin: false });
    actors.users.delete(owner.userId);
    const lookups = actors.lookups;
    const reads = readModel.reads;
    for (let waited = 0; !byOwner.ended && waited < 2000; waited += 5)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await settle(); // the re-check's read of the job follows its lookups

    expect(byOwner.ended).toBe(true);
    expect(byAdmin.map((w) => w.received.at(-1))).toEqual([null, null]);
    // One lookup per user and re-check, however many of its streams watch the job.
    expect(actors.lookups - lookups).toBeLessThanOrEqual(2 * (readModel.reads - reads));
  });

  it('re-reads everything it watches when the subscription comes back', async () => {
    const hub = await hubWith();
    hub.watch(job.id, new RecordingWatcher(owner));
    await settle();
    const before = readModel.reads;

    changes.listener?.resubscribed();
    await settle();

    expect(readModel.reads).toBe(before + 1);
  });

  it('bounds streams per user and per process; a released slot is free again', async () => {
    const hub = await hubWith({ maxPerUser: 2, maxTotal: 3 });
    const first = hub.reserve(owner);
    hub.reserve(owner);

    expect(errorThrownBy(() => hub.reserve(owner))).toBeInstanceOf(TooManyEventStreamsError);
    first.release();
    first.release(); // twice is once
    hub.reserve(owner);
    expect(hub.openStreams).toBe(2);
    hub.reserve(admin);
    expect(errorThrownBy(() => hub.reserve(stranger))).toBeInstanceOf(EventStreamCapacityError);
  });

  it('ends every stream and unsubscribes when the module is destroyed', async () => {
    const hub = await hubWith();
    const watchers = [new RecordingWatcher(owner), new RecordingWatcher(admin)];
    for (const watcher of watchers) hub.watch(job.id, watcher);

    hub.onModuleDestroy();

    expect(watchers.map((w) => w.ended)).toEqual([true, true]);
    expect(changes.closed).toBe(true);
  });
});
