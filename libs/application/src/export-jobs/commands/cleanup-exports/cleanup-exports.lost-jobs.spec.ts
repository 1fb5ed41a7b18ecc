import { ago, captureWarnings, MINUTE, setup, summary } from './testing/cleanup-world';

describe('CleanupExportsHandler', () => {
  captureWarnings();

  describe('lost running jobs', () => {
    it('fails an idle running job without a queue entry with a safe message, audits it and aborts its upload', async () => {
      const { world, journal, queue, run, running } = setup();
      const lost = running(ago(5 * MINUTE));
      const upload = journal.begin(lost, ago(6 * MINUTE));
      const stalled = running(ago(5 * MINUTE));
      queue.entries.add(stalled.id);
      const busy = running(ago(30_000));

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
          details: { code: 'EXPORT_JOB.WORKER_LOST', attempts: 1, cause: 'worker and queue entry gone' },
        },
      ]);
      expect(journal.outcomeOf(upload.uploadId)).toBe('aborted');
      expect(world.props(stalled.id).status).toBe('running');
      expect(world.props(busy.id).status).toBe('running');
      expect(queue.asked.sort()).toEqual([lost.id, stalled.id].sort());
      expect(queue.enqueued).toEqual([]);
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
