import {
  findTokenSubject,
  parseTtl,
  readConfig,
  requireJwtSecret,
  signAccessToken,
} from '@app/infrastructure';
import { Pool } from 'pg';
import { parseArgs, runCli, UsageError } from './cli';
import { localApiUrl, signInLink } from './sign-in-link';

const USAGE = 'usage: npm run token -- <email> [--ttl 1h] [--url]';

runCli('token', async () => {
  const { values, positionals } = parseArgs(process.argv.slice(2), {
    ttl: { type: 'string' },
    url: { type: 'boolean' },
  });
  const [email] = positionals;
  if (!email || positionals.length > 1) throw new UsageError(USAGE);
  const ttl = parseTtl(values.ttl ?? '1h');
  if (ttl === null) throw new UsageError(`--ttl takes a duration such as 90s, 15m, 1h or 7d (${USAGE})`);
  const config = readConfig();
  const secret = requireJwtSecret(config);
  const pool = new Pool({ connectionString: config.databaseUrl, max: 1 });
  try {
    const subject = await findTokenSubject(pool, email);
    if (!subject.found)
      throw new Error(
        subject.reason === 'disabled'
          ? `user ${email} is disabled`
          : `no user with email ${email}; run npm run db:seed first`,
      );
    const token = signAccessToken({ sub: subject.userId, tid: subject.tenantId }, secret, ttl);
    // --url: the reference page's sign-in link for the API this configuration runs (PORT), token in the fragment.
    process.stdout.write(`${values.url ? signInLink(localApiUrl(config), token) : token}\n`);
  } finally {
    await pool.end();
  }
});
