import type { Pool } from 'pg';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { bearer, eventually, insertJob, startApi, type StartedApi, tokenFor } from '../support/api';
import { runCleanupCli } from '../support/cleanup';
import { testDataSource, testPool } from '../support/database';
import { createTestTenant, type TestTenant } from '../support/factories';
import { type ReceivedDelivery, WebhookReceiver } from '../support/webhook-receiver';
import { redisUrlWithDb, type RunningWorker, startWorker, TEST_WEBHOOK_ENV } from '../support/worker';

/**
 * Webhook deliveries past the happy path (issue 14 §1), beside webhooks.e2e-spec.ts: the retention cleanup's
 * expiry as one `export.expired` event, the deliveries list paged to its end, and a worker that re-checks the
 * destination before sending. The API and the worker built in dist/ run with TEST_WEBHOOK_ENV (http and private
 * destinations allowed, the retry schedule shrunk: a failing delivery is given up after ~8.6 s).
 */
jest.setTimeout(60_000);

const REDIS_DB = 4;
const GIVE_UP_MS = 86_400_000 * Number(TEST_WEBHOOK_ENV.WEBHOOK_RETRY_SCALE);
const HOUR_MS = 3_600_000;
const hoursAgo = (hours: number): Date => new Date(Date.now() - hours * HOUR_MS);
/** A cron that does not fire while the spec runs: the CLI, not the worker's hourly cleanup, expires the job. */
const NEVER_DURING_THE_SPEC = '0 0 1 1 *';

interface Delivery {
  readonly id: string;
  readonly type: string;
  readonly jobId: string;
  readonly status: string;
  readonly attempts: number;
  readonly lastResponseCode: number | null;
  readonly lastError: string | null;
  readonly lastDurationMs: number | null;
  readonly createdAt: string;
}
interface DeliveryPage {
  readonly items: Delivery[];
  readonly nextCursor: string | null;
}

describe('webhook deliveries: expiry, paging, delivery-time checks', () => {
  let pool: Pool;
  let dataSource: DataSource;
  let acme: TestTenant;
  let api: StartedApi;
  let worker: RunningWorker;
  const receiver = new WebhookReceiver();
  let admin: Record<string, string>;
  const workerEnv = (): Record<string, string> => ({
    REDIS_URL: redisUrlWithDb(REDIS_DB),
    STORAGE_DRIVER: 'local',
    STORAGE_LOCAL_DIR: api.storageDir,
    CLEANUP_CRON: NEVER_DURING_THE_SPEC,
  });

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    acme = await createTestTenant(pool);
    await receiver.start();
    api = await startApi({ env: TEST_WEBHOOK_ENV });
    admin = bearer(tokenFor(api.config, acme, 'admin'));
    worker = await startWorker({ env: workerEnv() });
  }, 60_000);

  afterAll(async () => {
    // No endpoint of this tenant is left for another spec's worker to deliver to.
    await pool.query('DELETE FROM webhook_endpoints WHERE tenant_id = $1', [acme.id]);
    await worker?.stop();
    await Promise.all([api?.close(), receiver.stop()]);
    await dataSource.destroy();
    await pool.end();
  });

  async function register(route: string, events: string[]): Promise<{ id: string }> {
    receiver.route(route);
    const res = await request(api.baseUrl)
      .post('/webhook-endpoints')
      .set(admin)
      .send({ url: receiver.route(route), events })
      .expect(201);
    const endpoint = res.body as { id: string; secret: string };
    receiver.trust(route, endpoint.secret);
    return endpoint;
  }

  /** What a route received about one job (events of earlier specs' jobs may still be on their way). */
  const receivedAbout = (route: string, jobId: string): ReceivedDelivery[] =>
    receiver
      .deliveriesTo(route)
      .filter((d) => (JSON.parse(d.body) as { data: { id: string } }).data.id === jobId);

  const page = async (endpointId: string, query: Record<string, string | number>): Promise<DeliveryPage> =>
    (
      await request(api.baseUrl)
        .get(`/webhook-endpoints/${endpointId}/deliveries`)
        .query(query)
        .set(admin)
        .expect(200)
    ).body as DeliveryPage;

  const deliveriesAbout = async (endpointId: string, jobId: string): Promise<Delivery[]> =>
    (await page(endpointId, { limit: 100 })).items.filter((d) => d.jobId === jobId);

  /** The outbox events the database wrote for a job, whatever wrote them. */
  const eventsOf = async (jobId: string): Promise<{ type: string; dispatched: boolean }[]> =>
    (
      await pool.query<{ type: string; dispatched: boolean }>(
        'SELECT type, dispatched_at IS NOT NULL AS dispatched FROM export_job_events WHERE job_id = $1 ORDER BY id',
        [jobId],
      )
    ).rows;

  it('the retention cleanup CLI expiring a job sends exactly one verified export.expired; a second run sends none', async () => {
    const endpoint = await register('expiry', ['export.expired']);
    // Completed 73 h ago: an hour past its 72 h retention. Its export.completed event is not subscribed.
    const job = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'admin',
      status: 'completed',
      requestedAt: hoursAgo(74),
      completedAt: hoursAgo(73),
    });
    const cleanupEnv = {
      REDIS_URL: redisUrlWithDb(REDIS_DB),
      STORAGE_DRIVER: 'local',
      STORAGE_LOCAL_DIR: api.storageDir,
    };

    const first = await runCleanupCli(cleanupEnv);
    expect(first.code).toBe(0);
    expect(Number(/expired jobs\s+(\d+)/.exec(first.stdout)?.[1])).toBeGreaterThanOrEqual(1);
    const { rows } = await pool.query<{ status: string }>('SELECT status FROM export_jobs WHERE id = $1', [
      job.id,
    ]);
    expect(rows[0].status).toBe('expired');

    const [delivery] = await eventually(
      () => Promise.resolve(receivedAbout('expiry', job.id)),
      (list) => list.length >= 1,
    );
    expect(delivery.verifiedWith).toEqual([true]);
    expect(delivery.status).toBe(200);
    expect(JSON.parse(delivery.body)).toMatchObject({
      type: 'export.expired',
      data: { id: job.id, status: 'expired', links: { self: `/export-jobs/${job.id}` } },
    });

    const second = await runCleanupCli(cleanupEnv);
    expect(second.code).toBe(0);
    // Whatever the second run did, the database holds one expiry event for the job, already relayed...
    expect(await eventsOf(job.id)).toEqual([
      { type: 'export.completed', dispatched: true },
      { type: 'export.expired', dispatched: true },
    ]);
    // ...into one delivery, settled; and nothing more reached the receiver.
    const settled = await eventually(
      () => deliveriesAbout(endpoint.id, job.id),
      (list) => list.every((d) => d.status !== 'pending'),
    );
    expect(settled).toEqual([
      expect.objectContaining({
        type: 'export.expired',
        status: 'succeeded',
        attempts: 1,
        lastResponseCode: 200,
      }),
    ]);
    expect(receivedAbout('expiry', job.id)).toHaveLength(1);
    expect(receiver.processed.get('expiry')).toEqual([delivery.headers['webhook-id']]);
  });

  it("pages an endpoint's deliveries with limit and cursor: each delivery once, newest first", async () => {
    const endpoint = await register('paged', ['export.failed']);
    // Inserted at once, they are mostly relayed in one transaction: equal created_at, where the cursor's id decides.
    const jobs = await Promise.all(
      Array.from({ length: 5 }, () =>
        insertJob(dataSource, api.storage, { tenant: acme, requester: 'admin', status: 'failed' }),
      ),
    );
    const all = await eventually(
      async () => (await page(endpoint.id, { limit: 100 })).items,
      (items) => items.length === jobs.length && items.every((d) => d.status === 'succeeded'),
    );
    expect(all.map((d) => d.jobId).sort()).toEqual(jobs.map((j) => j.id).sort());

    const seen: Delivery[] = [];
    const cursors: (string | null)[] = [];
    let cursor: string | null = null;
    do {
      const current: DeliveryPage = await page(endpoint.id, { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(current.items.length).toBeLessThanOrEqual(2);
      seen.push(...current.items);
      cursor = current.nextCursor;
      cursors.push(cursor);
    } while (cursor !== null && cursors.length < 10);
    expect(cursors).toHaveLength(3);
    expect(seen.map((d) => d.id)).toEqual(all.map((d) => d.id));
    expect(new Set(seen.map((d) => d.id)).size).toBe(jobs.length);
    const order = seen.map((d) => Date.parse(d.createdAt));
    expect(order).toEqual([...order].sort((a, b) => b - a));

    await request(api.baseUrl)
      .get(`/webhook-endpoints/${endpoint.id}/deliveries`)
      .query({ cursor: 'nonsense' })
      .set(admin)
      .expect(400);
    await request(api.baseUrl)
      .get(`/webhook-endpoints/${endpoint.id}/deliveries`)
      .query({ limit: 0 })
      .set(admin)
      .expect(400);
  });

  // The API accepted these endpoints (it allows http and private addresses); the worker that delivers them no
  // longer does. It checks the URL again before every attempt, so it never connects, and the delivery fails with
  // the reason until it is given up (~8.6 s with the shrunk schedule). Each case replaces the spec's worker.
  it.each([
    [
      'a private address once WEBHOOK_ALLOW_PRIVATE=false',
      'private',
      { WEBHOOK_ALLOW_PRIVATE: 'false' },
      'Not sent: the destination is refused (must not point to a loopback, private, link-local or metadata address).',
    ],
    [
      'http once WEBHOOK_ALLOW_HTTP=false',
      'plain-http',
      { WEBHOOK_ALLOW_HTTP: 'false' },
      'Not sent: the destination is refused (must use https).',
    ],
  ])(
    'a worker refuses to deliver to %s, without connecting; the delivery fails with the reason',
    async (_case, route, strict, reason) => {
      const endpoint = await register(route, ['export.completed']);
      await worker.stop();
      worker = await startWorker({ env: { ...workerEnv(), ...strict } });
      const job = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'admin',
        status: 'completed',
      });

      const [failed] = await eventually(
        () => deliveriesAbout(endpoint.id, job.id),
        (list) => list[0]?.status === 'failed',
        GIVE_UP_MS * 2 + 10_000,
      );
      expect(failed).toMatchObject({ lastResponseCode: null, lastError: reason, lastDurationMs: null });
      expect(failed.attempts).toBeGreaterThan(1);
      expect(receiver.deliveriesTo(route)).toEqual([]);
    },
  );
});
