import { migrateDatabase } from '../../libs/infrastructure/src/persistence/data-source';

/** Runs once before the integration and e2e projects: refuses a non-test database, then migrates it. */
export default async function globalSetup(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/exports_test';
  process.env.DATABASE_URL = url;
  const name = new URL(url).pathname.slice(1);
  if (!name.endsWith('_test')) {
    throw new Error(`Refusing to run tests against database "${name}": its name must end in _test.`);
  }
  await migrateDatabase(url);
}
