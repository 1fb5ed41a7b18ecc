import { SystemPermissions } from '@app/domain';
import type { Pool } from 'pg';
import type { RevocationFigure } from './figures';

const POLLER_EMAIL = 'bench-poller@acme.test';
const POLLER_ROLE = 'Bench poller';
/** How long the probe waits for a refusal (or for access back) before it gives up. */
const PROBE_LIMIT_MS = 5_000;

/**
 * A user of the bench's own, who sees the tenant's export jobs only as an export admin: is_admin and ImportExportTickets
 * through one role of its own, which the probe can revoke without touching the seeded users. Idempotent.
 */
export async function ensurePoller(
  pool: Pool,
  tenantId: string,
): Promise<{ userId: string; roleId: string }> {
  const { rows: roles } = await pool.query<{ id: string }>(
    `INSERT INTO roles (id, tenant_id, name, permissions) VALUES (gen_random_uuid(), $1, $2, $3)
     ON CONFLICT (tenant_id, name) DO UPDATE SET permissions = EXCLUDED.permissions RETURNING id`,
    [tenantId, POLLER_ROLE, SystemPermissions.ImportExportTickets],
  );
  await pool.query(
    `INSERT INTO users (id, tenant_id, email, name, is_admin)
     SELECT gen_random_uuid(), $1, $2, 'Bench Poller', true
      WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = $2)`,
    [tenantId, POLLER_EMAIL],
  );
  const { rows: users } = await pool.query<{ id: string }>('SELECT id FROM users WHERE lower(email) = $1', [
    POLLER_EMAIL,
  ]);
  await pool.query(
    'INSERT INTO user_roles (tenant_id, user_id, role_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [tenantId, users[0].id, roles[0].id],
  );
  return { userId: users[0].id, roleId: roles[0].id };
}

/**
 * While the API is under load: the poller reads the job (must be 200), its role loses ImportExportTickets (one
 * committed UPDATE), and the probe reads again back to back until refused (for a job it did not request, the API
 * answers 404: the job no longer exists for it), then the flag comes back and the probe waits for a 200. Times
 * from the COMMIT's return to the first answer that shows the change: late by at most one request.
 */
export async function probeRevocation(
  pool: Pool,
  roleId: string,
  read: () => Promise<number>,
): Promise<RevocationFigure> {
  let probes = 0;
  const until = async (test: (status: number) => boolean): Promise<{ ms: number; status: number } | null> => {
    const from = Date.now();
    while (Date.now() - from < PROBE_LIMIT_MS) {
      const status = await read();
      probes++;
      if (test(status)) return { ms: Date.now() - from, status };
    }
    return null;
  };
  const granted = await until((s) => s === 200);
  if (!granted)
    throw new Error('the poller never got a 200 before the revocation: the probe would prove nothing');
  await pool.query('UPDATE roles SET permissions = 0 WHERE id = $1', [roleId]);
  const refused = await until((s) => s === 403 || s === 404);
  await pool.query('UPDATE roles SET permissions = $2 WHERE id = $1', [
    roleId,
    SystemPermissions.ImportExportTickets,
  ]);
  const restored = await until((s) => s === 200);
  return {
    refusedAfterMs: refused?.ms ?? null,
    refusalStatus: refused?.status ?? null,
    restoredAfterMs: restored?.ms ?? null,
    probes,
  };
}
