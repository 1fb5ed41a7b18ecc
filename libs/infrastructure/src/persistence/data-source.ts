import { DataSource } from 'typeorm';
import type { DataSourceOptions } from 'typeorm';

type PostgresConnectionOptions = Extract<DataSourceOptions, { type: 'postgres' }>;
import { ORM_ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { GuardedPgClient, pgPoolOptions } from './pg-connection';

export function dataSourceOptions(
  databaseUrl: string,
  applicationName = 'export-service',
): PostgresConnectionOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    applicationName,
    entities: ORM_ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    // Every pooled client has an 'error' listener; connect, keepalive and query timeouts end a stalled call.
    extra: pgPoolOptions({ queryTimeout: true }),
  };
}

export function createDataSource(databaseUrl: string, applicationName = 'export-service'): DataSource {
  return new DataSource(dataSourceOptions(databaseUrl, applicationName));
}

function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name))
    throw new Error(`DATABASE_URL names no usable database ("${name}")`);
  return name;
}

/** Creates the database named in the URL when it does not exist yet (connecting to the maintenance database). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const name = databaseName(databaseUrl);
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new GuardedPgClient({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } catch (error) {
      // Another process created it between our check and our CREATE: that is the outcome we wanted. Postgres
      // reports the race as duplicate_database, or as a unique violation on pg_database when both commit at once.
      const code = (error as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw error;
    }
    return true;
  } finally {
    await client.end();
  }
}

/** Arbitrary but fixed: serializes concurrent migrators (an API and a worker starting together). */
const MIGRATION_LOCK_KEY = 4_711_002;

/** Creates the database if missing and applies pending migrations; returns the names it applied. Idempotent. */
export async function migrateDatabase(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const lock = new GuardedPgClient({ connectionString: databaseUrl });
  await lock.connect();
  // A migration may run for long (an index on a big table): no read timeout on its queries.
  const dataSource = new DataSource({
    ...dataSourceOptions(databaseUrl, 'export-service-migrate'),
    extra: pgPoolOptions({ queryTimeout: false }),
  });
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    return applied.map((m) => m.name);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await lock.end();
  }
}
