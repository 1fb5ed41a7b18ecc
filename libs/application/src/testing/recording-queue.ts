import { type ExportJobRef, ExportQueue } from '../ports/export-queue';

/**
 * The one ExportQueue fake of the application specs. It records what was enqueued and which jobs were asked
 * about; a job has a live entry once it was enqueued here or a spec put its id into `entries`. `failing` plays
 * Redis being down: both methods reject.
 */
export class RecordingQueue extends ExportQueue {
  readonly enqueued: ExportJobRef[] = [];
  readonly entries = new Set<string>();
  readonly asked: string[] = [];
  failing = false;

  enqueue(ref: ExportJobRef): Promise<void> {
    if (this.failing) return Promise.reject(new Error('Connection is closed.'));
    this.enqueued.push(ref);
    this.entries.add(ref.jobId);
    return Promise.resolve();
  }

  contains(jobId: string): Promise<boolean> {
    this.asked.push(jobId);
    if (this.failing) return Promise.reject(new Error('Connection is closed.'));
    return Promise.resolve(this.entries.has(jobId));
  }

  isLive(jobId: string): Promise<boolean> {
    return this.contains(jobId);
  }

  requeue(ref: ExportJobRef): Promise<void> {
    return this.enqueue(ref);
  }
}
