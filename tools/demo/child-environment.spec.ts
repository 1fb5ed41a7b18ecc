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
  LOG_LEVEL: 'debug',
  SMTP_URL: 'smtp://mail:25',
  MAIL_FROM: 'exports@example.com',
};

describe('environmentOf', () => {
  it.each([
    ['the defaults', {}],
    ['a test environment (demo secret)', { NODE_ENV: 'test' }],
    ['every variable set', S3_ENV],
  ])('gives back the same configuration through loadConfig: %s', (_, env: Record<string, string>) => {
    const config = loadConfig(env);
    expect(loadConfig(environmentOf(config))).toEqual(config);
  });

  it('writes every variable loadConfig reads, so a new one cannot be forgotten', () => {
    const written = Object.keys(environmentOf(loadConfig(S3_ENV))).sort();
    expect(written).toEqual([...namesRead(S3_ENV)].sort());
  });

  it('leaves out what is unset instead of writing empty values', () => {
    const env = environmentOf(loadConfig({}));
    expect(env).not.toHaveProperty('AUTH_JWT_SECRET');
    expect(env).not.toHaveProperty('S3_BUCKET');
    expect(env).not.toHaveProperty('S3_ENDPOINT');
    expect(Object.values(env)).not.toContain('');
    expect(environmentOf(loadConfig({ NODE_ENV: 'demo' })).AUTH_JWT_SECRET).toBe(INSECURE_DEMO_JWT_SECRET);
  });
});
