/** The API as the page calls it: every request carries the bearer token; every refusal becomes an ApiError. */

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'expired';

export interface ExportJob {
  id: string;
  source: string;
  format: string;
  status: JobStatus;
  stage: string | null;
  progress: { percent: number; rowsExported: number; totalRows: number | null };
  view: { id: string; name: string } | null;
  columns: { key: string; label: string }[];
  requestedBy: { id: string; email: string };
  requestedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  expiresAt: string | null;
  attempts: number;
  retryOf: string | null;
  file: { name: string; contentType: string; sizeBytes: number; sha256: string; rowCount: number } | null;
  error: { code: string; message: string } | null;
  links: { self: string; download?: string };
}

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface TicketView {
  id: string;
  name: string;
  isSystem: boolean;
  columns: string[];
}

export interface ExportSource {
  key: string;
  formats: string[];
  columns: { key: string; label: string; type: string }[];
  defaultColumns: string[];
}

export const isActive = (job: ExportJob): boolean => job.status === 'queued' || job.status === 'running';

export interface FieldError {
  field: string;
  message: string;
}

/** A refused or failed request: the HTTP status (0 when the service could not be reached) and the problem's code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly retryAfterSeconds: number | null,
    readonly errors: readonly FieldError[] = [],
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

export function retryAfterOf(response: Response): number | null {
  const value = response.headers.get('Retry-After');
  if (value === null) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

export async function errorOf(response: Response): Promise<ApiError> {
  let body: { code?: string; detail?: string; errors?: FieldError[] } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // Not problem+json (a proxy's page): the status says enough.
  }
  return new ApiError(
    response.status,
    body.code ?? `HTTP_${response.status}`,
    body.detail ?? response.statusText,
    retryAfterOf(response),
    body.errors ?? [],
  );
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class Api {
  constructor(
    private readonly token: () => string | null,
    /** Called on every 401: the session is over. */
    private readonly onUnauthorized: () => void,
  ) {}

  /** The raw response of a successful (2xx or 304) request; anything else throws an ApiError. */
  async fetch(path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method: options.method ?? 'GET',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        cache: 'no-store',
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError(0, 'NETWORK', 'The service could not be reached.', null);
    }
    if (response.ok || response.status === 304) return response;
    const error = await errorOf(response);
    if (error.status === 401) this.onUnauthorized();
    throw error;
  }

  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.fetch(path, options);
    return (await response.json()) as T;
  }

  bearer(): Record<string, string> {
    const token = this.token();
    return token ? { Authorization: `Bearer ${token}` } : {};
  }
}
