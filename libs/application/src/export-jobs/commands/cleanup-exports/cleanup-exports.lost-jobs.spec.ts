import { ago, captureWarnings, MINUTE, setup, summary } from './testing/cleanup-world';

describe('CleanupExportsHandler', () => {
  captureWarnings();

  describe('lost running jobs (the queue reconciler’s rule, for a run without a worker)', () => {
    it('fails an idle running job without a live queue entry and no attempt left with a safe message, audits it and aborts its upload', async () => {
      const { world, journal, queue, run, running } = setup();
      const lost = running(ago(5 * MINUTE), 3);
      const upload = journal.begin(lost, ago(6 * MINUTE));
      const stalled = running(ago(5 * MINUTE), 3);
      queue.entries.add(stalled.id);
      const busy = running(ago(30_000), 3);

      await expect(run()).resolves.toEqual(summary({ lostJobsFailed: 1, uploadsAborted: 1 }));

      expect(world.props(lost.id)).toMatchObject({
        status: 'failed',
        stage: null,
        error: { code: 'EXPORT_JOB.WORKER_LOST', message: 'The export stopped unexpectedly; retry it.' },
      });
      expect(world.jobs.audit).toEqual([
        {
          tenantId: lost.tenantId,
          actorId: null,
          action: 'export.failed',
          jobId: lost.id,
          details: { code: 'EXPORT_JOB.WORKER_LOST', attempts: 3, cause: 'queue entry not live' },
        },
      ]);
      expect(journal.outcomeOf(upload.uploadId)).toBe('aborted');
      expect(world.props(stalled.id).status).toBe('running');
      expect(world.props(busy.id).status).toBe('running');
      expect(queue.asked.sort()).toEqual([lost.id, stalled.id].sort());
      expect(queue.enqueued).toEqual([]);
    });

    it('queues such a job again, with a fresh queue entry, while attempts remain; its upload is left to the next attempt', async () => {
      const { world, journal, queue, run, running } = setup();
      const lost = running(ago(5 * MINUTE), 2);
      const upload = journal.begin(lost, ago(6 * MINUTE));

      await expect(run()).resolves.toEqual(summary({}));

      expect(world.props(lost.id)).toMatchObject({
        status: 'queued',
        stage: 'queued',
        attempts: 2,
        error: null,
      });
      expect(world.jobs.audit).toEqual([]);
      expect(queue.enqueued).toEqual([{ tenantId: lost.tenantId, jobId: lost.id }]);
      expect(journal.outcomeOf(upload.uploadId)).toBeNull();
    });

    it('leaves the job running and counts an error when the queue cannot be asked', async () => {
      const { world, queue, run, running } = setup();
      const job = running(ago(5 * MINUTE));
      queue.failing = true;

      await expect(run()).resolves.toEqual(summary({ errors: 1 }));
      expect(world.props(job.id).status).toBe('running');
      expect(world.jobs.writes).toEqual([]);
    });
  });
});
