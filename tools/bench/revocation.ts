import { SystemPermissions } from '@app/domain';
import type { Pool } from 'pg';
import type { RevocationFigure } from './figures';
import { sleep } from './stats';

const POLLER_EMAIL = 'bench-poller@acme.test';
const POLLER_ROLE = 'Bench poller';
/** How long the probe reads after each change; how often it sends a read; how many may wait for an answer. */
const PROBE_LIMIT_MS = 3_000;
const PROBE_EVERY_MS = 25;
const PROBE_IN_FLIGHT = 4;

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

/** One read of the probe: when it was sent (ms after the change it looks for) and the answer's status. */
export interface Probe {
  readonly sentMs: number;
  readonly status: number;
}

/**
 * How long after the change the API still answered as before: the send time of the first probe from which on
 * every later-sent probe showed the change (`changed`); null when the last one still did not. Precise to the
 * interval between probes, and independent of how long each answer took under the load.
 */
export function settledAfter(probes: readonly Probe[], changed: (status: number) => boolean): Probe | null {
  const sorted = [...probes].sort((a, b) => a.sentMs - b.sentMs);
  let settled: Probe | null = null;
  for (const probe of sorted) settled = changed(probe.status) ? (settled ?? probe) : null;
  return settled;
}

/**
 * While the API is under load: the poller reads the job (must be 200), its role loses ImportExportTickets (one
 * committed UPDATE), and the probe sends a read every PROBE_EVERY_MS (without waiting for the previous answer)
 * for PROBE_LIMIT_MS; then the flag comes back and the same again. For a job it did not request, the API refuses
 * with 404 (the job no longer exists for it). Times are from the UPDATE's return to the send time of the first
 * read from which on all were refused (settledAfter).
 */
export async function probeRevocation(
  pool: Pool,
  roleId: string,
  read: () => Promise<number>,
): Promise<RevocationFigure> {
  if ((await read()) !== 200)
    throw new Error('the poller did not get a 200 before the revocation: the probe would prove nothing');
  await pool.query('UPDATE roles SET permissions = 0 WHERE id = $1', [roleId]);
  const revoked = await burst(read);
  await pool.query('UPDATE roles SET permissions = $2 WHERE id = $1', [
    roleId,
    SystemPermissions.ImportExportTickets,
  ]);
  const restored = await burst(read);
  const refused = settledAfter(revoked, (s) => s === 403 || s === 404);
  return {
    refusedAfterMs: refused?.sentMs ?? null,
    refusalStatus: refused?.status ?? null,
    restoredAfterMs: settledAfter(restored, (s) => s === 200)?.sentMs ?? null,
    probes: revoked.length + restored.length,
  };
}

/** Reads every PROBE_EVERY_MS for PROBE_LIMIT_MS, at most PROBE_IN_FLIGHT unanswered at once. */
async function burst(read: () => Promise<number>): Promise<Probe[]> {
  const from = Date.now();
  const pending = new Set<Promise<void>>();
  const probes: Probe[] = [];
  while (Date.now() - from < PROBE_LIMIT_MS) {
    if (pending.size < PROBE_IN_FLIGHT) {
      const sentMs = Date.now() - from;
      const answered: Promise<void> = read().then(
        (status) => void probes.push({ sentMs, status }),
        () => void probes.push({ sentMs, status: 0 }),
      );
      pending.add(answered);
      void answered.finally(() => pending.delete(answered));
    }
    await sleep(PROBE_EVERY_MS);
  }
  await Promise.all(pending);
  return probes;
}
