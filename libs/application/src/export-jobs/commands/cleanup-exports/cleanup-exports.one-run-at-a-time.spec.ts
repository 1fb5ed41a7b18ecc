import { ago, captureWarnings, HOUR, setup, summary } from './testing/cleanup-world';

describe('CleanupExportsHandler', () => {
  captureWarnings();

  describe('one run at a time', () => {
    it('skips, touching nothing, while another run holds the lock', async () => {
      const { world, store, storage, run, completed } = setup();
      completed(ago(HOUR));
      store.held = true;

      await expect(run()).resolves.toEqual({ ...summary({}), skipped: true });
      expect(storage.objects.size).toBe(1);
      expect(world.jobs.writes).toEqual([]);
      expect(store.pages).toEqual([]);
    });

    it('two runs at once: one does the work, the other is skipped, and a third finds nothing left', async () => {
      const { world, run, completed } = setup();
      const jobs = [completed(ago(HOUR)), completed(ago(HOUR))];

      const results = await Promise.all([run(), run()]);

      expect(results).toEqual(
        expect.arrayContaining([
          summary({ expiredJobs: 2, filesDeleted: 2 }),
          { ...summary({}), skipped: true },
        ]),
      );
      expect(jobs.map((j) => world.props(j.id).status)).toEqual(['expired', 'expired']);
      await expect(run()).resolves.toEqual(summary({}));
      expect(world.jobs.audit).toHaveLength(2);
    });
  });
});
