import { QueueModule } from '@app/infrastructure/nest/queue.module';
import { RedisJobChangePublisher, TypeormExportJobRepository } from '@app/infrastructure';
import type { Pool } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { bearer, cancelActiveJobs, insertJob, startApi, type StartedApi, tokenFor } from '../support/api';
import { testPool } from '../support/database';
import { openEventStream, type OpenedStream, type StreamEvent } from '../support/event-stream';
import { aTicket, createTestTenant, insertTickets, type TestTenant } from '../support/factories';
import { redisUrlWithDb, type RunningWorker, startWorker } from '../support/worker';

jest.setTimeout(60_000);

/** This spec's own Redis database for the queue (pub/sub channels are shared by all databases anyway). */
const REDIS_DB = 1;
const HEARTBEAT_MS = 300;
const ALLOWED_ORIGIN = 'https://admin.example.test';

interface Job {
  id: string;
  status: string;
  progress: { percent: number; rowsExported: number };
  links: { self: string; download?: string };
}

const jobOf = (event: StreamEvent): Job => JSON.parse(event.data) as Job;
const statusOrder = ['queued', 'running', 'completed', 'failed', 'cancelled', 'expired'];

/**
 * GET /export-jobs/:id/events against the real API, PostgreSQL and Redis pub/sub, and a real worker for the
 * export: what a browser reading the stream with fetch sees.
 */
describe('export job event stream', () => {
  let api: StartedApi;
  let worker: RunningWorker | undefined;
  let pool: Pool;
  let acme: TestTenant;
  let globex: TestTenant;
  let dataSource: DataSource;
  let publisher: RedisJobChangePublisher;
  /** Saves jobs and announces them, as the worker and the API do. */
  let jobs: TypeormExportJobRepository;
  const streams: OpenedStream[] = [];
  const redisUrl = redisUrlWithDb(REDIS_DB);

  beforeAll(async () => {
    pool = testPool();
    acme = await createTestTenant(pool);
    globex = await createTestTenant(pool);
    await insertTickets(
      pool,
      acme,
      Array.from({ length: 300 }, (_, i) => aTicket({ title: `Ticket ${i}` })),
    );
    api = await startApi({
      env: {
        REDIS_URL: redisUrl,
        EVENTS_MAX_STREAMS_PER_USER: '2',
        CORS_ORIGINS: `${ALLOWED_ORIGIN},http://localhost:5173`,
      },
      queueModule: (config) => QueueModule.forRoot(config),
      // Re-checks far apart: every event of these tests comes from a published change.
      events: { heartbeatMs: HEARTBEAT_MS, recheckMs: 120_000 },
    });
    dataSource = api.app.get(DataSource);
    publisher = new RedisJobChangePublisher(redisUrl, { warn: () => undefined });
    jobs = new TypeormExportJobRepository(dataSource, publisher);
  });

  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });

  afterAll(async () => {
    await worker?.stop();
    await cancelActiveJobs(pool, [acme.id, globex.id]);
    publisher?.close();
    await api?.close();
    await pool.end();
  });

  const as = (tenant: TestTenant, who: string) => bearer(tokenFor(api.config, tenant, who));

  async function open(jobId: string, headers: Record<string, string>): Promise<OpenedStream> {
    const stream = await openEventStream(api.baseUrl, `/export-jobs/${jobId}/events`, headers);
    streams.push(stream);
    return stream;
  }

  async function getJob(jobId: string, headers: Record<string, string>): Promise<request.Response> {
    return request(api.baseUrl).get(`/export-jobs/${jobId}`).set(headers);
  }

  it('streams a running export from queued to completed, one event per change, then closes', async () => {
    const admin = as(acme, 'admin');
    const created = await request(api.baseUrl).post('/export-jobs').set(admin).send({ format: 'csv' });
    expect(created.status).toBe(202);
    const id = (created.body as Job).id;

    const stream = await open(id, admin);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(stream.headers['cache-control']).toBe('no-cache');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    const [first] = await stream.waitForEvents(1);
    expect(first.event).toBe('job');
    expect(jobOf(first).status).toBe('queued');

    // No worker consumed this spec's queue until now: every later state is the worker's, announced over Redis.
    worker = await startWorker({
      env: { REDIS_URL: redisUrl, STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: api.storageDir },
    });
    await stream.waitForEnd(30_000);

    const states = stream.events.map(jobOf);
    expect(states.length).toBeGreaterThanOrEqual(3);
    expect(states.some((s) => s.status === 'running')).toBe(true);
    expect(states.at(-1)?.status).toBe('completed');
    const order = states.map((s) => statusOrder.indexOf(s.status));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const percents = states.map((s) => s.progress.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    const ids = stream.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);

    // The last event is exactly what GET answers now, and its id is GET's ETag.
    const now = await getJob(id, admin);
    expect(stream.events.at(-1)?.data).toBe(JSON.stringify(now.body));
    expect(`"${stream.events.at(-1)?.id}"`).toBe(now.headers.etag);
    expect(jobOf(stream.events.at(-1) as StreamEvent).links.download).toBe(`/export-jobs/${id}/download`);
  });

  it('answers like GET /export-jobs/:id: 401 without a token, 400 for a bad id, 404 when not visible', async () => {
    const agentJob = await insertJob(dataSource, api.storage, { tenant: acme, requester: 'agent' });
    const adminJob = await insertJob(dataSource, api.storage, { tenant: acme, requester: 'admin' });

    const anonymous = await open(agentJob.id, {});
    await anonymous.waitForEnd();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);

    const badId = await open('not-a-uuid', as(acme, 'admin'));
    expect(badId.status).toBe(400);

    for (const [tenant, who, jobId] of [
      [globex, 'admin', agentJob.id], // another tenant's export admin
      [acme, 'agent', adminJob.id], // not the requester, not an admin
      [acme, 'viewer', agentJob.id],
    ] as const) {
      const refused = await open(jobId, as(tenant, who));
      await refused.waitForEnd();
      expect({ who, status: refused.status }).toEqual({ who, status: 404 });
      expect(JSON.parse(refused.body())).toMatchObject({ code: 'EXPORT_JOB.NOT_FOUND' });
    }

    // The agent sees its own job; the tenant's export admin sees it too.
    for (const who of ['agent', 'admin']) {
      const seen = await open(agentJob.id, as(acme, who));
      expect(seen.status).toBe(200);
      const [event] = await seen.waitForEvents(1);
      expect(jobOf(event)).toMatchObject({ id: agentJob.id, status: 'queued' });
    }
  });

  it('shows the agent its completed job without a download link, then closes', async () => {
    const done = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'agent',
      status: 'completed',
    });

    const stream = await open(done.id, as(acme, 'agent'));
    await stream.waitForEnd();

    expect(stream.events.map(jobOf)).toEqual([expect.objectContaining({ status: 'completed' })]);
    expect(jobOf(stream.events[0]).links.download).toBeUndefined();
  });

  it('resumes from Last-Event-ID without sending that state again; a cancel by the API ends the stream', async () => {
    const admin = as(acme, 'admin');
    const running = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'admin',
      status: 'running',
    });
    const first = await open(running.id, admin);
    const [seen] = await first.waitForEvents(1);
    first.close();

    const resumed = await open(running.id, { ...admin, 'Last-Event-ID': seen.id });
    expect(resumed.status).toBe(200);
    await resumed.waitForComments(2); // two heartbeats later, still nothing sent
    expect(resumed.events).toEqual([]);

    const job = await jobs.findById(acme.id, running.id);
    job?.reportProgress(70, 100);
    if (job) await jobs.saveProgress(job);
    const [progressed] = await resumed.waitForEvents(1);
    expect(progressed.id).not.toBe(seen.id);
    expect(jobOf(progressed).progress.rowsExported).toBe(70);
    expect(jobOf(progressed).progress.percent).toBeGreaterThan(jobOf(seen).progress.percent);

    const cancelled = await request(api.baseUrl).post(`/export-jobs/${running.id}/cancel`).set(admin);
    expect(cancelled.status).toBe(200);
    await resumed.waitForEnd();
    expect(resumed.events.map((e) => jobOf(e).status)).toEqual(['running', 'cancelled']);

    // Resuming at the terminal state: nothing more to say, the stream ends at once.
    const last = resumed.events[1];
    const atEnd = await open(running.id, { ...admin, 'Last-Event-ID': last.id });
    await atEnd.waitForEnd();
    expect(atEnd.status).toBe(200);
    expect(atEnd.events).toEqual([]);
  });

  it('sends a heartbeat comment while nothing changes', async () => {
    const queued = await insertJob(dataSource, api.storage, { tenant: acme, requester: 'agent' });
    const stream = await open(queued.id, as(acme, 'agent'));
    await stream.waitForEvents(1);
    const started = Date.now();

    await stream.waitForComments(2, 5 * HEARTBEAT_MS);

    expect(stream.comments.slice(0, 2)).toEqual(['heartbeat', 'heartbeat']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(HEARTBEAT_MS);
    expect(stream.events).toHaveLength(1);
    expect(stream.body()).toContain('\n\n: heartbeat\n\n');
  });

  it('refuses a user a stream over its bound with 429 and Retry-After; a closed stream frees its place', async () => {
    const queued = await insertJob(dataSource, api.storage, { tenant: acme, requester: 'admin' });
    const admin = as(acme, 'admin');
    const one = await open(queued.id, admin);
    const two = await open(queued.id, admin);
    expect([one.status, two.status]).toEqual([200, 200]);

    const three = await open(queued.id, admin);
    await three.waitForEnd();
    expect(three.status).toBe(429);
    expect(three.headers['retry-after']).toBe('10');
    expect(JSON.parse(three.body())).toMatchObject({ status: 429, code: 'EVENT_STREAM.TOO_MANY_PER_USER' });

    // Another user is not counted against this one.
    const globexJob = await insertJob(dataSource, api.storage, { tenant: globex, requester: 'admin' });
    expect((await open(globexJob.id, as(globex, 'admin'))).status).toBe(200);

    one.close();
    const again = await eventuallyOpen(queued.id, admin);
    expect(again.status).toBe(200);
  });

  /** The server notices a client gone on its next write at the latest (a heartbeat away). */
  async function eventuallyOpen(jobId: string, headers: Record<string, string>): Promise<OpenedStream> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const stream = await open(jobId, headers);
      if (stream.status === 200 || Date.now() > deadline) return stream;
      stream.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('answers CORS preflights and requests of an allowed origin only', async () => {
    const queued = await insertJob(dataSource, api.storage, { tenant: acme, requester: 'admin' });
    const path = `/export-jobs/${queued.id}/events`;
    const preflight = (origin: string) =>
      request(api.baseUrl)
        .options(path)
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization,last-event-id');

    const allowed = await preflight(ALLOWED_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    const allowedHeaders = String(allowed.headers['access-control-allow-headers']).toLowerCase().split(',');
    expect(allowedHeaders).toEqual(
      expect.arrayContaining(['authorization', 'idempotency-key', 'if-none-match', 'last-event-id']),
    );
    // The methods the API's routes use, DELETE included (a page removes a webhook endpoint), and no others.
    expect(String(allowed.headers['access-control-allow-methods']).split(',').sort()).toEqual([
      'DELETE',
      'GET',
      'HEAD',
      'POST',
    ]);
    const removal = await request(api.baseUrl)
      .options('/webhook-endpoints/0b9c8f52-54a4-4d43-9a43-6f7c0a0c5f10')
      .set('Origin', ALLOWED_ORIGIN)
      .set('Access-Control-Request-Method', 'DELETE')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(removal.status).toBe(204);
    expect(removal.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(String(removal.headers['access-control-allow-methods']).split(',')).toContain('DELETE');

    const refused = await preflight('https://evil.example.test');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(refused.headers['access-control-allow-headers']).toBeUndefined();

    const stream = await open(queued.id, { ...as(acme, 'admin'), Origin: ALLOWED_ORIGIN });
    expect(stream.status).toBe(200);
    expect(stream.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    const exposed = String(stream.headers['access-control-expose-headers']).toLowerCase().split(',');
    expect(exposed).toEqual(
      expect.arrayContaining(['etag', 'retry-after', 'location', 'content-disposition']),
    );

    const get = await getJob(queued.id, { ...as(acme, 'admin'), Origin: 'http://localhost:5173' });
    expect(get.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const foreign = await getJob(queued.id, { ...as(acme, 'admin'), Origin: 'https://evil.example.test' });
    expect(foreign.status).toBe(200);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    // An error answered to an allowed origin is readable by its page too.
    const anonymous = await getJob(queued.id, { Origin: ALLOWED_ORIGIN });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
  });
});

describe('export job event stream without a publish', () => {
  it('still brings the terminal state by its slow re-check; shutting down ends open streams', async () => {
    const pool = testPool();
    const acme = await createTestTenant(pool);
    const api = await startApi({ events: { heartbeatMs: 5_000, recheckMs: 250 } });
    let apiClosed = false;
    try {
      const dataSource = api.app.get(DataSource);
      const job = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'admin',
        status: 'running',
      });
      const stream = await openEventStream(api.baseUrl, `/export-jobs/${job.id}/events`, {
        ...bearer(tokenFor(api.config, acme, 'admin')),
      });
      await stream.waitForEvents(1);

      // Saved without announcing it (a repository with no publisher): as if the publish was lost.
      const silent = new TypeormExportJobRepository(dataSource);
      const loaded = await silent.findById(acme.id, job.id);
      loaded?.cancel();
      if (loaded) await silent.save(loaded);

      await stream.waitForEnd(5_000);
      expect(stream.events.map((e) => jobOf(e).status)).toEqual(['running', 'cancelled']);

      // Shutting the API down ends the streams still open instead of waiting for them.
      const queued = await insertJob(dataSource, api.storage, { tenant: acme, requester: 'admin' });
      const open = await openEventStream(api.baseUrl, `/export-jobs/${queued.id}/events`, {
        ...bearer(tokenFor(api.config, acme, 'admin')),
      });
      await open.waitForEvents(1);
      apiClosed = true;
      const closed = api.close();
      // The server ends it: fails after 5 s if app.close() were left waiting for the stream instead.
      await open.waitForEnd(5_000);
      await closed;
    } finally {
      if (!apiClosed) await api.close();
      await pool.end();
    }
  });
});
