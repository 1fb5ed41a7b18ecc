import { Client } from 'pg';
import { scratchDatabase, type ScratchDatabase } from '../../../../test/support/database';
import { migrateDatabase } from './data-source';
import { MIGRATIONS } from './migrations';

const TABLES = [
  'audit_events',
  'contacts',
  'export_job_events',
  'export_jobs',
  'export_uploads',
  'mail_notifications',
  'roles',
  'stored_files',
  'teams',
  'tenants',
  'ticket_priorities',
  'ticket_statuses',
  'ticket_views',
  'tickets',
  'user_roles',
  'users',
  'webhook_deliveries',
  'webhook_endpoints',
];

async function tablesOf(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY 1`,
    );
    return rows.map((r) => r.table_name);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  let db: ScratchDatabase;

  beforeEach(() => {
    db = scratchDatabase('migrate');
  });
  afterEach(() => db.drop());

  it('create the missing database and apply every migration to it', async () => {
    const applied = await migrateDatabase(db.url);

    expect(applied).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await tablesOf(db.url)).toEqual(TABLES);
  });

  it('apply nothing the second time', async () => {
    await migrateDatabase(db.url);

    expect(await migrateDatabase(db.url)).toEqual([]);
    expect(await tablesOf(db.url)).toEqual(TABLES);
  });

  it('apply exactly once when two processes migrate at the same moment', async () => {
    const [first, second] = await Promise.all([migrateDatabase(db.url), migrateDatabase(db.url)]);

    expect([...first, ...second]).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await tablesOf(db.url)).toEqual(TABLES);
  });
});
