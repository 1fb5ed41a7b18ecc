/**
 * Redis database 14.
 *
 * Issue 15, scenario i, through HTTP (the real API) and the engine (the built worker):
 * - two concurrent `POST /export-jobs/:id/retry` of one failed job make exactly one new job: the second request gets
 *   that job back with 200, or 409 when its caller may not see it;
 * - `@me` is stored resolved to the requester when the job is requested, so an admin's retry exports the original
 *   requester's rows; a job stored before that (its query still says `@me`) is retried with its requester's `@me`.
 */
import { ExportQueue } from '@app/application';
import { QueueModule } from '@app/infrastructure/nest/queue.module';
import type { Pool } from 'pg';
import request from 'supertest';
import {
  bearer,
  bytesBody,
  cancelActiveJobs,
  insertJob,
  startApi,
  type StartedApi,
  tokenFor,
} from '../support/api';
import { testDataSource, testPool } from '../support/database';
import { aTicket, createTestTenant, insertTickets, type TestTenant } from '../support/factories';
import { readCsv } from '../support/file-readers';
import { waitForJob, isFinished } from '../support/job-polling';
import { redisUrlWithDb, type RunningWorker, startWorker } from '../support/worker';
import type { DataSource } from 'typeorm';

jest.setTimeout(120_000);

interface JobBody {
  id: string;
  status: string;
  retryOf: string | null;
  requestedBy: { id: string; email: string };
  links: { self: string; download?: string };
}

describe('retry (issue 15 i)', () => {
  let api: StartedApi;
  let worker: RunningWorker;
  let pool: Pool;
  let dataSource: DataSource;
  let tenant: TestTenant;
  let admin: Record<string, string>;
  let agent: Record<string, string>;
  /** Ids of the tickets assigned to the agent and open: what "My open tickets" holds for the agent. */
  let agentsOpen: number[];

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    tenant = await createTestTenant(pool);
    await insertTickets(
      pool,
      tenant,
      Array.from({ length: 40 }, (_, i) =>
        aTicket({
          title: `Ticket ${i}`,
          status: ['new', 'open', 'solved'][i % 3],
          assignee: ['agent', 'admin', null, 'agent'][i % 4],
          creationTime: new Date(Date.UTC(2026, 0, 1, 0, i)),
        }),
      ),
    );
    const { rows } = await pool.query<{ id: string }>(
      `SELECT t.id FROM tickets t JOIN ticket_statuses s ON s.id = t.status_id
        WHERE t.tenant_id = $1 AND t.assignee_id = $2 AND s.type = 'open' AND t.deleted_at IS NULL ORDER BY t.id`,
      [tenant.id, tenant.userId('agent')],
    );
    agentsOpen = rows.map((r) => Number(r.id));
    const redisUrl = redisUrlWithDb(14);
    api = await startApi({
      env: { REDIS_URL: redisUrl },
      queueModule: (config) => QueueModule.forRoot(config),
    });
    worker = await startWorker({
      env: { REDIS_URL: redisUrl, STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: api.storageDir },
    });
    admin = bearer(tokenFor(api.config, tenant, 'admin'));
    agent = bearer(tokenFor(api.config, tenant, 'agent'));
  });

  afterAll(async () => {
    await worker?.stop();
    if (tenant) await cancelActiveJobs(pool, [tenant.id]);
    await api?.close();
    await dataSource?.destroy();
    await pool?.end();
  });

  const retry = (id: string, as: Record<string, string>): request.Test =>
    request(api.baseUrl).post(`/export-jobs/${id}/retry`).set(as);

  async function retriesOf(id: string): Promise<{ jobs: string[]; audited: number; fence: string | null }> {
    const jobs = await pool.query<{ id: string }>('SELECT id FROM export_jobs WHERE retry_of = $1', [id]);
    const audited = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'export.retried' AND details->>'retryOf' = $1`,
      [id],
    );
    const fence = await pool.query<{ retried_by_id: string | null }>(
      'SELECT retried_by_id FROM export_jobs WHERE id = $1',
      [id],
    );
    return {
      jobs: jobs.rows.map((r) => r.id),
      audited: audited.rows[0].n,
      fence: fence.rows[0].retried_by_id,
    };
  }

  it('two concurrent retries of one failed job, by the same or different users, make one job; the other gets it (200) or 409', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 12; round++) {
      const failed = await insertJob(dataSource, api.storage, {
        tenant,
        requester: 'agent',
        status: 'failed',
      });
      const second = round % 2 === 0 ? agent : admin; // agent + agent, then agent + admin
      const [x, y] = await Promise.all([retry(failed.id, agent), retry(failed.id, second)]);
      const statuses = [x.status, y.status].sort();
      outcomes.push(statuses.join('+'));
      const made = [x, y].find((r) => r.status === 202);
      const other = [x, y].find((r) => r !== made);
      expect(made).toBeDefined();
      expect([200, 409]).toContain(other?.status);
      const job = made?.body as JobBody;
      expect(job).toMatchObject({ status: 'queued', retryOf: failed.id });
      expect(made?.headers.location).toBe(`/export-jobs/${job.id}`);
      if (other?.status === 200) {
        expect((other.body as JobBody).id).toBe(job.id);
        expect(other.headers.location).toBe(`/export-jobs/${job.id}`);
      } else {
        expect(other?.body).toMatchObject({ status: 409, code: 'EXPORT_JOB.NOT_RETRYABLE' });
      }
      expect(await retriesOf(failed.id)).toEqual({ jobs: [job.id], audited: 1, fence: job.id });

      // Later, the same: the retry made is the answer, nothing new is written.
      const later = await retry(failed.id, agent);
      if (job.requestedBy.id === tenant.userId('agent')) {
        expect(later.status).toBe(200);
        expect((later.body as JobBody).id).toBe(job.id);
      } else expect(later.status).toBe(409);
      expect((await retriesOf(failed.id)).jobs).toEqual([job.id]);
      // The worker runs the retry; waiting for it keeps the agent under EXPORT_MAX_ACTIVE_PER_USER (3) on a slow machine.
      await waitForJob(pool, tenant.id, job.id, isFinished, 60_000);
    }
    process.stdout.write(`[retry] 12 concurrent retry pairs: ${outcomes.join(', ')}\n`);
  });

  /** Waits for the worker to finish the job and returns the ticket ids of its CSV file (first column). */
  async function exportedIds(jobId: string, as: Record<string, string>): Promise<number[]> {
    const done = await waitForJob(pool, tenant.id, jobId, isFinished, 60_000);
    expect(done.status).toBe('completed');
    const job = (await request(api.baseUrl).get(`/export-jobs/${jobId}`).set(admin)).body as JobBody;
    const file = await request(api.baseUrl)
      .get(job.links.download ?? '')
      .set(as)
      .buffer(true)
      .parse(bytesBody);
    expect(file.status).toBe(200);
    const { header, records } = readCsv(file.body as Buffer);
    expect(header[0]).toBe('Ticket ID');
    return records.map((r) => Number(r[0])).sort((a, b) => a - b);
  }

  it("an admin's retry of the agent's @me export exports the agent's rows, not the admin's", async () => {
    expect(agentsOpen.length).toBeGreaterThan(3);
    const viewId = tenant.viewIds['My open tickets'];
    const created = await request(api.baseUrl)
      .post('/export-jobs')
      .set(agent)
      .send({ viewId, columns: ['id', 'title'] });
    expect(created.status).toBe(202);
    const original = created.body as JobBody;
    const { rows } = await pool.query<{ query: unknown }>('SELECT query FROM export_jobs WHERE id = $1', [
      original.id,
    ]);
    expect(JSON.stringify(rows[0].query)).not.toContain('@me');
    expect(JSON.stringify(rows[0].query)).toContain(tenant.userId('agent'));
    // The agent's own export holds the agent's open tickets.
    expect(await exportedIds(original.id, admin)).toEqual(agentsOpen);

    // It fails (say a later attempt was lost), and the admin retries it.
    await pool.query(
      `UPDATE export_jobs SET status = 'failed', stage = NULL, error_code = 'EXPORT_JOB.WORKER_LOST',
              error_message = 'The export stopped unexpectedly; retry it.', version = version + 1 WHERE id = $1`,
      [original.id],
    );
    const retried = await retry(original.id, admin);
    expect(retried.status).toBe(202);
    const job = retried.body as JobBody;
    expect(job.requestedBy.id).toBe(tenant.userId('admin'));
    expect(await exportedIds(job.id, admin)).toEqual(agentsOpen);
  });

  it('a job stored before @me was resolved keeps working, and its retry by an admin keeps the requester’s @me', async () => {
    const query = {
      columns: ['id' as const, 'title' as const],
      conditions: [
        {
          and: [
            { field: 'assignee' as const, operator: 'is' as const, value: '@me' },
            { field: 'statusType' as const, operator: 'is' as const, value: 'open' },
          ],
          or: [],
        },
      ],
      sort: [{ field: 'id' as const, direction: 'asc' as const }],
    };
    // An old queued job: the engine resolves its @me from its requester, as before.
    const old = await insertJob(dataSource, api.storage, {
      tenant,
      requester: 'agent',
      status: 'queued',
      query,
    });
    const queued = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM export_jobs WHERE id = $1 AND query::text LIKE '%@me%'`,
      [old.id],
    );
    expect(queued.rows[0].n).toBe(1);
    await api.app.get(ExportQueue).enqueue({ tenantId: tenant.id, jobId: old.id });
    expect(await exportedIds(old.id, admin)).toEqual(agentsOpen);

    const failedOld = await insertJob(dataSource, api.storage, {
      tenant,
      requester: 'agent',
      status: 'failed',
      query,
    });
    const retried = await retry(failedOld.id, admin);
    expect(retried.status).toBe(202);
    expect(await exportedIds((retried.body as JobBody).id, admin)).toEqual(agentsOpen);
  });
});
