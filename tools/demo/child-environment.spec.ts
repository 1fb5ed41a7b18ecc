import { INSECURE_DEMO_JWT_SECRET, loadConfig } from '@app/infrastructure';
import { environmentOf } from './child-environment';

/** The names loadConfig reads from an environment, recorded through a proxy. */
function namesRead(env: Record<string, string>): Set<string> {
  const read = new Set<string>();
  const proxy = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return typeof name === 'string' ? target[name] : undefined;
    },
  });
  loadConfig(proxy);
  return read;
}

const S3_ENV = {
  NODE_ENV: 'production',
  PORT: '3917',
  DATABASE_URL: 'postgres://u:p@db:5432/exports_x',
  REDIS_URL: 'redis://cache:6380/4',
  AUTH_JWT_SECRET: 'a-secret-of-32-characters-at-least',
  STORAGE_DRIVER: 's3',
  STORAGE_LOCAL_DIR: '/srv/files',
  S3_ENDPOINT: 'http://minio:9000',
  S3_REGION: 'eu-west-3',
  S3_BUCKET: 'exports',
  S3_ACCESS_KEY_ID: 'key',
  S3_SECRET_ACCESS_KEY: 'secret',
  S3_FORCE_PATH_STYLE: 'false',
  EXPORT_RETENTION_HOURS: '24',
  EXPORT_BATCH_SIZE: '1000',
  EXPORT_WORKER_CONCURRENCY: '4',
  EXPORT_MAX_ATTEMPTS: '5',
  EXPORT_MAX_ACTIVE_PER_USER: '7',
  CLEANUP_CRON: '*/5 * * * *',
  EXPORT_RECONCILE_INTERVAL_S: '30',
  EVENTS_MAX_STREAMS_PER_USER: '3',
  EVENTS_MAX_STREAMS: '200',
  CORS_ORIGINS: 'https://admin.example.com,http://localhost:5173',
  LOG_LEVEL: 'debug',
  SMTP_URL: 'smtp://mail:25',
  MAIL_FROM: 'exports@example.com',
};

const AZURE_ENV = {
  ...S3_ENV,
  STORAGE_DRIVER: 'azure',
  AZURE_STORAGE_ACCOUNT: 'acme01',
  AZURE_STORAGE_KEY: 'a2V5a2V5',
  AZURE_CONTAINER: 'exports',
  AZURE_REQUEST_TIMEOUT_MS: '9000',
};
const AZURE_CONNECTION_ENV = {
  ...S3_ENV,
  STORAGE_DRIVER: 'azure',
  AZURE_CONTAINER: 'exports',
  AZURE_REQUEST_TIMEOUT_MS: '9000',
  AZURE_STORAGE_CONNECTION_STRING:
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://azurite:10000/devstoreaccount1;',
};

describe('environmentOf', () => {
  it.each([
    ['the defaults', {}],
    ['a test environment (demo secret)', { NODE_ENV: 'test' }],
    ['every variable set', S3_ENV],
    ['the azure driver with an account key', AZURE_ENV],
    ['the azure driver with a connection string', AZURE_CONNECTION_ENV],
  ])('gives back the same configuration through loadConfig: %s', (_, env: Record<string, string>) => {
    const config = loadConfig(env);
    expect(loadConfig(environmentOf(config))).toEqual(config);
  });

  it('writes every variable loadConfig reads, so a new one cannot be forgotten', () => {
    for (const env of [AZURE_ENV, AZURE_CONNECTION_ENV]) {
      const written = Object.keys(environmentOf(loadConfig(env))).sort();
      const alternative = env === AZURE_ENV ? 'AZURE_STORAGE_CONNECTION_STRING' : 'AZURE_STORAGE_ACCOUNT';
      const others = env === AZURE_ENV ? [] : ['AZURE_STORAGE_KEY'];
      // Everything read, except the other way of giving the Azure credentials (exclusive of this one).
      expect(written).toEqual(
        [...namesRead(env)].filter((n) => n !== alternative && !others.includes(n)).sort(),
      );
    }
  });

  it('leaves out what is unset instead of writing empty values', () => {
    const env = environmentOf(loadConfig({}));
    expect(env).not.toHaveProperty('AUTH_JWT_SECRET');
    expect(env).not.toHaveProperty('S3_BUCKET');
    expect(env).not.toHaveProperty('S3_ENDPOINT');
    expect(env).not.toHaveProperty('CORS_ORIGINS');
    expect(Object.values(env)).not.toContain('');
    expect(environmentOf(loadConfig({ NODE_ENV: 'demo' })).AUTH_JWT_SECRET).toBe(INSECURE_DEMO_JWT_SECRET);
  });
});
