import type { Pool } from 'pg';

/** Whom a token for a seeded user's email names: the user and its tenant, or why there is none. */
export type TokenSubject =
  | { readonly found: true; readonly userId: string; readonly tenantId: string }
  | { readonly found: false; readonly reason: 'unknown' | 'disabled' };

/** The lookup `npm run token` and the demo share (email compared case-insensitively, disabled users refused). */
export async function findTokenSubject(pool: Pool, email: string): Promise<TokenSubject> {
  const { rows } = await pool.query<{ id: string; tenant_id: string; disabled_at: Date | null }>(
    'SELECT id, tenant_id, disabled_at FROM users WHERE lower(email) = lower($1)',
    [email],
  );
  if (rows.length === 0) return { found: false, reason: 'unknown' };
  if (rows[0].disabled_at) return { found: false, reason: 'disabled' };
  return { found: true, userId: rows[0].id, tenantId: rows[0].tenant_id };
}
