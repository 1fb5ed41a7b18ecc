import type { FormatRowCaps } from '@app/domain';

/**
 * The one typed configuration, validated once at start. Nothing else reads the environment: a bad value stops
 * the process with a message naming the variable.
 */
export type AppEnvironment = 'production' | 'development' | 'test' | 'demo';
export type StorageDriver = 'local' | 's3' | 'azure';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
/** EXPORT_PDF_PAGE_SIZE (the pages are landscape). */
export type PdfPageSize = 'a4' | 'letter';

export interface AppConfig {
  readonly environment: AppEnvironment;
  readonly port: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** Null only where no process signs or verifies tokens (migrate, seed); see requireJwtSecret. */
  readonly auth: { readonly jwtSecret: string | null };
  readonly storage: {
    readonly driver: StorageDriver;
    readonly localDir: string;
    readonly s3: {
      readonly endpoint: string | null;
      readonly region: string;
      readonly bucket: string | null;
      readonly accessKeyId: string | null;
      readonly secretAccessKey: string | null;
      readonly forcePathStyle: boolean;
      /**
       * S3_REQUEST_TIMEOUT_MS: the longest one S3 request may wait for its connection, or for the server's answer
       * to go on (socket idle). A stalled S3 then fails the request instead of wedging the attempt forever.
       */
      readonly requestTimeoutMs: number;
    };
    /**
     * Azure Blob Storage: either `connectionString` (AZURE_STORAGE_CONNECTION_STRING, e.g. Azurite's), or `account`
     * with `accountKey` (AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY: the endpoint is then the account's public one).
     */
    readonly azure: {
      readonly connectionString: string | null;
      readonly account: string | null;
      readonly accountKey: string | null;
      readonly container: string | null;
      /** AZURE_REQUEST_TIMEOUT_MS: the longest one try of a request may take before the SDK retries it. */
      readonly requestTimeoutMs: number;
    };
  };
  readonly exports: {
    readonly retentionHours: number;
    /**
     * EXPORT_BATCH_SIZE: the most rows one batch cut from the COPY text carries to the file's encoder, so it bounds
     * the text the engine decodes at once (a COPY chunk of more rows is cut into several batches).
     */
    readonly batchSize: number;
    readonly workerConcurrency: number;
    readonly maxAttempts: number;
    readonly maxActivePerUser: number;
    /** EXPORT_ATTEMPT_TIMEOUT_S: past it an attempt stops and the job fails with EXPORT_JOB.TIMED_OUT. */
    readonly attemptTimeoutSeconds: number;
    /**
     * EXPORT_STALL_AFTER_S: a running job whose exported row count has not changed for this long is taken from its
     * attempt (re-queued, or failed with EXPORT_JOB.WORKER_LOST when no attempt is left). The clock starts at the
     * attempt's first row, so counting and the sort before the first row are not judged by it.
     */
    readonly stallAfterSeconds: number;
    /**
     * The row cap of each capped format, one entry a format (EXPORT_XLSX_MAX_ROWS): over it the API answers 422
     * EXPORT_JOB.TOO_LARGE, or the job fails at `counting` with that code.
     */
    readonly maxRowsByFormat: FormatRowCaps;
    /**
     * EXPORT_XLSX_SHEET_ROWS: the rows of one XLSX sheet, its header included (Excel's limit, 1,048,576, is the
     * default and the most); the rows go on in sheets "Tickets (2)", "Tickets (3)", ... Lowered only by tests.
     */
    readonly xlsxSheetRows: number;
    /** EXPORT_PDF_PAGE_SIZE. */
    readonly pdfPageSize: PdfPageSize;
  };
  /** The live event streams of the API (GET /export-jobs/:id/events). */
  readonly events: {
    /** EVENTS_MAX_STREAMS_PER_USER: open streams one user may hold in one API process; one more is 429. */
    readonly maxStreamsPerUser: number;
    /** EVENTS_MAX_STREAMS: open streams of one API process, all users together; one more is 429. */
    readonly maxStreams: number;
  };
  /** CORS_ORIGINS: the origins (scheme://host[:port]) whose pages may call the API from a browser; none by default. */
  readonly corsOrigins: readonly string[];
  readonly webhooks: {
    /** WEBHOOK_ALLOW_HTTP: endpoints may use http:// (tests, demo); otherwise https only. */
    readonly allowHttp: boolean;
    /** WEBHOOK_ALLOW_PRIVATE: endpoints may resolve to loopback, private, link-local or metadata addresses. */
    readonly allowPrivate: boolean;
    /** WEBHOOK_RETRY_SCALE: multiplies the retry schedule (10 s doubling to 4 h, for 24 h); tests shrink it. */
    readonly retryScale: number;
    /**
     * WEBHOOK_SECRET_KEY, else AUTH_JWT_SECRET: the key material signing secrets are encrypted with at rest (an
     * AES-256-GCM key is derived from it). Null where neither is set; see requireWebhookSecretKey.
     */
    readonly secretKey: string | null;
  };
  readonly mail: {
    /** SMTP_URL (smtp:// or smtps://): null turns `notify: ["email"]` into a 400. */
    readonly smtpUrl: string | null;
    /** MAIL_FROM: the sender of notification mails; required with SMTP_URL. */
    readonly from: string | null;
    /** MAIL_RETRY_DELAY_MS: the first retry of a mail the server refused; doubled for each of up to 8 attempts. */
    readonly retryDelayMs: number;
  };
  /** PUBLIC_BASE_URL: where users reach this service; mails link to `<it>/admin#/jobs/<id>`. */
  readonly publicBaseUrl: string;
  readonly cleanupCron: string;
  /** How often each worker enqueues `queued` jobs that have no live queue entry. */
  readonly reconcileIntervalSeconds: number;
  readonly logLevel: LogLevel;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Used only where AUTH_JWT_SECRET may be omitted (NODE_ENV test or demo); never valid in production. */
export const INSECURE_DEMO_JWT_SECRET = 'insecure-demo-secret-do-not-use-in-production';

/**
 * Secrets that appear in this repository (today's and earlier docker-compose fallbacks, the demo's): anyone with a
 * checkout could sign an admin token with them, so production refuses them whatever their length.
 */
const PUBLISHED_JWT_SECRETS: ReadonlySet<string> = new Set([
  INSECURE_DEMO_JWT_SECRET,
  'change-me-to-a-long-random-secret',
  'change-me',
  'changeme',
  'secret',
]);
/** HS256 keys shorter than the hash's 32 bytes weaken it (RFC 7518 §3.2); production requires at least that. */
const PRODUCTION_JWT_SECRET_BYTES = 32;

/** The most rows a worksheet holds in Excel (and LibreOffice since 7.4), the header row included. */
export const XLSX_MAX_SHEET_ROWS = 1_048_576;

type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new ConfigError(name, `must be a whole number from ${min} to ${max} (got "${raw}")`);
  return Number(raw);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name) ?? fallback;
  if (!(allowed as readonly string[]).includes(raw))
    throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${raw}")`);
  return raw as T;
}

function url(env: Env, name: string, fallback: string, protocols: readonly string[]): string {
  const raw = read(env, name) ?? fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL (got "${raw}")`);
  }
  if (!protocols.includes(parsed.protocol))
    throw new ConfigError(name, `must use ${protocols.join(' or ')} (got "${parsed.protocol}")`);
  return raw;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

/** A comma-separated list of origins, each exactly `scheme://host[:port]` (what a browser sends in Origin). */
function origins(env: Env, name: string): string[] {
  const raw = read(env, name);
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      let origin: string | null = null;
      try {
        const parsed = new URL(item);
        if (parsed.protocol === 'http:' || parsed.protocol === 'https:') origin = parsed.origin;
      } catch {
        origin = null;
      }
      if (origin === null || origin !== item.replace(/\/$/, ''))
        throw new ConfigError(
          name,
          `must list origins such as https://admin.example.com, comma-separated, without paths (got "${item}")`,
        );
      return origin;
    });
}

function decimal(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new ConfigError(name, `must be a number from ${min} to ${max} (got "${raw}")`);
  return Number(raw);
}

const CRON_FIELD = /^[\d*/,-]+$/;

function cron(env: Env, name: string, fallback: string): string {
  const raw = read(env, name) ?? fallback;
  const fields = raw.split(/\s+/);
  if ((fields.length !== 5 && fields.length !== 6) || !fields.every((f) => CRON_FIELD.test(f)))
    throw new ConfigError(name, `must be a cron expression with 5 or 6 numeric fields (got "${raw}")`);
  return raw;
}

/** Keys a connection string may hold (https://learn.microsoft.com/azure/storage/common/storage-configure-connection-string). */
const CONNECTION_STRING_KEYS = new Set([
  'DefaultEndpointsProtocol',
  'AccountName',
  'AccountKey',
  'EndpointSuffix',
  'BlobEndpoint',
  'QueueEndpoint',
  'TableEndpoint',
  'FileEndpoint',
  'SharedAccessSignature',
  'UseDevelopmentStorage',
  'DevelopmentStorageProxyUri',
]);
/** Container names: 3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit. */
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The parts of an Azure Storage connection string (`Key=value;...`), checked for what a blob client needs. */
function connectionString(raw: string): string {
  const name = 'AZURE_STORAGE_CONNECTION_STRING';
  const parts = new Map<string, string>();
  for (const pair of raw.split(';').filter((p) => p.trim() !== '')) {
    const at = pair.indexOf('=');
    const key = at < 0 ? pair.trim() : pair.slice(0, at).trim();
    if (at < 0 || !CONNECTION_STRING_KEYS.has(key))
      throw new ConfigError(name, `holds "${key}", which is not a connection string setting`);
    parts.set(key, pair.slice(at + 1).trim());
  }
  if (parts.get('UseDevelopmentStorage') === 'true') return raw;
  const blobEndpoint = parts.get('BlobEndpoint');
  if (blobEndpoint !== undefined && !/^https?:\/\/[^/]/.test(blobEndpoint))
    throw new ConfigError(name, `has a BlobEndpoint that is not an http(s) URL`);
  if (blobEndpoint === undefined && parts.get('AccountName') === undefined)
    throw new ConfigError(name, 'must name an AccountName or a BlobEndpoint');
  if (parts.has('SharedAccessSignature')) return raw;
  const key = parts.get('AccountKey');
  if (parts.get('AccountName') === undefined || key === undefined)
    throw new ConfigError(name, 'must hold AccountName and AccountKey, or a SharedAccessSignature');
  if (!BASE64.test(key)) throw new ConfigError(name, 'has an AccountKey that is not base64');
  return raw;
}

function azureSettings(env: Env, required: boolean): AppConfig['storage']['azure'] {
  const raw = read(env, 'AZURE_STORAGE_CONNECTION_STRING');
  const account = read(env, 'AZURE_STORAGE_ACCOUNT') ?? null;
  const accountKey = read(env, 'AZURE_STORAGE_KEY') ?? null;
  const container = read(env, 'AZURE_CONTAINER') ?? null;
  if (raw !== undefined && (account !== null || accountKey !== null))
    throw new ConfigError(
      account !== null ? 'AZURE_STORAGE_ACCOUNT' : 'AZURE_STORAGE_KEY',
      'must not be set together with AZURE_STORAGE_CONNECTION_STRING',
    );
  if (account !== null && !/^[a-z0-9]{3,24}$/.test(account))
    throw new ConfigError('AZURE_STORAGE_ACCOUNT', 'must be 3 to 24 lowercase letters and digits');
  if (accountKey !== null && !BASE64.test(accountKey))
    throw new ConfigError('AZURE_STORAGE_KEY', 'must be the base64 account key');
  if (container !== null && !CONTAINER_NAME.test(container))
    throw new ConfigError(
      'AZURE_CONTAINER',
      `must be 3 to 63 lowercase letters, digits and single hyphens (got "${container}")`,
    );
  if (required) {
    if (raw === undefined && account === null)
      throw new ConfigError(
        'AZURE_STORAGE_CONNECTION_STRING',
        'or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY is required when STORAGE_DRIVER=azure',
      );
    if (account !== null && accountKey === null)
      throw new ConfigError('AZURE_STORAGE_KEY', 'is required with AZURE_STORAGE_ACCOUNT');
    if (container === null) throw new ConfigError('AZURE_CONTAINER', 'is required when STORAGE_DRIVER=azure');
  }
  return {
    connectionString: raw === undefined ? null : connectionString(raw),
    account,
    accountKey,
    container,
    requestTimeoutMs: integer(env, 'AZURE_REQUEST_TIMEOUT_MS', 60_000, 1000, 3_600_000),
  };
}

export function loadConfig(env: Env): AppConfig {
  const environment = oneOf<AppEnvironment>(
    env,
    'NODE_ENV',
    ['production', 'development', 'test', 'demo'],
    'development',
  );
  const jwtSecret =
    read(env, 'AUTH_JWT_SECRET') ??
    (environment === 'test' || environment === 'demo' ? INSECURE_DEMO_JWT_SECRET : undefined);
  if (jwtSecret !== undefined && jwtSecret.length < 16)
    throw new ConfigError('AUTH_JWT_SECRET', 'must be at least 16 characters');
  if (environment === 'production' && jwtSecret !== undefined) {
    if (PUBLISHED_JWT_SECRETS.has(jwtSecret))
      throw new ConfigError(
        'AUTH_JWT_SECRET',
        'is a placeholder published in the repository: use a random secret',
      );
    if (Buffer.byteLength(jwtSecret, 'utf8') < PRODUCTION_JWT_SECRET_BYTES)
      throw new ConfigError(
        'AUTH_JWT_SECRET',
        `must be at least ${PRODUCTION_JWT_SECRET_BYTES} bytes under NODE_ENV=production`,
      );
  }
  const driver = oneOf<StorageDriver>(env, 'STORAGE_DRIVER', ['local', 's3', 'azure'], 'local');
  const bucket = read(env, 'S3_BUCKET') ?? null;
  if (driver === 's3' && bucket === null)
    throw new ConfigError('S3_BUCKET', 'is required when STORAGE_DRIVER=s3');
  const endpoint = read(env, 'S3_ENDPOINT');
  const port = integer(env, 'PORT', 3000, 1, 65_535);
  return {
    environment,
    port,
    databaseUrl: url(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/exports', [
      'postgres:',
      'postgresql:',
    ]),
    redisUrl: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    auth: { jwtSecret: jwtSecret ?? null },
    storage: {
      driver,
      localDir: read(env, 'STORAGE_LOCAL_DIR') ?? './var/storage',
      s3: {
        endpoint: endpoint === undefined ? null : url(env, 'S3_ENDPOINT', endpoint, ['http:', 'https:']),
        region: read(env, 'S3_REGION') ?? 'us-east-1',
        bucket,
        accessKeyId: read(env, 'S3_ACCESS_KEY_ID') ?? null,
        secretAccessKey: read(env, 'S3_SECRET_ACCESS_KEY') ?? null,
        forcePathStyle: boolean(env, 'S3_FORCE_PATH_STYLE', endpoint !== undefined),
        requestTimeoutMs: integer(env, 'S3_REQUEST_TIMEOUT_MS', 60_000, 1000, 3_600_000),
      },
      azure: azureSettings(env, driver === 'azure'),
    },
    exports: {
      retentionHours: integer(env, 'EXPORT_RETENTION_HOURS', 72, 1, 24 * 365),
      batchSize: integer(env, 'EXPORT_BATCH_SIZE', 5000, 1, 100_000),
      workerConcurrency: integer(env, 'EXPORT_WORKER_CONCURRENCY', 2, 1, 64),
      maxAttempts: integer(env, 'EXPORT_MAX_ATTEMPTS', 3, 1, 20),
      maxActivePerUser: integer(env, 'EXPORT_MAX_ACTIVE_PER_USER', 3, 1, 1000),
      attemptTimeoutSeconds: integer(env, 'EXPORT_ATTEMPT_TIMEOUT_S', 1800, 1, 7 * 24 * 3600),
      stallAfterSeconds: integer(env, 'EXPORT_STALL_AFTER_S', 300, 5, 24 * 3600),
      maxRowsByFormat: {
        xlsx: integer(env, 'EXPORT_XLSX_MAX_ROWS', 5_000_000, 1, 100_000_000),
        pdf: integer(env, 'EXPORT_PDF_MAX_ROWS', 10_000, 1, 100_000),
      },
      xlsxSheetRows: integer(env, 'EXPORT_XLSX_SHEET_ROWS', XLSX_MAX_SHEET_ROWS, 2, XLSX_MAX_SHEET_ROWS),
      pdfPageSize: oneOf<PdfPageSize>(env, 'EXPORT_PDF_PAGE_SIZE', ['a4', 'letter'], 'a4'),
    },
    events: {
      maxStreamsPerUser: integer(env, 'EVENTS_MAX_STREAMS_PER_USER', 5, 1, 1000),
      maxStreams: integer(env, 'EVENTS_MAX_STREAMS', 1000, 1, 100_000),
    },
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    webhooks: {
      allowHttp: boolean(env, 'WEBHOOK_ALLOW_HTTP', false),
      allowPrivate: boolean(env, 'WEBHOOK_ALLOW_PRIVATE', false),
      retryScale: decimal(env, 'WEBHOOK_RETRY_SCALE', 1, 0.00001, 1),
      secretKey: webhookSecretKey(env, jwtSecret),
    },
    mail: mailSettings(env),
    publicBaseUrl: url(env, 'PUBLIC_BASE_URL', `http://localhost:${port}`, ['http:', 'https:']).replace(
      /\/+$/,
      '',
    ),
    cleanupCron: cron(env, 'CLEANUP_CRON', '0 * * * *'),
    reconcileIntervalSeconds: integer(env, 'EXPORT_RECONCILE_INTERVAL_S', 15, 1, 3600),
    logLevel: oneOf<LogLevel>(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace'], 'info'),
  };
}

const MAILBOX = /^[^\s@<>]+@[^\s@<>]+$/;

function mailSettings(env: Env): AppConfig['mail'] {
  const raw = read(env, 'SMTP_URL');
  const smtp = raw === undefined ? undefined : url(env, 'SMTP_URL', raw, ['smtp:', 'smtps:']);
  const from = read(env, 'MAIL_FROM') ?? null;
  if (smtp !== undefined && from === null) throw new ConfigError('MAIL_FROM', 'is required with SMTP_URL');
  if (from !== null && !MAILBOX.test(from.replace(/^.*<([^>]*)>\s*$/, '$1')))
    throw new ConfigError(
      'MAIL_FROM',
      `must be an e-mail address, optionally "Name <address>" (got "${from}")`,
    );
  return {
    smtpUrl: smtp ?? null,
    from,
    retryDelayMs: integer(env, 'MAIL_RETRY_DELAY_MS', 30_000, 10, 3_600_000),
  };
}

function webhookSecretKey(env: Env, jwtSecret: string | undefined): string | null {
  const own = read(env, 'WEBHOOK_SECRET_KEY');
  if (own !== undefined && own.length < 16)
    throw new ConfigError('WEBHOOK_SECRET_KEY', 'must be at least 16 characters');
  return own ?? jwtSecret ?? null;
}

/** For the processes that store or read webhook signing secrets (the API, the worker): a missing key stops them. */
export function requireWebhookSecretKey(config: AppConfig): string {
  if (config.webhooks.secretKey === null)
    throw new ConfigError(
      'WEBHOOK_SECRET_KEY',
      'is required (or AUTH_JWT_SECRET) outside NODE_ENV=test or demo',
    );
  return config.webhooks.secretKey;
}

/** For processes that sign or verify tokens (the API, `npm run token`): called at start, so a missing secret stops them. */
export function requireJwtSecret(config: AppConfig): string {
  if (config.auth.jwtSecret === null)
    throw new ConfigError('AUTH_JWT_SECRET', 'is required outside NODE_ENV=test or demo');
  return config.auth.jwtSecret;
}

/** The process's configuration; the only place that touches process.env. */
export function readConfig(): AppConfig {
  return loadConfig(process.env);
}
