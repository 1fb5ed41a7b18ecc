import { ACME, findTokenSubject, migrateDatabase, nastyStrings, seedDatabase } from '@app/infrastructure';
import { Pool } from 'pg';
import { connectionErrorCode, DemoFailure, redactUrl } from './failure';

export function databaseName(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
}

/** `npm run db:migrate`: creates the database when missing and applies what is pending. */
export async function migrate(databaseUrl: string): Promise<string[]> {
  try {
    return await migrateDatabase(databaseUrl);
  } catch (error) {
    const code = connectionErrorCode(error);
    if (code)
      throw new DemoFailure(
        `PostgreSQL does not answer at ${redactUrl(databaseUrl)} (${code}): run npm run services, or set DATABASE_URL`,
      );
    throw new DemoFailure(
      `could not migrate ${databaseName(databaseUrl)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export interface SeedOutcome {
  readonly action: 'seeded' | 'kept' | 'reseeded';
  /** Tickets per tenant slug, now. */
  readonly tickets: Readonly<Record<string, number>>;
  /** Acme's tickets before a reseed. */
  readonly previous: number | null;
  readonly seconds: number;
}

/**
 * `npm run db:seed -- --tickets N`, idempotent: a database seeded with N tickets is kept; one seeded with another
 * number is seeded again (--reset). The demo exports acme's tickets, so acme's count is the size that matters.
 */
export async function seedTickets(pool: Pool, tickets: number): Promise<SeedOutcome> {
  const strings = nastyStrings();
  const first = await seedDatabase(pool, { tickets, reset: false, nastyStrings: strings });
  if (first.seeded)
    return { action: 'seeded', tickets: first.tickets, previous: null, seconds: first.seconds };
  const existing = first.tickets[ACME.slug] ?? 0;
  if (existing === tickets)
    return { action: 'kept', tickets: first.tickets, previous: null, seconds: first.seconds };
  const again = await seedDatabase(pool, { tickets, reset: true, nastyStrings: strings });
  return { action: 'reseeded', tickets: again.tickets, previous: existing, seconds: again.seconds };
}

/** The seeded user's id and tenant, as `npm run token` looks them up. */
export async function findUser(pool: Pool, email: string): Promise<{ userId: string; tenantId: string }> {
  const subject = await findTokenSubject(pool, email);
  if (subject.found) return { userId: subject.userId, tenantId: subject.tenantId };
  if (subject.reason === 'disabled')
    throw new DemoFailure(`user ${email} is disabled: run npm run db:seed -- --reset`);
  throw new DemoFailure(
    `no user ${email} in the database: run npm run db:seed -- --reset, then the demo again`,
  );
}
