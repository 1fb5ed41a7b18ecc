import { request as httpRequest, type IncomingHttpHeaders, type ClientRequest } from 'node:http';

/** One parsed server-sent event. */
export interface StreamEvent {
  readonly event: string;
  readonly id: string;
  readonly data: string;
}

export interface OpenedStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body of a refusal (problem+json), once the response ended; '' for a stream. */
  readonly body: () => string;
  /** Events received so far, in order. */
  readonly events: StreamEvent[];
  /** Comment lines received so far (`heartbeat`). */
  readonly comments: string[];
  /** Resolves when the server ended the response. */
  readonly ended: Promise<void>;
  hasEnded(): boolean;
  /** Waits until `events` holds at least `count` events; fails after `timeoutMs` naming what arrived. */
  waitForEvents(count: number, timeoutMs?: number): Promise<StreamEvent[]>;
  waitForComments(count: number, timeoutMs?: number): Promise<string[]>;
  /** Waits for the server to end the stream. */
  waitForEnd(timeoutMs?: number): Promise<void>;
  /** The client goes away. */
  close(): void;
}

/**
 * Opens GET `path` as a browser's fetch would read an event stream (raw HTTP/1.1, no EventSource), parsing the
 * frames as they come; resolves once the status line and headers arrived.
 */
export function openEventStream(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<OpenedStream> {
  return new Promise((resolve, reject) => {
    const events: StreamEvent[] = [];
    const comments: string[] = [];
    let text = '';
    let buffer = '';
    let ended = false;
    let markEnded: () => void = () => undefined;
    const endedPromise = new Promise<void>((done) => {
      markEnded = () => {
        ended = true;
        done();
      };
    });
    const waiters = new Set<() => void>();
    const notify = (): void => {
      for (const waiter of [...waiters]) waiter();
    };
    const parse = (frame: string): void => {
      const fields: Record<string, string> = {};
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) comments.push(line.slice(1).trim());
        else {
          const at = line.indexOf(':');
          if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1).replace(/^ /, '');
        }
      }
      if (fields.data !== undefined)
        events.push({ event: fields.event ?? 'message', id: fields.id ?? '', data: fields.data });
    };
    const request: ClientRequest = httpRequest(new URL(path, baseUrl), { headers }, (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
        notify();
      });
      const finish = (): void => {
        markEnded();
        notify();
      };
      response.on('end', finish);
      response.on('close', finish);
      response.on('error', finish);
      const waitFor = <T>(ready: () => T | null, what: () => string, timeoutMs: number): Promise<T> =>
        new Promise((done, fail) => {
          const check = (): void => {
            const value = ready();
            if (value !== null) {
              clear();
              done(value);
            }
          };
          const timer = setTimeout(() => {
            clear();
            fail(new Error(`${what()} within ${timeoutMs} ms; received so far:\n${text}`));
          }, timeoutMs);
          const clear = (): void => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          check();
        });
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        body: () => text,
        events,
        comments,
        ended: endedPromise,
        hasEnded: () => ended,
        waitForEvents: (count, timeoutMs = 15_000) =>
          waitFor(
            () => (events.length >= count ? events : null),
            () => `expected ${count} events, got ${events.length}${ended ? ' (stream ended)' : ''}`,
            timeoutMs,
          ),
        waitForComments: (count, timeoutMs = 5_000) =>
          waitFor(
            () => (comments.length >= count ? comments : null),
            () => `expected ${count} comments`,
            timeoutMs,
          ),
        waitForEnd: (timeoutMs = 15_000) =>
          waitFor(
            () => (ended ? true : null),
            () => 'expected the server to end the stream',
            timeoutMs,
          ).then(() => undefined),
        close: () => request.destroy(),
      });
    });
    request.on('error', (error) => {
      if (!ended) reject(error);
    });
    request.end();
  });
}
