import { type ExportJobDetails } from '@app/application';
import { type Actor, ExportJobStatus } from '@app/domain';
import type { ApiResponse } from '../../http/api-request';
import { ExportJobDto } from '../export-job.dto';
import { etagOf } from '../job-etag';

/** What the hub hands each stream: the job as its actor may read it, or null when it may not (any longer). */
export interface JobWatcher {
  /** Who reads the stream, as last authorized. */
  readonly actor: Actor;
  /** The user read again: its current rights from now on; null (gone, disabled) ends the stream. */
  actAs(actor: Actor | null): void;
  deliver(details: ExportJobDetails | null): void;
  /** Ends the stream (server shutdown). */
  end(): void;
}

/**
 * One open `text/event-stream` response. Each state it is handed becomes one `job` event whose id is the
 * representation's ETag, unless it equals the last one sent (or the client's Last-Event-ID): a state is never sent
 * twice. After a finished job's state the stream ends. A client that reads slowly gets only the newest state once
 * its socket drains, so memory per stream stays at one event.
 */
export class JobEventStream implements JobWatcher {
  private lastId: string | null;
  private pending: { frame: string; last: boolean } | null = null;
  private ended = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private reader: Actor,
    private readonly response: ApiResponse,
    options: { lastEventId: string | null; heartbeatMs: number },
  ) {
    this.lastId = options.lastEventId;
    response.statusCode = 200;
    response.setHeader('Content-Type', 'text/event-stream');
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n', false), options.heartbeatMs);
    response.on('drain', () => this.flushPending());
    response.once('close', () => this.closed());
    // The client may have gone while the job was read: 'close' was emitted already.
    if (response.destroyed || !response.socket || response.socket.destroyed) this.closed();
  }

  get actor(): Actor {
    return this.reader;
  }

  actAs(actor: Actor | null): void {
    if (actor === null) this.end();
    else this.reader = actor;
  }

  /** Called once the stream is over, whoever ended it (the server, the client, a finished job). */
  onClose(listener: () => void): void {
    if (this.ended) listener();
    else this.closeListeners.push(listener);
  }

  deliver(details: ExportJobDetails | null): void {
    if (this.ended) return;
    if (details === null) {
      this.end();
      return;
    }
    const body = ExportJobDto.from(details);
    const id = etagOf(body).slice(1, -1);
    const last = ExportJobStatus.of(body.status).isFinished;
    if (id !== this.lastId) {
      this.lastId = id;
      this.write(`event: job\nid: ${id}\ndata: ${JSON.stringify(body)}\n\n`, last);
    } else if (last && this.pending === null) {
      this.end();
    }
  }

  end(): void {
    if (this.ended) return;
    this.response.end();
    this.closed();
  }

  private write(frame: string, last: boolean): void {
    if (this.ended) return;
    if (this.response.writableNeedDrain) {
      // Keep only the newest event; a heartbeat is pointless while bytes are still queued.
      if (frame.startsWith('event:')) this.pending = { frame, last };
      return;
    }
    if (last) {
      this.response.end(frame);
      this.closed();
    } else this.response.write(frame);
  }

  private flushPending(): void {
    const pending = this.pending;
    this.pending = null;
    if (pending) this.write(pending.frame, pending.last);
  }

  private closed(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
