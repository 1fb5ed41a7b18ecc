import { type Api, ApiError, errorOf, type ExportJob, isActive, retryAfterOf } from './api.js';

export type Channel = 'stream' | 'polling';

export interface JobWatchHandlers {
  /** Each new representation of the job (the same JSON as GET /export-jobs/:id). */
  job(job: ExportJob, channel: Channel): void;
  /** A refusal or an outage; `final` when watching stopped because of it (401, 404). */
  problem(error: ApiError, final: boolean): void;
}

/** A missing events route, a refused or broken stream: read the job by polling instead. */
class StreamUnavailable extends Error {}

const HEARTBEAT_TIMEOUT_MS = 45_000; // the server sends a heartbeat every 15 s
const DEFAULT_POLL_S = 1;
const OUTAGE_POLL_S = 5;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Follows one job until it is finished or `signal` aborts: first through `GET /export-jobs/:id/events` read with
 * fetch and a stream reader (EventSource cannot send the Authorization header, and the token never goes into a
 * URL), resuming with Last-Event-ID when the connection drops; when the stream is missing or refused, by polling
 * `GET /export-jobs/:id` with If-None-Match at the pace of Retry-After.
 */
export async function watchJob(
  api: Api,
  id: string,
  handlers: JobWatchHandlers,
  signal: AbortSignal,
): Promise<void> {
  let lastEventId: string | null = null;
  let streamDrops = 0;
  let useStream = true;
  let etag: string | null = null;
  const path = `/export-jobs/${encodeURIComponent(id)}`;

  while (!signal.aborted) {
    if (useStream) {
      try {
        const finished = await readStream();
        if (finished) return;
        streamDrops += 1; // closed before a terminal state: resume, then give up on the stream
        if (streamDrops > 3) useStream = false;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
          handlers.problem(error, true);
          return;
        }
        useStream = false;
      }
      continue;
    }
    let waitS: number;
    try {
      const response = await api.fetch(path, { headers: etag ? { 'If-None-Match': etag } : {}, signal });
      waitS = retryAfterOf(response) ?? DEFAULT_POLL_S;
      if (response.status !== 304) {
        etag = response.headers.get('ETag');
        const job = (await response.json()) as ExportJob;
        handlers.job(job, 'polling');
        if (!isActive(job)) return;
      }
    } catch (error) {
      if (signal.aborted) return;
      const apiError = error instanceof ApiError ? error : new ApiError(0, 'NETWORK', String(error), null);
      const final = apiError.status === 401 || apiError.status === 404;
      handlers.problem(apiError, final);
      if (final) return;
      waitS = apiError.retryAfterSeconds ?? OUTAGE_POLL_S;
    }
    await sleep(waitS * 1000, signal);
  }

  /** true when the job reached a terminal state; false when the stream ended before. */
  async function readStream(): Promise<boolean> {
    const headers: Record<string, string> = { Accept: 'text/event-stream', ...api.bearer() };
    if (lastEventId) headers['Last-Event-ID'] = lastEventId;
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    signal.addEventListener('abort', stop);
    let response: Response;
    try {
      response = await fetch(`${path}/events`, { headers, signal: controller.signal, cache: 'no-store' });
    } catch {
      signal.removeEventListener('abort', stop);
      throw new StreamUnavailable('network');
    }
    if (!response.ok) {
      const error = await errorOf(response);
      signal.removeEventListener('abort', stop);
      if (error.status === 401 || (error.status === 404 && error.code !== 'ROUTE.NOT_FOUND')) throw error;
      throw new StreamUnavailable(error.code);
    }
    if (!response.body || !(response.headers.get('Content-Type') ?? '').startsWith('text/event-stream')) {
      controller.abort();
      signal.removeEventListener('abort', stop);
      throw new StreamUnavailable('not an event stream');
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let carry = ''; // a CR at the end of a chunk may be the first half of a CRLF
    let watchdog = setTimeout(stop, HEARTBEAT_TIMEOUT_MS);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return false;
        clearTimeout(watchdog);
        watchdog = setTimeout(stop, HEARTBEAT_TIMEOUT_MS);
        let text = carry + value;
        carry = text.endsWith('\r') ? '\r' : '';
        if (carry) text = text.slice(0, -1);
        buffer += text.replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const job = parseEvent(block);
          if (!job) continue;
          streamDrops = 0;
          handlers.job(job, 'stream');
          if (!isActive(job)) return true;
        }
      }
    } catch {
      if (signal.aborted) return true;
      return false;
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener('abort', stop);
      controller.abort();
    }
  }

  /** One SSE block: `event: job`, `id: <etag>`, `data: <json>` lines; comments (heartbeats) are skipped. */
  function parseEvent(block: string): ExportJob | null {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'id') lastEventId = value;
      else if (field === 'data') data.push(value);
    }
    if (event !== 'job' || data.length === 0) return null;
    return JSON.parse(data.join('\n')) as ExportJob;
  }
}
