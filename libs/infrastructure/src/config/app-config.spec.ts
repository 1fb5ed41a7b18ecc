import {
  ConfigError,
  INSECURE_DEMO_JWT_SECRET,
  loadConfig,
  requireJwtSecret,
  requireWebhookSecretKey,
} from './app-config';

const SECRET = 'a-secret-of-sufficient-length';
/** 32 bytes or more, as production requires. */
const PRODUCTION_SECRET = 'a-production-secret-of-64-hex-chars-0123456789abcdef0123456789ab';

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig({ AUTH_JWT_SECRET: SECRET });

    expect(config).toEqual({
      environment: 'development',
      port: 3000,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/exports',
      redisUrl: 'redis://127.0.0.1:6379',
      auth: { jwtSecret: SECRET },
      storage: {
        driver: 'local',
        localDir: './var/storage',
        s3: {
          endpoint: null,
          region: 'us-east-1',
          bucket: null,
          accessKeyId: null,
          secretAccessKey: null,
          forcePathStyle: false,
          requestTimeoutMs: 60_000,
        },
        azure: {
          connectionString: null,
          account: null,
          accountKey: null,
          container: null,
          requestTimeoutMs: 60_000,
        },
      },
      exports: {
        retentionHours: 72,
        batchSize: 5000,
        workerConcurrency: 2,
        maxAttempts: 3,
        maxActivePerUser: 3,
        attemptTimeoutSeconds: 1800,
        stallAfterSeconds: 300,
        maxRowsByFormat: { xlsx: 5_000_000, pdf: 10_000 },
        xlsxSheetRows: 1_048_576,
        pdfPageSize: 'a4',
      },
      events: { maxStreamsPerUser: 5, maxStreams: 1000 },
      corsOrigins: [],
      webhooks: { allowHttp: false, allowPrivate: false, retryScale: 1, secretKey: SECRET },
      mail: { smtpUrl: null, from: null, retryDelayMs: 30_000 },
      publicBaseUrl: 'http://localhost:3000',
      cleanupCron: '0 * * * *',
      reconcileIntervalSeconds: 15,
      logLevel: 'info',
    });
  });

  it('reads the mail settings: MAIL_FROM goes with SMTP_URL', () => {
    const config = loadConfig({
      AUTH_JWT_SECRET: SECRET,
      SMTP_URL: 'smtps://user:pw@mail.example.com:465',
      MAIL_FROM: 'Exports <exports@example.com>',
      PUBLIC_BASE_URL: 'https://exports.example.com/',
    });
    expect(config.mail).toEqual({
      smtpUrl: 'smtps://user:pw@mail.example.com:465',
      from: 'Exports <exports@example.com>',
      retryDelayMs: 30_000,
    });
    expect(config.publicBaseUrl).toBe('https://exports.example.com');
    expect(() => loadConfig({ AUTH_JWT_SECRET: SECRET, SMTP_URL: 'smtp://mail.example.com' })).toThrow(
      /^Invalid configuration: MAIL_FROM is required with SMTP_URL/,
    );
  });

  it('reads the webhook settings; the secrets key falls back to AUTH_JWT_SECRET', () => {
    const config = loadConfig({
      AUTH_JWT_SECRET: SECRET,
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'yes',
      WEBHOOK_RETRY_SCALE: '0.001',
      WEBHOOK_SECRET_KEY: 'another-key-of-sufficient-length',
    });

    expect(config.webhooks).toEqual({
      allowHttp: true,
      allowPrivate: true,
      retryScale: 0.001,
      secretKey: 'another-key-of-sufficient-length',
    });
    expect(() => requireWebhookSecretKey(loadConfig({}))).toThrow(
      /^Invalid configuration: WEBHOOK_SECRET_KEY /,
    );
    expect(requireWebhookSecretKey(loadConfig({ NODE_ENV: 'test' }))).toBe(INSECURE_DEMO_JWT_SECRET);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/exports'],
    ['DATABASE_URL', 'not a url'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['STORAGE_DRIVER', 'ftp'],
    ['EXPORT_RETENTION_HOURS', '0'],
    ['EXPORT_BATCH_SIZE', '-5'],
    ['EXPORT_WORKER_CONCURRENCY', '2.5'],
    ['EXPORT_MAX_ATTEMPTS', 'many'],
    ['EXPORT_MAX_ACTIVE_PER_USER', '0'],
    ['EXPORT_ATTEMPT_TIMEOUT_S', '0'],
    ['EXPORT_ATTEMPT_TIMEOUT_S', '30s'],
    ['CLEANUP_CRON', 'every hour'],
    ['EXPORT_RECONCILE_INTERVAL_S', '0'],
    ['WEBHOOK_ALLOW_HTTP', 'sometimes'],
    ['WEBHOOK_ALLOW_PRIVATE', 'maybe'],
    ['WEBHOOK_RETRY_SCALE', '0'],
    ['WEBHOOK_RETRY_SCALE', '2'],
    ['WEBHOOK_RETRY_SCALE', 'fast'],
    ['WEBHOOK_SECRET_KEY', 'short'],
    ['SMTP_URL', 'http://mail.example.com'],
    ['MAIL_FROM', 'nobody'],
    ['MAIL_RETRY_DELAY_MS', '5'],
    ['PUBLIC_BASE_URL', 'ftp://exports.example.com'],
    ['EXPORT_RECONCILE_INTERVAL_S', '1.5'],
    ['EXPORT_STALL_AFTER_S', '4'],
    ['EXPORT_STALL_AFTER_S', 'soon'],
    ['EXPORT_XLSX_MAX_ROWS', '0'],
    ['EXPORT_XLSX_MAX_ROWS', '5e6'],
    ['EXPORT_XLSX_SHEET_ROWS', '1'],
    ['EXPORT_XLSX_SHEET_ROWS', '1048577'],
    ['LOG_LEVEL', 'loud'],
    ['S3_FORCE_PATH_STYLE', 'maybe'],
    ['S3_REQUEST_TIMEOUT_MS', '999'],
    ['S3_REQUEST_TIMEOUT_MS', '60s'],
    ['AZURE_REQUEST_TIMEOUT_MS', '10'],
    ['AZURE_CONTAINER', 'Exports'],
    ['AZURE_CONTAINER', 'ex--ports'],
    ['AZURE_CONTAINER', 'ex'],
    ['AZURE_STORAGE_ACCOUNT', 'My-Account'],
    ['AZURE_STORAGE_KEY', 'not base64!'],
    ['AZURE_STORAGE_CONNECTION_STRING', 'AccountName=a;AccountKey=a2V5;Color=blue'],
    ['AZURE_STORAGE_CONNECTION_STRING', 'AccountName=devstoreaccount1'],
    ['AZURE_STORAGE_CONNECTION_STRING', 'AccountName=a;AccountKey=k!y'],
    ['AZURE_STORAGE_CONNECTION_STRING', 'AccountKey=a2V5;BlobEndpoint=ftp://host/a'],
    ['NODE_ENV', 'staging'],
    ['AUTH_JWT_SECRET', 'short'],
    ['EVENTS_MAX_STREAMS_PER_USER', '0'],
    ['EVENTS_MAX_STREAMS', 'lots'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'https://admin.example.com/app'],
    ['CORS_ORIGINS', 'https://ok.example.com,ftp://files.example.com'],
    ['EXPORT_PDF_MAX_ROWS', '0'],
    ['EXPORT_PDF_MAX_ROWS', 'lots'],
    ['EXPORT_PDF_MAX_ROWS', '100001'],
    ['EXPORT_PDF_PAGE_SIZE', 'a3'],
    ['EXPORT_PDF_PAGE_SIZE', 'legal'],
  ])('stops on a bad %s naming the variable', (variable, value) => {
    const load = (): unknown => loadConfig({ AUTH_JWT_SECRET: SECRET, [variable]: value });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });

  it('requires a bucket for the s3 driver', () => {
    expect(() => loadConfig({ STORAGE_DRIVER: 's3' })).toThrow(/S3_BUCKET/);
    expect(
      loadConfig({ STORAGE_DRIVER: 's3', S3_BUCKET: 'exports', S3_ENDPOINT: 'http://127.0.0.1:9000' }).storage
        .s3,
    ).toMatchObject({
      bucket: 'exports',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
    });
  });

  describe('the azure driver', () => {
    const AZURITE =
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;';

    it('takes a connection string, or an account with its key, and a container', () => {
      expect(
        loadConfig({
          STORAGE_DRIVER: 'azure',
          AZURE_STORAGE_CONNECTION_STRING: AZURITE,
          AZURE_CONTAINER: 'exports',
        }).storage.azure,
      ).toEqual({
        connectionString: AZURITE,
        account: null,
        accountKey: null,
        container: 'exports',
        requestTimeoutMs: 60_000,
      });
      expect(
        loadConfig({
          STORAGE_DRIVER: 'azure',
          AZURE_STORAGE_ACCOUNT: 'acme01',
          AZURE_STORAGE_KEY: 'a2V5a2V5',
          AZURE_CONTAINER: 'exports-eu',
          AZURE_REQUEST_TIMEOUT_MS: '5000',
        }).storage.azure,
      ).toEqual({
        connectionString: null,
        account: 'acme01',
        accountKey: 'a2V5a2V5',
        container: 'exports-eu',
        requestTimeoutMs: 5000,
      });
    });

    it.each([
      [{ AZURE_CONTAINER: 'exports' }, 'AZURE_STORAGE_CONNECTION_STRING'],
      [{ AZURE_STORAGE_CONNECTION_STRING: AZURITE }, 'AZURE_CONTAINER'],
      [{ AZURE_STORAGE_ACCOUNT: 'acme01', AZURE_CONTAINER: 'exports' }, 'AZURE_STORAGE_KEY'],
      [
        {
          AZURE_STORAGE_CONNECTION_STRING: AZURITE,
          AZURE_STORAGE_ACCOUNT: 'acme01',
          AZURE_CONTAINER: 'exports',
        },
        'AZURE_STORAGE_ACCOUNT',
      ],
    ])('stops with one line naming the variable: %j', (env, variable) => {
      const load = (): unknown => loadConfig({ STORAGE_DRIVER: 'azure', ...env });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(new RegExp(`^Invalid configuration: ${variable} [^\\n]+$`));
    });

    it('ignores missing Azure settings under another driver', () => {
      expect(loadConfig({ STORAGE_DRIVER: 'local' }).storage.azure.container).toBeNull();
    });
  });

  it('requires AUTH_JWT_SECRET of token users outside test and demo', () => {
    expect(() => requireJwtSecret(loadConfig({}))).toThrow(
      /^Invalid configuration: AUTH_JWT_SECRET is required/,
    );
    expect(() => requireJwtSecret(loadConfig({ NODE_ENV: 'production' }))).toThrow(ConfigError);
    expect(requireJwtSecret(loadConfig({ NODE_ENV: 'test' }))).toBe(INSECURE_DEMO_JWT_SECRET);
    expect(requireJwtSecret(loadConfig({ NODE_ENV: 'demo' }))).toBe(INSECURE_DEMO_JWT_SECRET);
    expect(requireJwtSecret(loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: PRODUCTION_SECRET }))).toBe(
      PRODUCTION_SECRET,
    );
  });

  it('reads the PDF cap and page size', () => {
    const { exports } = loadConfig({
      AUTH_JWT_SECRET: SECRET,
      EXPORT_PDF_MAX_ROWS: '250',
      EXPORT_PDF_PAGE_SIZE: 'letter',
    });
    expect(exports.maxRowsByFormat).toEqual({ xlsx: 5_000_000, pdf: 250 });
    expect(exports.pdfPageSize).toBe('letter');
  });

  it('reads the stall bound of running exports in seconds', () => {
    expect(
      loadConfig({ AUTH_JWT_SECRET: SECRET, EXPORT_STALL_AFTER_S: '45' }).exports.stallAfterSeconds,
    ).toBe(45);
  });

  it('reads the XLSX row cap into the table of caps by format, and the rows of one sheet', () => {
    const { exports } = loadConfig({
      AUTH_JWT_SECRET: SECRET,
      EXPORT_XLSX_MAX_ROWS: '10',
      EXPORT_XLSX_SHEET_ROWS: '25',
    });
    expect(exports.maxRowsByFormat).toEqual({ xlsx: 10, pdf: 10_000 });
    expect(exports.xlsxSheetRows).toBe(25);
  });

  it('reads the S3 request timeout in milliseconds', () => {
    expect(
      loadConfig({ AUTH_JWT_SECRET: SECRET, S3_REQUEST_TIMEOUT_MS: '5000' }).storage.s3.requestTimeoutMs,
    ).toBe(5000);
  });

  it.each([
    ['shorter than 32 bytes', SECRET, /^Invalid configuration: AUTH_JWT_SECRET must be at least 32 bytes/],
    [
      'the old docker-compose fallback',
      'change-me-to-a-long-random-secret',
      /^Invalid configuration: AUTH_JWT_SECRET is a placeholder/,
    ],
    ['the demo secret', INSECURE_DEMO_JWT_SECRET, /^Invalid configuration: AUTH_JWT_SECRET is a placeholder/],
  ])(
    'refuses a secret %s under NODE_ENV=production, in one line naming the variable',
    (_, secret, message) => {
      const load = (): unknown => loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: secret });

      expect(load).toThrow(ConfigError);
      expect(load).toThrow(message);
      expect(() => loadConfig({ NODE_ENV: 'development', AUTH_JWT_SECRET: secret })).not.toThrow();
    },
  );

  it('reads the reconcile interval in seconds', () => {
    expect(
      loadConfig({ AUTH_JWT_SECRET: SECRET, EXPORT_RECONCILE_INTERVAL_S: '60' }).reconcileIntervalSeconds,
    ).toBe(60);
  });

  it('reads the event stream bounds and the CORS origins', () => {
    const config = loadConfig({
      AUTH_JWT_SECRET: SECRET,
      EVENTS_MAX_STREAMS_PER_USER: '2',
      EVENTS_MAX_STREAMS: '50',
      CORS_ORIGINS: ' https://admin.example.com , http://localhost:5173/ ',
    });

    expect(config.events).toEqual({ maxStreamsPerUser: 2, maxStreams: 50 });
    expect(config.corsOrigins).toEqual(['https://admin.example.com', 'http://localhost:5173']);
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, PORT: '  ', LOG_LEVEL: '' })).toMatchObject({
      port: 3000,
      logLevel: 'info',
    });
  });
});
