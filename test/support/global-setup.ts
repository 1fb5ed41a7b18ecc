import { Client } from 'pg';
import { migrateDatabase } from '../../libs/infrastructure/src/persistence/data-source';

/**
 * Runs before the integration and e2e projects: refuses a non-test database, then recreates it from the
 * migrations, once per jest run, so every run starts from the same empty schema (specs add their own tenants;
 * the engine specs add hundreds of thousands of tickets that would otherwise pile up run after run).
 */
export default async function globalSetup(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/exports_test';
  process.env.DATABASE_URL = url;
  const name = new URL(url).pathname.slice(1);
  if (!name.endsWith('_test') || !/^[A-Za-z0-9_]+$/.test(name)) {
    throw new Error(`Refusing to run tests against database "${name}": its name must end in _test.`);
  }
  if (process.env.EXPORT_TESTS_DATABASE_READY !== name) {
    const maintenance = new URL(url);
    maintenance.pathname = '/postgres';
    const admin = new Client({ connectionString: maintenance.toString() });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    process.env.EXPORT_TESTS_DATABASE_READY = name;
  }
  await migrateDatabase(url);
}
