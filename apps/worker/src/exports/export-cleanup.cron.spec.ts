import { Logger } from '@nestjs/common';
import type { CommandBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CleanupExportsCommand, type CleanupSummary } from '@app/application';
import { loadConfig } from '@app/infrastructure';
import { EXPORT_CLEANUP_CRON, ExportCleanupCron } from './export-cleanup.cron';

const DONE: CleanupSummary = {
  skipped: false,
  expiredJobs: 2,
  filesDeleted: 2,
  uploadsAborted: 1,
  lostJobsFailed: 0,
  errors: 0,
};

/** Records the commands it is given and answers with `result`. */
class FakeCommandBus {
  readonly executed: unknown[] = [];
  result: () => Promise<CleanupSummary> = () => Promise.resolve(DONE);

  execute(command: unknown): Promise<CleanupSummary> {
    this.executed.push(command);
    return this.result();
  }
}

function setup(cleanupCron: string) {
  const bus = new FakeCommandBus();
  const scheduler = new SchedulerRegistry();
  const cron = new ExportCleanupCron(
    bus as unknown as CommandBus,
    scheduler,
    loadConfig({ CLEANUP_CRON: cleanupCron }),
  );
  return { bus, scheduler, cron };
}

describe('ExportCleanupCron', () => {
  let logged: string[];
  let scheduler: SchedulerRegistry | undefined;

  beforeEach(() => {
    logged = [];
    for (const level of ['log', 'warn', 'error'] as const)
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
        logged.push(`${level} ${JSON.stringify(args)}`);
      });
  });
  afterEach(() => {
    if (scheduler?.doesExist('cron', EXPORT_CLEANUP_CRON)) scheduler.deleteCronJob(EXPORT_CLEANUP_CRON);
    jest.restoreAllMocks();
  });

  it('schedules the cleanup on CLEANUP_CRON at bootstrap; a tick dispatches the command and logs the summary', async () => {
    const started = setup('15 */2 * * *');
    scheduler = started.scheduler;

    started.cron.onApplicationBootstrap();

    const job = started.scheduler.getCronJob(EXPORT_CLEANUP_CRON);
    expect(job.isActive).toBe(true);
    expect(job.cronTime.source).toBe('15 */2 * * *');
    const next = job.nextDate().toJSDate();
    expect([next.getMinutes(), next.getHours() % 2]).toEqual([15, 0]);

    await job.fireOnTick();

    expect(started.bus.executed).toEqual([expect.any(CleanupExportsCommand)]);
    expect(logged).toEqual([expect.stringMatching(/^log .*"expiredJobs":2.*retention cleanup finished/)]);
  });

  it('logs a skipped run and a run with errors for what they are', async () => {
    const { bus, cron } = setup('0 * * * *');
    bus.result = () =>
      Promise.resolve({ ...DONE, skipped: true, expiredJobs: 0, filesDeleted: 0, uploadsAborted: 0 });
    await cron.cleanup();
    bus.result = () => Promise.resolve({ ...DONE, errors: 1 });
    await cron.cleanup();

    expect(logged).toEqual([
      expect.stringMatching(/^log .*skipped: another process is running it/),
      expect.stringMatching(/^warn .*"errors":1.*finished with errors/),
    ]);
  });

  it('never rejects: a failed run is logged and the schedule goes on', async () => {
    const { bus, cron } = setup('0 * * * *');
    bus.result = () => Promise.reject(new Error('connection terminated'));

    await expect(cron.cleanup()).resolves.toBeNull();
    expect(logged).toEqual([expect.stringMatching(/^error .*retention cleanup failed/)]);
  });
});
