import { migrateDatabase, readConfig } from '@app/infrastructure';
import { runCli } from './cli';

runCli('db:migrate', async () => {
  const { databaseUrl } = readConfig();
  const applied = await migrateDatabase(databaseUrl);
  const where = new URL(databaseUrl);
  process.stdout.write(
    applied.length === 0
      ? `db:migrate: ${where.pathname.slice(1)} is up to date\n`
      : `db:migrate: applied ${applied.join(', ')} to ${where.pathname.slice(1)}\n`,
  );
});
