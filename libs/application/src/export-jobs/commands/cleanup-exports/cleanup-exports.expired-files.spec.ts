import { type ExportJob } from '@app/domain';
import { ago, captureWarnings, HOUR, keyOf, MINUTE, NOW, setup, summary } from './testing/cleanup-world';

describe('CleanupExportsHandler', () => {
  const warnings = captureWarnings();

  describe('expired files', () => {
    it('deletes the object, then marks the file deleted and the job expired with a system audit row', async () => {
      const { world, storage, run, completed } = setup();
      const expired = completed(ago(MINUTE));
      const dueNow = completed(NOW);
      const current = completed(new Date(NOW.getTime() + HOUR));

      await expect(run()).resolves.toEqual(summary({ expiredJobs: 2, filesDeleted: 2 }));

      expect([...storage.objects]).toEqual([keyOf(current)]);
      expect(world.props(expired.id)).toMatchObject({ status: 'expired', stage: null });
      expect(world.props(dueNow.id).status).toBe('expired');
      expect(world.props(current.id).status).toBe('completed');
      const fileOf = (job: ExportJob) => world.files.get(job.toSnapshot().file?.storedFileId ?? '');
      expect(fileOf(expired)?.deletedAt).toEqual(NOW);
      expect(fileOf(current)?.deletedAt).toBeNull();
      const [first] = [expired, dueNow].sort((a, b) => a.id.localeCompare(b.id));
      expect(world.log.slice(0, 3)).toEqual([
        `delete ${keyOf(first)}`,
        `mark file ${first.toSnapshot().file?.storedFileId}`,
        `save ${first.id} expired`,
      ]);
      expect(world.jobs.audit).toEqual(
        expect.arrayContaining([
          {
            tenantId: expired.tenantId,
            actorId: null,
            action: 'export.expired',
            jobId: expired.id,
            details: { expiresAt: ago(MINUTE).toISOString(), fileDeleted: true },
          },
        ]),
      );
      expect(world.jobs.audit).toHaveLength(2);
    });

    it('leaves a job whose object could not be deleted completed, expires the others, and the next run finishes it', async () => {
      const { world, storage, run, completed } = setup();
      const jobs = [completed(ago(HOUR)), completed(ago(HOUR)), completed(ago(HOUR))];
      const stuck = jobs[1];
      storage.failing.add(keyOf(stuck));

      await expect(run()).resolves.toEqual(summary({ expiredJobs: 2, filesDeleted: 2, errors: 1 }));
      expect(jobs.map((j) => world.props(j.id).status)).toEqual(['expired', 'completed', 'expired']);
      expect(storage.objects.has(keyOf(stuck))).toBe(true);
      expect(world.files.get(stuck.toSnapshot().file?.storedFileId ?? '')?.deletedAt).toBeNull();
      expect(world.jobs.audit.map((a) => a.jobId)).not.toContain(stuck.id);
      expect(warnings.join('\n')).toContain(stuck.id);

      storage.failing.clear();
      await expect(run()).resolves.toEqual(summary({ expiredJobs: 1, filesDeleted: 1 }));
      expect(world.props(stuck.id).status).toBe('expired');
      expect(storage.objects.size).toBe(0);
    });

    it('finishes a job whose object went but whose save lost a race: the next run deletes again (idempotent) and saves', async () => {
      const { world, storage, run, completed } = setup();
      const job = completed(ago(HOUR));
      world.jobs.staleSaves = 1;

      await expect(run()).resolves.toEqual(summary({ filesDeleted: 1, errors: 1 }));
      expect(world.props(job.id).status).toBe('completed');
      expect(storage.objects.size).toBe(0);

      await expect(run()).resolves.toEqual(summary({ expiredJobs: 1 }));
      expect(world.props(job.id).status).toBe('expired');
      expect(world.jobs.audit.map((a) => a.action)).toEqual(['export.expired']);
    });

    it('works in batches of 100 and never hands out a failed item again in the same run', async () => {
      const { world, store, storage, run, completed } = setup();
      const jobs = Array.from({ length: 230 }, () => completed(ago(HOUR)));
      const firstPage = [...jobs].sort((a, b) => a.id.localeCompare(b.id)).slice(0, 100);
      for (const job of firstPage) storage.failing.add(keyOf(job));

      await expect(run()).resolves.toEqual(summary({ expiredJobs: 130, filesDeleted: 130, errors: 100 }));
      expect(store.pages.filter((p) => p.what === 'expired')).toEqual([
        { what: 'expired', limit: 100 },
        { what: 'expired', limit: 100 },
        { what: 'expired', limit: 100 },
      ]);
      expect(jobs.filter((j) => world.props(j.id).status === 'completed')).toHaveLength(100);
    });
  });
});
