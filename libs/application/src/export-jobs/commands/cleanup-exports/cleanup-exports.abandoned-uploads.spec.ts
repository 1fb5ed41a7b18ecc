import { exportAttemptPrefix } from '@app/domain';
import { anExportedFile, anExportJob } from '@app/domain/testing/export-job.factory';
import { ago, captureWarnings, HOUR, MINUTE, NOW, setup, summary } from './testing/cleanup-world';

describe('CleanupExportsHandler', () => {
  captureWarnings();

  describe('abandoned uploads', () => {
    it('aborts uploads of attempts that are over, after their grace, and journals them aborted', async () => {
      const { world, storage, journal, run, running } = setup();
      const retried = running(NOW, 2);
      const superseded = journal.begin(retried, ago(20 * MINUTE), { attempt: 1 });
      const justSuperseded = journal.begin(retried, ago(5 * MINUTE), { attempt: 1 });
      const live = journal.begin(retried, ago(20 * MINUTE));
      const failed = world.add(anExportJob({ status: 'failed' }), ago(10 * MINUTE));
      const ofFailed = journal.begin(failed, ago(HOUR));
      const otherProvider = journal.begin(failed, ago(HOUR), { provider: 'local' });
      const cancelled = world.add(anExportJob({ status: 'cancelled' }), ago(30_000));
      const justCancelled = journal.begin(cancelled, ago(MINUTE));
      const ancient = journal.begin(running(NOW), ago(25 * HOUR));

      await expect(run()).resolves.toEqual(summary({ uploadsAborted: 3 }));

      const aborted = [superseded, ofFailed, ancient].map((u) => u.uploadId);
      expect(world.log.filter((l) => l.startsWith('abort'))).toEqual(aborted.map((id) => `abort ${id}`));
      for (const id of aborted) expect(journal.outcomeOf(id)).toBe('aborted');
      for (const untouched of [justSuperseded, live, otherProvider, justCancelled])
        expect(journal.outcomeOf(untouched.uploadId)).toBeNull();
      expect(journal.criteria).toEqual({
        provider: storage.provider,
        jobSettledBefore: ago(2 * MINUTE),
        supersededBefore: ago(15 * MINUTE),
        startedBefore: ago(24 * HOUR),
      });
    });

    it('counts an upload storage refuses to abort as an error and leaves it for the next run', async () => {
      const { world, storage, journal, run } = setup();
      const failed = world.add(anExportJob({ status: 'failed' }), ago(HOUR));
      const stuck = journal.begin(failed, ago(HOUR));
      storage.failing.add(stuck.objectKey);

      await expect(run()).resolves.toEqual(summary({ errors: 1 }));
      expect(journal.outcomeOf(stuck.uploadId)).toBeNull();

      storage.failing.clear();
      await expect(run()).resolves.toEqual(summary({ uploadsAborted: 1 }));
      expect(journal.outcomeOf(stuck.uploadId)).toBe('aborted');
    });

    it('keeps the file of the attempt that completed the job, and deletes the object a lost attempt committed', async () => {
      const { world, storage, journal, run } = setup();
      const job = world.add(
        anExportJob({
          status: 'completed',
          attempts: 2,
          file: anExportedFile(),
          expiresAt: new Date(NOW.getTime() + 24 * HOUR),
        }),
      );
      const keyOfAttempt = (attempts: number): string =>
        `${exportAttemptPrefix({ tenantId: job.tenantId, id: job.id, attempts })}file.csv`;
      const lost = journal.begin(job, ago(HOUR), { attempt: 1, objectKey: keyOfAttempt(1) });
      const completing = journal.begin(job, ago(HOUR), { attempt: 2, objectKey: keyOfAttempt(2) });
      storage.objects.add(keyOfAttempt(1));
      storage.objects.add(keyOfAttempt(2));

      await expect(run()).resolves.toEqual(summary({ uploadsAborted: 1 }));

      expect(world.log).toEqual([`delete ${keyOfAttempt(1)}`, `abort ${lost.uploadId}`]);
      expect([...storage.objects]).toEqual([keyOfAttempt(2)]);
      expect(journal.outcomeOf(lost.uploadId)).toBe('aborted');
      expect(journal.outcomeOf(completing.uploadId)).toBe('completed');
    });
  });
});
