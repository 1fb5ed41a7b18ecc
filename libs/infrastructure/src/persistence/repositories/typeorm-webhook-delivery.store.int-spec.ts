import { randomUUID } from 'node:crypto';
import { newWebhookSecret, PREVIOUS_SECRET_VALID_MS, type WebhookDeliveryAttempt } from '@app/application';
import type { Pool } from 'pg';
import { Webhook } from 'standardwebhooks';
import type { DataSource } from 'typeorm';
import { testDataSource, testPool } from '../../../../../test/support/database';
import { createTestTenant, type TestTenant } from '../../../../../test/support/factories';
import { WebhookSecretCipher } from '../../webhooks/webhook-secret-cipher';
import { webhookSignature } from '../../webhooks/webhook-signature';
import { TypeormWebhookDeliveryStore } from './typeorm-webhook-delivery.store';
import { TypeormWebhookEndpointStore } from './typeorm-webhook-endpoint.store';

/** The outbox relay's store against PostgreSQL: fan-out to subscribed endpoints, once; the attempt lease; purging. */
describe('TypeormWebhookDeliveryStore', () => {
  let pool: Pool;
  let dataSource: DataSource;
  let tenant: TestTenant;
  const cipher = new WebhookSecretCipher('a-key-of-sufficient-length');
  let store: TypeormWebhookDeliveryStore;

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    tenant = await createTestTenant(pool);
    store = new TypeormWebhookDeliveryStore(dataSource, cipher);
  });

  afterAll(async () => {
    await pool.query('DELETE FROM webhook_endpoints WHERE tenant_id = $1', [tenant.id]);
    await dataSource.destroy();
    await pool.end();
  });

  async function endpoint(events: string[], disabled = false, secret?: string): Promise<string> {
    const id = randomUUID();
    await pool.query(
      `INSERT INTO webhook_endpoints (id, tenant_id, url, events, secret_encrypted, disabled_at)
       VALUES ($1, $2, 'https://hooks.example.com/x', $3, $4, $5)`,
      [id, tenant.id, events, cipher.encrypt(secret ?? `whsec_${id}`, id), disabled ? new Date() : null],
    );
    return id;
  }

  async function event(
    status: string,
    dispatchedAt: Date | null = null,
  ): Promise<{ id: string; jobId: string }> {
    const jobId = randomUUID();
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO export_job_events (tenant_id, job_id, type, status, dispatched_at)
       VALUES ($1, $2, 'export.' || $3, $3, $4) RETURNING id`,
      [tenant.id, jobId, status, dispatchedAt],
    );
    return { id: rows[0].id, jobId };
  }

  const deliveriesOf = async (jobId: string) =>
    (
      await pool.query<{ id: string; endpoint_id: string; body: string }>(
        'SELECT id, endpoint_id, body FROM webhook_deliveries WHERE job_id = $1',
        [jobId],
      )
    ).rows;

  it('makes one delivery per subscribed, enabled endpoint, once however often it runs', async () => {
    const completed = await endpoint(['export.completed', 'export.failed']);
    await endpoint(['export.completed'], true);
    await endpoint(['export.failed']);
    const { jobId } = await event('completed');

    const created: string[] = [];
    for (let run = 0; run < 3; run += 1) created.push(...(await store.dispatchEvents(10_000)).deliveryIds);

    const deliveries = await deliveriesOf(jobId);
    expect(deliveries.map((d) => d.endpoint_id)).toEqual([completed]);
    expect(created).toContain(deliveries[0].id);
    expect(JSON.parse(deliveries[0].body)).toMatchObject({
      type: 'export.completed',
      data: { id: jobId, status: 'completed', links: { self: `/export-jobs/${jobId}` } },
    });
  });

  it('leases an attempt: a second start meanwhile finds nothing to send', async () => {
    const id = await endpoint(['export.failed']);
    const { jobId } = await event('failed');
    await store.dispatchEvents(10_000);
    const [delivery] = (await deliveriesOf(jobId)).filter((d) => d.endpoint_id === id);

    const now = new Date();
    const attempt = await store.beginAttempt(delivery.id, now, 30_000);
    expect(attempt).toMatchObject({ id: delivery.id, secrets: [`whsec_${id}`], attemptsBefore: 0 });
    expect(await store.beginAttempt(delivery.id, new Date(now.getTime() + 1000), 30_000)).toBe('not-pending');
    expect(await store.beginAttempt(delivery.id, new Date(now.getTime() + 31_000), 30_000)).toMatchObject({
      attemptsBefore: 1,
    });
  });

  it('deletes events a week after their dispatch, never undispatched ones', async () => {
    const day = 24 * 3600_000;
    const old = await event('expired', new Date(Date.now() - 8 * day));
    const recent = await event('expired', new Date(Date.now() - day));
    expect(await store.purgeEvents(new Date(Date.now() - 7 * day), 10_000)).toBeGreaterThanOrEqual(1);
    const { rows } = await pool.query<{ id: string }>(
      'SELECT id FROM export_job_events WHERE id = ANY($1::bigint[])',
      [[old.id, recent.id]],
    );
    expect(rows.map((r) => r.id)).toEqual([recent.id]);
  });

  it("signs with both secrets after a rotation, and with the new one alone once the old one's 24 h are over", async () => {
    const original = newWebhookSecret();
    const id = await endpoint(['export.completed'], false, original);
    const rotatedAt = new Date('2026-11-30T12:00:00.000Z');
    const rotated = newWebhookSecret();
    await new TypeormWebhookEndpointStore(dataSource, cipher).rotateSecret(
      tenant.id,
      id,
      {
        secret: rotated,
        now: rotatedAt,
        previousValidUntil: new Date(rotatedAt.getTime() + PREVIOUS_SECRET_VALID_MS),
      },
      {
        tenantId: tenant.id,
        actorId: null,
        action: 'webhook.secret_rotated',
        jobId: null,
        details: { endpointId: id },
      },
    );
    const { jobId } = await event('completed');
    await store.dispatchEvents(10_000);
    const [delivery] = (await deliveriesOf(jobId)).filter((d) => d.endpoint_id === id);
    const at = (msAfterRotation: number) => new Date(rotatedAt.getTime() + msAfterRotation);
    /** An attempt at that instant (each starts after the last one's 30 s lease), signed as the sender signs. */
    const attemptAt = async (instant: Date): Promise<WebhookDeliveryAttempt> => {
      const attempt = await store.beginAttempt(delivery.id, instant, 30_000);
      if (typeof attempt === 'string') throw new Error(`no attempt: ${attempt}`);
      return attempt;
    };
    /** Which secrets the Standard Webhooks verifier accepts the attempt's signature header with. */
    const verifiedBy = (attempt: WebhookDeliveryAttempt): boolean[] => {
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'webhook-id': `msg_${attempt.id}`,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': webhookSignature(attempt.secrets, `msg_${attempt.id}`, timestamp, attempt.body),
      };
      return [rotated, original].map((secret) => {
        try {
          new Webhook(secret).verify(attempt.body, headers);
          return true;
        } catch {
          return false;
        }
      });
    };

    const during = await attemptAt(at(PREVIOUS_SECRET_VALID_MS - 60_000));
    expect(during.secrets).toEqual([rotated, original]);
    expect(verifiedBy(during)).toEqual([true, true]);
    const atExpiry = await attemptAt(at(PREVIOUS_SECRET_VALID_MS));
    expect(atExpiry.secrets).toEqual([rotated]);
    const after = await attemptAt(at(PREVIOUS_SECRET_VALID_MS + 60_000));
    expect(after.secrets).toEqual([rotated]);
    expect(verifiedBy(after)).toEqual([true, false]);
  });
});
