import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@app/infrastructure';
import { WORKER_NODE_FLAGS } from '../../apps/worker/src/node-flags';
import { argv, loadCompose, ROOT, type Service } from './compose-file';

/**
 * docker-compose.yml, checked without a Docker engine: the file parses as Compose would read it, the services fit
 * together (dependencies, health, one-shots, scaling), and the apps' environment is exactly configuration
 * app-config reads and accepts. The Dockerfile's checks are in dockerfile.spec.ts.
 */
/** Compose specification: top-level keys, service keys and healthcheck keys (compose-spec/schema/compose-spec.json). */
const TOP_LEVEL_KEYS = [
  'version',
  'name',
  'include',
  'services',
  'models',
  'networks',
  'volumes',
  'secrets',
  'configs',
];
const SERVICE_KEYS = [
  'annotations', 'attach', 'blkio_config', 'build', 'cap_add', 'cap_drop', 'cgroup', 'cgroup_parent', 'command',
  'configs', 'container_name', 'cpu_count', 'cpu_percent', 'cpu_period', 'cpu_quota', 'cpu_rt_period',
  'cpu_rt_runtime', 'cpu_shares', 'cpus', 'cpuset', 'credential_spec', 'depends_on', 'deploy', 'develop',
  'device_cgroup_rules', 'devices', 'dns', 'dns_opt', 'dns_search', 'domainname', 'entrypoint', 'env_file',
  'environment', 'expose', 'extends', 'external_links', 'extra_hosts', 'gpus', 'group_add', 'healthcheck',
  'hostname', 'image', 'init', 'ipc', 'isolation', 'label_file', 'labels', 'links', 'logging', 'mac_address',
  'mem_limit', 'mem_reservation', 'mem_swappiness', 'memswap_limit', 'models', 'network_mode', 'networks',
  'oom_kill_disable', 'oom_score_adj', 'pid', 'pids_limit', 'platform', 'ports', 'post_start', 'pre_stop',
  'privileged', 'profiles', 'provider', 'pull_policy', 'pull_refresh_after', 'read_only', 'restart', 'runtime',
  'scale', 'secrets', 'security_opt', 'shm_size', 'stdin_open', 'stop_grace_period', 'stop_signal', 'storage_opt',
  'sysctls', 'tmpfs', 'tty', 'ulimits', 'use_api_socket', 'user', 'userns_mode', 'uts', 'volumes', 'volumes_from',
  'working_dir',
]; // prettier-ignore
const HEALTHCHECK_KEYS = [
  'test',
  'interval',
  'timeout',
  'retries',
  'start_period',
  'start_interval',
  'disable',
];
const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'];
/** The services that run the apps' code, with the environment app-config validates. */
const APP_SERVICES = ['api', 'worker', 'migrate', 'azurite-init'];

/**
 * Compose's interpolation of `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`,
 * `${VAR?message}` and `$$`, in an environment without any of the variables set (a fresh checkout, no .env).
 */
function interpolate(value: string, env: Readonly<Record<string, string>> = {}): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced: string | undefined, op: string | undefined, arg: string | undefined, bare?: string) => {
      if (match === '$$') return '$';
      const name = braced ?? bare ?? '';
      const set = env[name];
      const empty = set === undefined || (op?.startsWith(':') === true && set === '');
      if (!empty) return set;
      if (op === ':-' || op === '-') return arg ?? '';
      if (op === ':?' || op === '?') throw new Error(`${name} must be set: ${arg ?? ''}`);
      return '';
    },
  );
}

/** What the README tells an operator to export before `docker compose up`: a random 32-byte secret. */
const OPERATOR_ENV: Readonly<Record<string, string>> = { AUTH_JWT_SECRET: 'ab'.repeat(32) };

function environmentOf(
  service: Service,
  env: Readonly<Record<string, string>> = OPERATOR_ENV,
): Record<string, string> {
  const raw = service.environment ?? {};
  const pairs: [string, string][] = Array.isArray(raw)
    ? (raw as readonly string[]).map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      })
    : Object.entries(raw as Record<string, string | number | boolean | null>).map(([k, v]) => [
        k,
        String(v ?? ''),
      ]);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v, env)]));
}

function dependenciesOf(service: Service): Record<string, string> {
  const raw = service.depends_on ?? {};
  if (Array.isArray(raw))
    return Object.fromEntries((raw as readonly string[]).map((name) => [name, 'service_started']));
  return Object.fromEntries(
    Object.entries(raw as Record<string, { condition?: string }>).map(([name, d]) => [
      name,
      d.condition ?? '',
    ]),
  );
}

/** Every variable name loadConfig reads from the environment, recorded through a proxy. */
function variablesAppConfigReads(env: Readonly<Record<string, string>>): Set<string> {
  const read = new Set<string>();
  const record = (source: Readonly<Record<string, string>>): void => {
    loadConfig(
      new Proxy(source, {
        get(target, name) {
          if (typeof name === 'string') read.add(name);
          return typeof name === 'string' ? target[name] : undefined;
        },
      }),
    );
  };
  record({});
  record(env);
  return read;
}

function unknownVariables(env: Readonly<Record<string, string>>): string[] {
  const known = variablesAppConfigReads(env);
  return Object.keys(env).filter((name) => !known.has(name));
}

/** A Go duration such as `24h`, `1h30m`, `90m`, `300s`, in seconds. */
function goDurationSeconds(text: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new Error(`not a duration: ${text}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

describe('docker-compose.yml', () => {
  const { compose, errors, warnings } = loadCompose();
  const services = compose.services;

  it('parses as YAML without errors or warnings (merge keys on, duplicate keys refused)', () => {
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(Object.keys(services).length).toBeGreaterThan(0);
    // The `<<: *app` merges took: the app services carry the shared environment.
    for (const name of APP_SERVICES) expect(environmentOf(services[name])).toHaveProperty('DATABASE_URL');
  });

  it('uses only Compose keys, and every service has an image or a build', () => {
    const topLevel = Object.keys(compose).filter((key) => !key.startsWith('x-'));
    expect(topLevel.filter((key) => !TOP_LEVEL_KEYS.includes(key))).toEqual([]);
    for (const [name, service] of Object.entries(services)) {
      expect({ name, unknown: Object.keys(service).filter((key) => !SERVICE_KEYS.includes(key)) }).toEqual({
        name,
        unknown: [],
      });
      expect({ name, imageOrBuild: service.image !== undefined || service.build !== undefined }).toEqual({
        name,
        imageOrBuild: true,
      });
      const healthcheckKeys = Object.keys(service.healthcheck ?? {});
      expect({ name, unknown: healthcheckKeys.filter((k) => !HEALTHCHECK_KEYS.includes(k)) }).toEqual({
        name,
        unknown: [],
      });
    }
  });

  it('gives postgres, redis, minio and the API a healthcheck', () => {
    for (const name of ['postgres', 'redis', 'minio', 'api']) {
      const check = services[name]?.healthcheck;
      expect({ name, test: argv(check?.test).length > 0, disabled: check?.disable === true }).toEqual({
        name,
        test: true,
        disabled: false,
      });
    }
  });

  it('depends only on services that exist, with conditions they can meet', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [target, condition] of Object.entries(dependenciesOf(service))) {
        const dependency = services[target];
        expect({
          name,
          target,
          exists: dependency !== undefined,
          known: CONDITIONS.includes(condition),
        }).toEqual({
          name,
          target,
          exists: true,
          known: true,
        });
        if (condition === 'service_healthy')
          expect({ name, target, healthcheck: argv(dependency.healthcheck?.test).length > 0 }).toEqual({
            name,
            target,
            healthcheck: true,
          });
        if (condition === 'service_completed_successfully')
          // A one-shot: runs a command, is not restarted, serves nothing.
          expect({
            target,
            runs: argv(dependency.command).length + argv(dependency.entrypoint).length > 0,
            restart: dependency.restart ?? 'no',
            ports: dependency.ports ?? [],
            healthcheck: dependency.healthcheck ?? null,
          }).toEqual({ target, runs: true, restart: 'no', ports: [], healthcheck: null });
      }
    }
  });

  it('starts the apps only after the migrations, the database, Redis and the bucket are ready', () => {
    const ready = (name: string, seen = new Set<string>()): Set<string> => {
      for (const [target, condition] of Object.entries(dependenciesOf(services[name]))) {
        if (seen.has(`${target}:${condition}`)) continue;
        seen.add(`${target}:${condition}`);
        ready(target, seen);
      }
      return seen;
    };
    for (const name of ['api', 'worker'])
      expect([...ready(name)]).toEqual(
        expect.arrayContaining([
          'migrate:service_completed_successfully',
          'postgres:service_healthy',
          'redis:service_healthy',
          'minio-init:service_completed_successfully',
        ]),
      );
  });

  it('gives the apps only variables app-config reads, with values it accepts', () => {
    for (const name of APP_SERVICES) {
      const env = environmentOf(services[name]);
      expect({ name, unknown: unknownVariables(env) }).toEqual({ name, unknown: [] });
      expect(() => loadConfig(env)).not.toThrow();
    }
    // The check itself catches a misspelt name.
    const env = environmentOf(services.api);
    expect(unknownVariables({ ...env, S3_BUKET: 'exports' })).toEqual(['S3_BUKET']);
  });

  it('refuses to start the apps without AUTH_JWT_SECRET: no published fallback secret', () => {
    for (const name of APP_SERVICES) {
      expect(() => environmentOf(services[name], {})).toThrow(/^AUTH_JWT_SECRET must be set: .*32 bytes/);
      expect(environmentOf(services[name]).AUTH_JWT_SECRET).toBe(OPERATOR_ENV.AUTH_JWT_SECRET);
    }
    expect(environmentOf(services.api).NODE_ENV).toBe('production');
  });

  it('points the apps at the services of this file, with matching credentials', () => {
    const config = loadConfig(environmentOf(services.api));
    const minio = environmentOf(services.minio);
    expect(new URL(config.databaseUrl).hostname).toBe('postgres');
    expect(new URL(config.databaseUrl).password).toBe(environmentOf(services.postgres).POSTGRES_PASSWORD);
    expect(new URL(config.redisUrl).hostname).toBe('redis');
    expect(config.storage.driver).toBe('s3');
    expect(new URL(config.storage.s3.endpoint ?? '').host).toBe('minio:9000');
    expect(config.storage.s3.accessKeyId).toBe(minio.MINIO_ROOT_USER);
    expect(config.storage.s3.secretAccessKey).toBe(minio.MINIO_ROOT_PASSWORD);
    expect(config.storage.s3.forcePathStyle).toBe(true);
  });

  it("serves the contract's default DATABASE_URL and REDIS_URL when scripts/services.sh starts postgres and redis", () => {
    const defaults = loadConfig({});
    const database = new URL(defaults.databaseUrl);
    const redis = new URL(defaults.redisUrl);
    expect(services.postgres.ports).toContain(`${database.hostname}:${database.port}:5432`);
    expect(services.redis.ports).toContain(`${redis.hostname}:${redis.port}:6379`);
    // The default URL carries no password: the server must not ask for one.
    if (database.password === '')
      expect(environmentOf(services.postgres).POSTGRES_HOST_AUTH_METHOD).toBe('trust');
  });

  it('lets the worker scale: no container_name, hostname or published ports', () => {
    const worker = services.worker;
    expect(worker.container_name).toBeUndefined();
    expect(worker.hostname).toBeUndefined();
    expect(worker.ports ?? []).toEqual([]);
  });

  it('creates the bucket the apps use, and has stale multipart uploads aborted within a day', () => {
    const bucket = loadConfig(environmentOf(services.api)).storage.s3.bucket;
    const minio = environmentOf(services.minio);
    const script = argv(services['minio-init'].entrypoint).join(' ');
    expect(script).toMatch(
      new RegExp(
        `mc alias set local http://minio:9000 ${minio.MINIO_ROOT_USER} ${minio.MINIO_ROOT_PASSWORD}\\b`,
      ),
    );
    expect(script).toMatch(new RegExp(`mc mb --ignore-existing local/${bucket}(\\s|$)`));
    // MinIO's equivalent of an AbortIncompleteMultipartUpload rule (which it does not accept): a server-wide sweep.
    expect(goDurationSeconds(minio.MINIO_API_STALE_UPLOADS_EXPIRY)).toBeLessThanOrEqual(24 * 3600);
    expect(goDurationSeconds(minio.MINIO_API_STALE_UPLOADS_CLEANUP_INTERVAL)).toBeLessThanOrEqual(24 * 3600);
  });

  it('keeps Azurite in the optional azurite profile: the default stack is unchanged, and STORAGE_DRIVER=azure reaches it', () => {
    const profiled = Object.entries(services).filter(([, service]) => service.profiles !== undefined);
    expect(profiled.map(([name, service]) => [name, service.profiles])).toEqual([
      ['azurite', ['azurite']],
      ['azurite-init', ['azurite']],
    ]);
    // Without the profile nothing requires Azurite: the apps' dependency on its one-shot is optional.
    for (const [name, service] of Object.entries(services)) {
      if (service.profiles !== undefined) continue;
      for (const [target, dependency] of Object.entries(service.depends_on ?? {}))
        if (services[target]?.profiles !== undefined)
          expect({ name, target, required: (dependency as { required?: boolean }).required }).toEqual({
            name,
            target,
            required: false,
          });
    }
    expect(loadConfig(environmentOf(services.api)).storage.driver).toBe('s3');

    const azure = loadConfig(
      environmentOf(services.api, { ...OPERATOR_ENV, STORAGE_DRIVER: 'azure' }),
    ).storage;
    expect(azure.driver).toBe('azure');
    const endpoint = /BlobEndpoint=([^;]+)/.exec(azure.azure.connectionString ?? '')?.[1] ?? '';
    const command = argv(services.azurite.command);
    const port = command[command.indexOf('--blobPort') + 1];
    expect(new URL(endpoint).host).toBe(`azurite:${port}`);
    expect(command[command.indexOf('--blobHost') + 1]).toBe('0.0.0.0');
    expect(services.azurite.ports).toContain(`127.0.0.1:${port}:${port}`);
    // The one-shot creates that container, once Azurite answers, with the apps' own configuration.
    const init = services['azurite-init'];
    expect(argv(init.command)).toEqual(['node', 'dist/apps/cli/src/azure-container.js']);
    expect(dependenciesOf(init)).toEqual({ azurite: 'service_healthy' });
    expect(loadConfig(environmentOf(init)).storage.azure).toEqual(azure.azure);
  });

  it('declares every named volume the services mount', () => {
    const named = Object.values(services)
      .flatMap((service) => service.volumes ?? [])
      .map((volume) => volume.split(':')[0])
      .filter((source) => !source.startsWith('.') && !source.startsWith('/'));
    for (const volume of named) expect(Object.keys(compose.volumes ?? {})).toContain(volume);
  });

  it('runs the worker with WORKER_NODE_FLAGS, in its compose command and in npm run start:worker', () => {
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    const worker = 'dist/apps/worker/src/main.js';
    expect(argv(compose.services.worker.command)).toEqual(['node', ...WORKER_NODE_FLAGS, worker]);
    expect(scripts['start:worker']).toContain(`node ${[...WORKER_NODE_FLAGS, worker].join(' ')}`);
  });
});
