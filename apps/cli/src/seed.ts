import { migrateDatabase, nastyStrings, readConfig, seedDatabase } from '@app/infrastructure';
import { Pool } from 'pg';
import { parseArgs, runCli, UsageError } from './cli';

const USAGE = 'usage: npm run db:seed -- [--tickets N] [--reset]';

runCli('db:seed', async () => {
  const { values, positionals } = parseArgs(process.argv.slice(2), {
    tickets: { type: 'string' },
    reset: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(USAGE);
  const raw = values.tickets ?? '10000';
  if (!/^\d{1,8}$/.test(raw)) throw new UsageError(`--tickets must be a whole number (${USAGE})`);
  const { databaseUrl } = readConfig();
  await migrateDatabase(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  try {
    const result = await seedDatabase(pool, {
      tickets: Number(raw),
      reset: values.reset === true,
      nastyStrings: nastyStrings(),
    });
    const counts = Object.entries(result.tickets)
      .map(([slug, n]) => `${slug} ${n.toLocaleString('en-US')}`)
      .join(', ');
    process.stdout.write(
      result.seeded
        ? `db:seed: seeded tenants with tickets (${counts}) in ${result.seconds.toFixed(1)} s\n`
        : `db:seed: already seeded (${counts} tickets); pass --reset to re-create\n`,
    );
  } finally {
    await pool.end();
  }
});
