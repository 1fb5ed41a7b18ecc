import type { JobState, Queue } from 'bullmq';

/** States of an entry that will still run: BullMQ's waiting (incl. prioritized and waiting-children), delayed, active. */
const LIVE_STATES: ReadonlySet<JobState | 'unknown'> = new Set<JobState | 'unknown'>([
  'waiting',
  'prioritized',
  'waiting-children',
  'delayed',
  'active',
]);

/** Whether the queue holds an entry under `id` that will still run. */
export async function isLiveEntry(queue: Queue, id: string): Promise<boolean> {
  return LIVE_STATES.has(await queue.getJobState(id));
}

/**
 * Adds the entry `id` again when it is not live. A finished entry (kept for inspection) is removed first, since an
 * add under its id would be a no-op; an entry that turned live meanwhile (another worker requeued it) stays as it is,
 * and `add` under the same id is then a no-op.
 */
export async function requeueEntry(queue: Queue, id: string, add: () => Promise<unknown>): Promise<void> {
  const entry = await queue.getJob(id);
  if (entry && !LIVE_STATES.has(await entry.getState())) await entry.remove();
  await add();
}
