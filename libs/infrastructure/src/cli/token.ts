import { Client } from 'pg';
import { signAccessToken, parseTtl } from '../auth/access-token';
import { readConfig, requireJwtSecret } from '../config/app-config';
import { parseArgs, runCli, UsageError } from './cli';

const USAGE = 'usage: npm run token -- <email> [--ttl 1h]';

runCli('token', async () => {
  const args = parseArgs(process.argv.slice(2), ['ttl'], []);
  const [email] = args.positional;
  if (!email || args.positional.length > 1) throw new UsageError(USAGE);
  const ttlText = args.flags.get('ttl') ?? '1h';
  const ttl = typeof ttlText === 'string' ? parseTtl(ttlText) : null;
  if (ttl === null) throw new UsageError(`--ttl takes a duration such as 90s, 15m, 1h or 7d (${USAGE})`);
  const config = readConfig();
  const secret = requireJwtSecret(config);
  const db = new Client({ connectionString: config.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string; tenant_id: string; disabled_at: Date | null }>(
      'SELECT id, tenant_id, disabled_at FROM users WHERE lower(email) = lower($1)',
      [email],
    );
    if (rows.length === 0) throw new Error(`no user with email ${email}; run npm run db:seed first`);
    if (rows[0].disabled_at) throw new Error(`user ${email} is disabled`);
    process.stdout.write(`${signAccessToken({ sub: rows[0].id, tid: rows[0].tenant_id }, secret, ttl)}\n`);
  } finally {
    await db.end();
  }
});
