import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The export service over HTTP, as the admin SPA uses it (CONTRACT §5): what the bench and the demo drive. Only
 * the fields they read are typed.
 */
export type ExportJobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'expired';

export interface ExportJobFile {
  readonly name: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly rowCount: number;
}

export interface ExportJobResource {
  readonly id: string;
  readonly status: ExportJobStatus;
  readonly stage: string | null;
  readonly progress: {
    readonly percent: number;
    readonly rowsExported: number;
    readonly totalRows: number | null;
  };
  readonly view: { readonly id: string; readonly name: string } | null;
  /** ISO 8601 times. */
  readonly requestedAt: string;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
  readonly file: ExportJobFile | null;
  readonly error: { readonly code: string; readonly message: string } | null;
}

export type CompletedExportJob = ExportJobResource & { readonly file: ExportJobFile };

export interface TicketViewResource {
  readonly id: string;
  readonly name: string;
  readonly isSystem: boolean;
}

/** A response other than the one expected; `retryAfterSeconds` from its Retry-After header, when it has one. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterSeconds: number | null,
  ) {
    super(message);
    this.name = 'HttpStatusError';
  }
}

/** A job that ended in another status than completed. */
export class ExportJobEndedError extends Error {
  constructor(readonly job: ExportJobResource) {
    super(`export ${job.id} ended ${job.status}: ${job.error?.message ?? ''}`);
    this.name = 'ExportJobEndedError';
  }
}

export interface ExportEstimateResource {
  readonly rows: number;
  readonly rowsExact: boolean;
  readonly bytes: Readonly<Record<string, number>>;
  readonly seconds: number;
}

export interface WaitOptions {
  /** Poll every this many milliseconds, or as the server's Retry-After says (CONTRACT §5). */
  readonly interval: number | 'retry-after';
  /** Called with each new representation of the job (not for 304 Not Modified). */
  readonly onUpdate?: (job: ExportJobResource) => void;
}

/** Without a Retry-After, or to bound one: seconds between polls. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;
const MAX_RETRY_AFTER_SECONDS = 30;

/** `Retry-After` as seconds (delta-seconds or an HTTP date), or null when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, (at - now) / 1000);
}

export class ExportServiceClient {
  /**
   * @param baseUrl e.g. `http://127.0.0.1:3000`
   * @param token a bearer token (`signAccessToken`, as `npm run token` mints it)
   * @param signal aborts every request and wait of this client
   */
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly signal?: AbortSignal,
  ) {}

  /** GET /ticket-views, every page. */
  async listTicketViews(): Promise<TicketViewResource[]> {
    const views: TicketViewResource[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const response = await this.fetch('GET', `/ticket-views?limit=500${query}`);
      await this.expect(response, [200], 'GET /ticket-views');
      const page = (await response.json()) as { items: TicketViewResource[]; nextCursor?: string | null };
      views.push(...page.items);
      cursor = page.nextCursor ?? null;
    } while (cursor !== null);
    return views;
  }

  /**
   * POST /export-jobs: the new job (202). Anything else is an HttpStatusError. `signal` replaces the client's, for
   * a caller that must learn the id of a job it may have created even when it is giving up.
   */
  async createExportJob(
    body: Readonly<Record<string, unknown>>,
    signal: AbortSignal | undefined = this.signal,
  ): Promise<ExportJobResource> {
    const response = await this.fetch('POST', '/export-jobs', JSON.stringify(body), {}, signal);
    await this.expect(response, [202], 'POST /export-jobs');
    return (await response.json()) as ExportJobResource;
  }

  /** POST /export-jobs/estimate: how big the export of `body` would be (200); creates nothing. */
  async estimateExport(body: Readonly<Record<string, unknown>>): Promise<ExportEstimateResource> {
    const response = await this.fetch('POST', '/export-jobs/estimate', JSON.stringify(body));
    await this.expect(response, [200], 'POST /export-jobs/estimate');
    return (await response.json()) as ExportEstimateResource;
  }

  /**
   * GET /export-jobs/:id with If-None-Match: the job, or null when it has not changed since `etag` (304); the
   * ETag to send next time and the server's polling hint.
   */
  async getExportJob(
    id: string,
    etag: string | null,
  ): Promise<{ job: ExportJobResource | null; etag: string | null; retryAfterSeconds: number | null }> {
    const response = await this.fetch(
      'GET',
      `/export-jobs/${id}`,
      undefined,
      etag ? { 'if-none-match': etag } : {},
    );
    await this.expect(response, [200, 304], `GET /export-jobs/${id}`);
    const job = response.status === 304 ? null : ((await response.json()) as ExportJobResource);
    return {
      job,
      etag: response.headers.get('etag') ?? etag,
      retryAfterSeconds: retryAfterSeconds(response.headers.get('retry-after')),
    };
  }

  /**
   * Polls until the job is completed (resolves with it) or ends otherwise (rejects with ExportJobEndedError).
   * Sends the last ETag each time, so an unchanged job costs a 304.
   */
  async waitForExportJob(id: string, options: WaitOptions): Promise<CompletedExportJob> {
    let etag: string | null = null;
    for (;;) {
      const polled = await this.getExportJob(id, etag);
      etag = polled.etag;
      if (polled.job) {
        options.onUpdate?.(polled.job);
        const { file } = polled.job;
        if (polled.job.status === 'completed' && file) return { ...polled.job, file };
        if (polled.job.status !== 'queued' && polled.job.status !== 'running')
          throw new ExportJobEndedError(polled.job);
      }
      const waitMs =
        options.interval === 'retry-after'
          ? 1000 * Math.min(MAX_RETRY_AFTER_SECONDS, polled.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS)
          : options.interval;
      await sleep(waitMs, undefined, this.signal ? { signal: this.signal } : undefined);
    }
  }

  /** GET /export-jobs/:id/download: the 200 response, its body not read yet. */
  async download(id: string): Promise<Response> {
    const response = await this.fetch('GET', `/export-jobs/${id}/download`);
    await this.expect(response, [200], `GET /export-jobs/${id}/download`);
    return response;
  }

  /** POST /export-jobs/:id/cancel, with its own signal (this client's may be aborted already). */
  async cancelExportJob(id: string, signal: AbortSignal): Promise<void> {
    const response = await fetch(`${this.baseUrl}/export-jobs/${id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}` },
      signal,
    });
    await response.body?.cancel();
  }

  private fetch(
    method: 'GET' | 'POST',
    path: string,
    body?: string,
    headers: Readonly<Record<string, string>> = {},
    signal: AbortSignal | undefined = this.signal,
  ): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body,
      signal,
    });
  }

  private async expect(response: Response, statuses: readonly number[], what: string): Promise<void> {
    if (statuses.includes(response.status)) return;
    throw new HttpStatusError(
      response.status,
      `${what} answered ${response.status}: ${await response.text()}`,
      retryAfterSeconds(response.headers.get('retry-after')),
    );
  }
}
