import { GLOBEX, HttpWebhookSender } from '@app/infrastructure';
import type { ExportJobStatusValue } from '@app/domain';
import type { Pool } from 'pg';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { bearer, eventually, insertJob, startApi, type StartedApi, tokenFor } from '../support/api';
import { testDataSource, testPool } from '../support/database';
import { createTestTenant, type TestTenant } from '../support/factories';
import { WebhookReceiver } from '../support/webhook-receiver';
import { redisUrlWithDb, type RunningWorker, startWorker, TEST_WEBHOOK_ENV } from '../support/worker';

/**
 * Signed webhooks end to end (issue 14 §1): the real API registers endpoints, jobs change state in PostgreSQL, the
 * worker built in dist/ relays the outbox and delivers from its own queue to a local receiver that verifies every
 * request with the Standard Webhooks reference verifier. Every spawned worker shrinks the retry schedule
 * (TEST_WEBHOOK_ENV: WEBHOOK_RETRY_SCALE=0.0001, first retry after ~1 ms, at most ~1.4 s apart, given up after ~8.6 s
 * instead of 24 h) and may deliver these deliveries, since it relays the shared outbox.
 */
const REDIS_DB = 4;
const GIVE_UP_MS = 86_400_000 * Number(TEST_WEBHOOK_ENV.WEBHOOK_RETRY_SCALE);

/** What these specs read of the API's answers (endpoints, pages, problems). */
interface Body {
  readonly id: string;
  readonly secret: string;
  readonly code: string;
  readonly previousSecretExpiresAt: string;
  readonly items: { readonly id: string }[];
  readonly nextCursor: string | null;
  readonly errors: { readonly field: string; readonly message: string }[];
}
const body = (res: request.Response): Body => res.body as Body;

interface Endpoint {
  id: string;
  secret: string;
  status: string;
  disabledReason: string | null;
}

describe('webhooks', () => {
  let pool: Pool;
  let dataSource: DataSource;
  let acme: TestTenant;
  let globex: TestTenant;
  let api: StartedApi;
  /** The same API with WEBHOOK_ALLOW_PRIVATE=false (and http allowed, so only the address decides). */
  let strictApi: StartedApi;
  let worker: RunningWorker;
  const receiver = new WebhookReceiver();
  const as = (tenant: TestTenant, who: string): Record<string, string> =>
    bearer(tokenFor(api.config, tenant, who));

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    [acme, globex] = await Promise.all([createTestTenant(pool), createTestTenant(pool, GLOBEX)]);
    await receiver.start();
    api = await startApi({ env: TEST_WEBHOOK_ENV });
    strictApi = await startApi({ env: { ...TEST_WEBHOOK_ENV, WEBHOOK_ALLOW_PRIVATE: 'false' } });
    worker = await startWorker({ env: { REDIS_URL: redisUrlWithDb(REDIS_DB) } });
  }, 60_000);

  afterAll(async () => {
    // No endpoint of these tenants is left for another spec's worker to deliver to.
    if (!process.env.KEEP)
      await pool.query('DELETE FROM webhook_endpoints WHERE tenant_id = ANY($1::uuid[])', [
        [acme.id, globex.id],
      ]);
    await worker?.stop();
    await Promise.all([api?.close(), strictApi?.close(), receiver.stop()]);
    await dataSource.destroy();
    await pool.end();
  });

  async function register(route: string, events: string[], tenant = acme): Promise<Endpoint> {
    const res = await request(api.baseUrl)
      .post('/webhook-endpoints')
      .set(as(tenant, 'admin'))
      .send({ url: receiver.baseUrl + `/${route}`, events, description: `route ${route}` })
      .expect(201);
    const endpoint = res.body as Endpoint;
    receiver.trust(route, endpoint.secret);
    return endpoint;
  }

  const endJob = (status: ExportJobStatusValue, tenant = acme) =>
    insertJob(dataSource, api.storage, { tenant, requester: 'admin', status });

  /** What a route received about one job (events of earlier specs' jobs may still be on their way). */
  const receivedAbout = (route: string, jobId: string) =>
    receiver
      .deliveriesTo(route)
      .filter((d) => (JSON.parse(d.body) as { data: { id: string } }).data.id === jobId);

  async function endpointOf(id: string, tenant = acme): Promise<Endpoint> {
    const res = await request(api.baseUrl)
      .get('/webhook-endpoints?limit=500')
      .set(as(tenant, 'admin'))
      .expect(200);
    const found = (body(res).items as Endpoint[]).find((e) => e.id === id);
    if (!found) throw new Error(`endpoint ${id} not listed`);
    return found;
  }

  async function deliveriesOf(id: string): Promise<Record<string, unknown>[]> {
    const res = await request(api.baseUrl)
      .get(`/webhook-endpoints/${id}/deliveries`)
      .set(as(acme, 'admin'))
      .expect(200);
    return body(res).items;
  }

  async function auditActions(
    tenantId: string,
  ): Promise<{ action: string; details: Record<string, unknown> }[]> {
    const { rows } = await pool.query<{ action: string; details: Record<string, unknown> }>(
      `SELECT action, details FROM audit_events WHERE tenant_id = $1 AND action LIKE 'webhook.%' ORDER BY id`,
      [tenantId],
    );
    return rows;
  }

  it('registers an endpoint: 201 with a whsec_ secret shown once, kept encrypted, audited', async () => {
    const created = await request(api.baseUrl)
      .post('/webhook-endpoints')
      .set(as(acme, 'admin'))
      .send({ url: receiver.route('registered'), events: ['export.completed'] })
      .expect(201);
    expect(created.body).toMatchObject({
      url: receiver.route('registered'),
      events: ['export.completed'],
      description: null,
      status: 'enabled',
    });
    const secret = body(created).secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const listed = await request(api.baseUrl).get('/webhook-endpoints').set(as(acme, 'admin')).expect(200);
    const item = (body(listed).items as Record<string, unknown>[]).find((e) => e.id === body(created).id);
    expect(item).toBeDefined();
    expect(item).not.toHaveProperty('secret');
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(6));

    const { rows } = await pool.query<{ secret_encrypted: string }>(
      'SELECT secret_encrypted FROM webhook_endpoints WHERE id = $1',
      [body(created).id],
    );
    expect(rows[0].secret_encrypted).not.toContain(secret.slice(6, 20));
    expect(await auditActions(acme.id)).toContainEqual(
      expect.objectContaining({
        action: 'webhook.created',
        details: expect.objectContaining({ endpointId: body(created).id }) as unknown,
      }),
    );
  });

  it('refuses bad input with a 400 naming each field', async () => {
    const post = (body: object, target = api) =>
      request(target.baseUrl).post('/webhook-endpoints').set(as(acme, 'admin')).send(body).expect(400);
    const fields = (res: request.Response): string[] =>
      (body(res).errors as { field: string }[]).map((e) => e.field);

    const several = await post({
      url: 'not a url',
      events: ['export.completed', 'export.started', 'export.completed'],
    });
    expect(body(several).code).toBe('VALIDATION_FAILED');
    expect(fields(several)).toEqual(['url', 'events[1]', 'events[2]']);
    expect(fields(await post({ url: 'ftp://hooks.example.com/x', events: ['export.failed'] }))).toEqual([
      'url',
    ]);
    expect(fields(await post({ url: receiver.route('x'), events: [] }))).toEqual(['events']);
    expect(fields(await post({ url: receiver.route('x') }))).toContain('events');
    expect(fields(await post({ url: 42, events: ['export.failed'] }))).toContain('url');
    expect(
      fields(
        await post({ url: receiver.route('x'), events: ['export.failed'], description: 'd'.repeat(201) }),
      ),
    ).toEqual(['description']);
    expect(
      fields(await post({ url: receiver.route('x'), events: ['export.failed'], secret: 'mine' })),
    ).toEqual(['secret']);

    const httpOnly = await startApi({ env: { WEBHOOK_ALLOW_HTTP: 'false', WEBHOOK_ALLOW_PRIVATE: 'true' } });
    try {
      const res = await post({ url: receiver.route('x'), events: ['export.failed'] }, httpOnly);
      expect(body(res).errors).toEqual([{ field: 'url', message: 'must use https' }]);
    } finally {
      await httpOnly.close();
    }
  });

  it('refuses loopback, private, link-local and metadata destinations unless WEBHOOK_ALLOW_PRIVATE=true', async () => {
    for (const url of [
      receiver.route('private'),
      'http://localhost:9/x',
      'http://10.1.2.3/x',
      'http://192.168.0.10/x',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/x',
      'http://[fd00:ec2::254]/x',
      'http://[::ffff:127.0.0.1]/x',
    ]) {
      const res = await request(strictApi.baseUrl)
        .post('/webhook-endpoints')
        .set(as(acme, 'admin'))
        .send({ url, events: ['export.completed'] });
      expect({ url, status: res.status, errors: body(res).errors }).toEqual({
        url,
        status: 400,
        errors: [
          { field: 'url', message: 'must not point to a loopback, private, link-local or metadata address' },
        ],
      });
    }
    // At delivery time too: the same check before every attempt, whatever was accepted at registration.
    const sender = new HttpWebhookSender({ allowHttp: true, allowPrivate: false });
    const sent = await sender.send({
      url: receiver.route('private'),
      messageId: 'msg_private',
      timestamp: new Date(),
      body: '{}',
      secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    });
    expect(sent.outcome).toBe('refused');
    expect(receiver.deliveriesTo('private')).toEqual([]);
  });

  it('lets only export admins manage endpoints, and hides other tenants’ endpoints (404)', async () => {
    const endpoint = await register('authz', ['export.completed']);
    const routes = [
      ['post', '/webhook-endpoints', { url: receiver.route('authz'), events: ['export.completed'] }],
      ['get', '/webhook-endpoints'],
      ['delete', `/webhook-endpoints/${endpoint.id}`],
      ['post', `/webhook-endpoints/${endpoint.id}/rotate-secret`],
      ['get', `/webhook-endpoints/${endpoint.id}/deliveries`],
    ] as const;
    for (const who of ['agent', 'viewer', 'auditor']) {
      for (const [method, path, body] of routes) {
        const res = await request(api.baseUrl)[method](path).set(as(acme, who)).send(body);
        expect({ who, method, path, status: res.status }).toEqual({ who, method, path, status: 403 });
      }
    }
    for (const [method, path] of routes.slice(2)) {
      const res = await request(api.baseUrl)[method](path).set(as(globex, 'admin'));
      expect({ method, path, status: res.status, code: body(res).code }).toEqual({
        method,
        path,
        status: 404,
        code: 'WEBHOOK_ENDPOINT.NOT_FOUND',
      });
    }
    const theirs = await request(api.baseUrl).get('/webhook-endpoints').set(as(globex, 'admin')).expect(200);
    expect((body(theirs).items as Endpoint[]).map((e) => e.id)).not.toContain(endpoint.id);
    await request(api.baseUrl).get('/webhook-endpoints').expect(401);
    expect((await endpointOf(endpoint.id)).status).toBe('enabled');
  });

  it('delivers one signed event per state change that the Standard Webhooks verifier accepts', async () => {
    receiver.route('ok');
    const endpoint = await register('ok', ['export.completed', 'export.failed']);
    const completed = await endJob('completed');
    const failed = await endJob('failed');
    const cancelled = await endJob('cancelled'); // not subscribed
    const theirs = await endJob('completed', globex); // another tenant's job
    const about = () => [...receivedAbout('ok', completed.id), ...receivedAbout('ok', failed.id)];

    const received = await eventually(
      () => Promise.resolve(about()),
      (list) => list.length >= 2,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500)); // anything more would have arrived by now
    expect(about()).toHaveLength(2);
    expect([...receivedAbout('ok', cancelled.id), ...receivedAbout('ok', theirs.id)]).toEqual([]);
    expect(received.every((d) => d.verifiedWith[0] && d.status === 200)).toBe(true);
    const bodies = received.map((d) => JSON.parse(d.body) as Record<string, unknown>);
    expect(bodies).toEqual(
      expect.arrayContaining([
        {
          type: 'export.completed',
          timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
          data: { id: completed.id, status: 'completed', links: { self: `/export-jobs/${completed.id}` } },
        },
        {
          type: 'export.failed',
          timestamp: expect.any(String) as unknown,
          data: { id: failed.id, status: 'failed', links: { self: `/export-jobs/${failed.id}` } },
        },
      ]),
    );
    for (const d of received) {
      expect(d.headers['webhook-id']).toMatch(/^msg_[0-9a-f-]{36}$/);
      expect(Math.abs(Number(d.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(d.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    }
    const deliveries = (await deliveriesOf(endpoint.id)).filter((d) => d.jobId !== cancelled.id);
    expect(deliveries.map((d) => d.jobId).sort()).toEqual([completed.id, failed.id].sort());
    for (const d of deliveries)
      expect(d).toMatchObject({ status: 'succeeded', attempts: 1, lastResponseCode: 200, lastError: null });
    expect(
      deliveries.every((d) => typeof d.deliveredAt === 'string' && typeof d.lastDurationMs === 'number'),
    ).toBe(true);
  });

  it('retries a failing delivery with the same webhook-id until it succeeds; the receiver processes it once', async () => {
    receiver.route('flaky', (n, duplicate) => (duplicate ? 200 : n <= 2 ? 503 : 500));
    const endpoint = await register('flaky', ['export.failed']);
    const job = await endJob('failed');

    const received = await eventually(
      () => Promise.resolve(receivedAbout('flaky', job.id)),
      (list) => list.some((d) => d.status === 200),
      GIVE_UP_MS,
    );
    expect(received.map((d) => d.status)).toEqual([503, 200]);
    expect(new Set(received.map((d) => d.headers['webhook-id'])).size).toBe(1);
    expect(received.map((d) => d.duplicate)).toEqual([false, true]);
    expect(receiver.processed.get('flaky')).toHaveLength(1);
    expect((await deliveriesOf(endpoint.id)).filter((d) => d.jobId === job.id)).toEqual([
      expect.objectContaining({ status: 'succeeded', attempts: 2, lastResponseCode: 200 }),
    ]);
    expect((await endpointOf(endpoint.id)).status).toBe('enabled');
  });

  it('sends again a pending delivery whose queue entry is gone (Redis restarted without its data), same webhook-id', async () => {
    receiver.route('lost');
    const endpoint = await register('lost', ['export.completed']);
    const job = await endJob('completed');
    const [first] = await eventually(
      () => Promise.resolve(receivedAbout('lost', job.id)),
      (list) => list.length > 0,
    );
    const statusOfDelivery = async (): Promise<{ status: string }[]> =>
      (
        await pool.query<{ status: string }>(
          'SELECT status FROM webhook_deliveries WHERE job_id = $1 AND endpoint_id = $2',
          [job.id, endpoint.id],
        )
      ).rows;
    // The receiver answers before the worker records the outcome: rewritten earlier, the row would be settled again.
    await eventually(statusOfDelivery, (rows) => rows[0]?.status === 'succeeded');
    // The row as Redis losing its entry leaves it: pending, marked enqueued, overdue, and no live queue entry.
    const { rowCount } = await pool.query(
      `UPDATE webhook_deliveries SET status = 'pending', delivered_at = NULL, created_at = now() - interval '1 minute'
        WHERE job_id = $1 AND endpoint_id = $2 AND status = 'succeeded'`,
      [job.id, endpoint.id],
    );
    expect(rowCount).toBe(1);
    // Workers look every EXPORT_RECONCILE_INTERVAL_S (15 s here) for overdue rows without a live entry.
    const received = await eventually(
      () => Promise.resolve(receivedAbout('lost', job.id)),
      (list) => list.length > 1,
      25_000,
    );
    expect(received.map((d) => d.headers['webhook-id'])).toEqual([
      first.headers['webhook-id'],
      first.headers['webhook-id'],
    ]);
    expect(receiver.processed.get('lost')).toHaveLength(1);
    const settled = await eventually(statusOfDelivery, (rows) => rows[0]?.status !== 'pending');
    expect(settled).toEqual([{ status: 'succeeded' }]);
  }, 40_000);

  it('disables an endpoint that answers 410, audited, and sends it nothing more', async () => {
    receiver.route('gone', () => 410);
    const endpoint = await register('gone', ['export.completed']);
    const job = await endJob('completed');

    const disabled = await eventually(
      () => endpointOf(endpoint.id),
      (e) => e.status === 'disabled',
    );
    expect(disabled.disabledReason).toBe('gone');
    expect((await deliveriesOf(endpoint.id)).filter((d) => d.jobId === job.id)).toEqual([
      expect.objectContaining({ status: 'failed', attempts: 1, lastResponseCode: 410 }),
    ]);
    expect(receivedAbout('gone', job.id)).toHaveLength(1);
    expect(await auditActions(acme.id)).toContainEqual({
      action: 'webhook.disabled',
      details: expect.objectContaining({ endpointId: endpoint.id, reason: 'gone' }) as unknown,
    });
    const later = await endJob('completed');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receivedAbout('gone', later.id)).toEqual([]);
    expect((await deliveriesOf(endpoint.id)).filter((d) => d.jobId === later.id)).toEqual([]);
  });

  it('gives up and disables an endpoint whose deliveries fail for the whole retry window, audited', async () => {
    receiver.route('down', () => 500);
    const endpoint = await register('down', ['export.cancelled']);
    const job = await endJob('cancelled');

    const disabled = await eventually(
      () => endpointOf(endpoint.id),
      (e) => e.status === 'disabled',
      GIVE_UP_MS * 2 + 5000,
    );
    expect(disabled.disabledReason).toBe('failing');
    const [delivery] = (await deliveriesOf(endpoint.id)).filter((d) => d.jobId === job.id);
    expect(delivery).toMatchObject({ status: 'failed', lastResponseCode: 500 });
    expect(delivery.attempts).toBeGreaterThan(3);
    expect(receivedAbout('down', job.id).length).toBe(delivery.attempts);
    expect(await auditActions(acme.id)).toContainEqual({
      action: 'webhook.disabled',
      details: expect.objectContaining({ endpointId: endpoint.id, reason: 'failing' }) as unknown,
    });
  }, 30_000);

  it('rotates the secret: deliveries carry both signatures for 24 h; audited', async () => {
    receiver.route('rotating');
    const endpoint = await register('rotating', ['export.expired']);
    const rotated = await request(api.baseUrl)
      .post(`/webhook-endpoints/${endpoint.id}/rotate-secret`)
      .set(as(acme, 'admin'))
      .expect(200);
    const secret = body(rotated).secret;
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(endpoint.secret);
    const expires = Date.parse(body(rotated).previousSecretExpiresAt);
    expect(Math.abs(expires - Date.now() - 24 * 3600_000)).toBeLessThan(60_000);
    receiver.trust('rotating', secret, endpoint.secret, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const job = await endJob('expired');

    const [delivery] = await eventually(
      () => Promise.resolve(receivedAbout('rotating', job.id)),
      (list) => list.length >= 1,
    );
    expect(delivery.verifiedWith).toEqual([true, true, false]);
    expect(delivery.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(await auditActions(acme.id)).toContainEqual({
      action: 'webhook.secret_rotated',
      details: expect.objectContaining({ endpointId: endpoint.id }) as unknown,
    });
  });

  it('deletes an endpoint (204, audited, then 404) and pages the list', async () => {
    const ids: string[] = [];
    for (const route of ['page-a', 'page-b', 'page-c'])
      ids.push((await register(route, ['export.failed'], globex)).id);
    const first = await request(api.baseUrl)
      .get('/webhook-endpoints?limit=2')
      .set(as(globex, 'admin'))
      .expect(200);
    expect((body(first).items as Endpoint[]).map((e) => e.id)).toEqual([ids[2], ids[1]]);
    const second = await request(api.baseUrl)
      .get(`/webhook-endpoints?limit=2&cursor=${body(first).nextCursor as string}`)
      .set(as(globex, 'admin'))
      .expect(200);
    expect(second.body).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    await request(api.baseUrl).get('/webhook-endpoints?cursor=nonsense').set(as(globex, 'admin')).expect(400);

    await request(api.baseUrl).delete(`/webhook-endpoints/${ids[0]}`).set(as(globex, 'admin')).expect(204);
    await request(api.baseUrl).delete(`/webhook-endpoints/${ids[0]}`).set(as(globex, 'admin')).expect(404);
    await request(api.baseUrl)
      .get(`/webhook-endpoints/${ids[0]}/deliveries`)
      .set(as(globex, 'admin'))
      .expect(404);
    await request(api.baseUrl).delete('/webhook-endpoints/not-a-uuid').set(as(globex, 'admin')).expect(400);
    expect(await auditActions(globex.id)).toContainEqual({
      action: 'webhook.deleted',
      details: { endpointId: ids[0] },
    });
  });
});
