import { Logger } from '@nestjs/common';
import type { CommandBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ReconcileExportQueueCommand, type ReconcileSummary } from '@app/application';
import { loadConfig } from '@app/infrastructure';
import { EXPORT_QUEUE_RECONCILE_INTERVAL, ExportQueueReconciler } from './export-queue.reconciler';

/** Records the commands it is given and answers with `result`. */
class FakeCommandBus {
  readonly executed: unknown[] = [];
  result: () => Promise<ReconcileSummary> = () =>
    Promise.resolve({ checked: 3, enqueued: 2, runningChecked: 0, requeued: 0, failed: 0 });

  execute(command: unknown): Promise<ReconcileSummary> {
    this.executed.push(command);
    return this.result();
  }
}

function setup(env: Record<string, string> = {}) {
  const bus = new FakeCommandBus();
  const scheduler = new SchedulerRegistry();
  const reconciler = new ExportQueueReconciler(bus as unknown as CommandBus, scheduler, loadConfig(env));
  return { bus, scheduler, reconciler };
}

describe('ExportQueueReconciler', () => {
  let logged: string[];

  beforeEach(() => {
    logged = [];
    for (const level of ['log', 'warn', 'error'] as const)
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
        logged.push(`${level} ${JSON.stringify(args)}`);
      });
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('dispatches the command every EXPORT_RECONCILE_INTERVAL_S from bootstrap and logs what it enqueued', async () => {
    jest.useFakeTimers();
    const { bus, scheduler, reconciler } = setup({ EXPORT_RECONCILE_INTERVAL_S: '30' });

    reconciler.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(29_999);
    expect(bus.executed).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(bus.executed).toEqual([expect.any(ReconcileExportQueueCommand)]);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(bus.executed).toHaveLength(2);
    expect(logged).toEqual([
      expect.stringMatching(/^warn .*"enqueued":2.*enqueued queued jobs that had no queue entry/),
      expect.stringMatching(/^warn .*"enqueued":2/),
    ]);

    scheduler.deleteInterval(EXPORT_QUEUE_RECONCILE_INTERVAL);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(bus.executed).toHaveLength(2);
  });

  it('every 15 s by default, quietly when nothing was missing', async () => {
    jest.useFakeTimers();
    const { bus, scheduler, reconciler } = setup();
    bus.result = () =>
      Promise.resolve({ checked: 4, enqueued: 0, runningChecked: 0, requeued: 0, failed: 0 });

    reconciler.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(15_000);

    expect(bus.executed).toHaveLength(1);
    expect(logged).toEqual([]);
    scheduler.deleteInterval(EXPORT_QUEUE_RECONCILE_INTERVAL);
  });

  it('drops a tick while a run is still going', async () => {
    const { bus, reconciler } = setup();
    let release: (summary: ReconcileSummary) => void = () => undefined;
    bus.result = () => new Promise((resolve) => (release = resolve));

    const first = reconciler.reconcile();
    await expect(reconciler.reconcile()).resolves.toBeNull();
    release({ checked: 1, enqueued: 0, runningChecked: 0, requeued: 0, failed: 0 });

    await expect(first).resolves.toEqual({
      checked: 1,
      enqueued: 0,
      runningChecked: 0,
      requeued: 0,
      failed: 0,
    });
    expect(bus.executed).toHaveLength(1);
  });

  it('never rejects: a failed run is logged and the next tick tries again', async () => {
    const { bus, reconciler } = setup();
    bus.result = () => Promise.reject(new Error('Connection is closed.'));

    await expect(reconciler.reconcile()).resolves.toBeNull();
    bus.result = () =>
      Promise.resolve({ checked: 0, enqueued: 0, runningChecked: 0, requeued: 0, failed: 0 });
    await expect(reconciler.reconcile()).resolves.toEqual({
      checked: 0,
      enqueued: 0,
      runningChecked: 0,
      requeued: 0,
      failed: 0,
    });
    expect(logged).toEqual([expect.stringMatching(/^error .*queue reconcile failed/)]);
  });
});
