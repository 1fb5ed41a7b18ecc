import { GLOBEX } from '@app/infrastructure';
import { randomUUID } from 'node:crypto';
import type { ExportJobStatusValue } from '@app/domain';
import type { Pool } from 'pg';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import {
  bearer,
  cancelActiveJobs,
  insertJob,
  rawToken,
  startApi,
  type StartedApi,
  tokenFor,
} from '../support/api';
import { testDataSource, testPool } from '../support/database';
import { createTestTenant, type TestTenant } from '../support/factories';

/**
 * Who may do what (CONTRACT §3), cell by cell: ten identities x every route x (own job, another user's job of the
 * same tenant, another tenant's job). Every cell gets a fresh job in the state the route needs (a queued job to
 * cancel, a failed one to retry, a completed one with its file to download), so no cell depends on another.
 */
const VALID = ['admin', 'agent', 'viewer', 'auditor', 'globex admin'] as const;
const INVALID = ['no token', 'expired token', 'deleted user', 'foreign tid', 'disabled user'] as const;
type Identity = (typeof VALID)[number] | (typeof INVALID)[number];
const IDENTITIES: readonly Identity[] = [...VALID, ...INVALID];
const JOBS = ['own job', 'same-tenant other user', 'other tenant'] as const;
type JobKind = (typeof JOBS)[number];
/** A status code, or for the listing: 200 with the job in the items ('listed') or not ('hidden'). */
type Expected = number | 'listed' | 'hidden';

// prettier-ignore
const JOB_ROUTES: Readonly<Record<string, {
  readonly status: ExportJobStatusValue;
  readonly expected: Readonly<Record<(typeof VALID)[number], readonly [Expected, Expected, Expected]>>;
}>> = {
  //                                           own       other     other tenant
  'GET /export-jobs/:id': { status: 'running', expected: {
    admin:          [200,      200,      404],
    agent:          [200,      404,      404],
    viewer:         [200,      404,      404],
    auditor:        [200,      404,      404],
    'globex admin': [200,      200,      404],
  } },
  'GET /export-jobs': { status: 'queued', expected: {
    admin:          ['listed', 'listed', 'hidden'],
    agent:          ['listed', 'hidden', 'hidden'],
    viewer:         ['listed', 'hidden', 'hidden'],
    auditor:        ['listed', 'hidden', 'hidden'],
    'globex admin': ['listed', 'listed', 'hidden'],
  } },
  'GET /export-jobs/:id/download': { status: 'completed', expected: {
    admin:          [200,      200,      404],
    agent:          [403,      404,      404],
    viewer:         [403,      404,      404],
    auditor:        [403,      404,      404],
    'globex admin': [200,      200,      404],
  } },
  'POST /export-jobs/:id/cancel': { status: 'queued', expected: {
    admin:          [200,      200,      404],
    agent:          [200,      404,      404],
    viewer:         [403,      404,      404],
    auditor:        [403,      404,      404],
    'globex admin': [200,      200,      404],
  } },
  'POST /export-jobs/:id/retry': { status: 'failed', expected: {
    admin:          [202,      202,      404],
    agent:          [202,      404,      404],
    viewer:         [403,      404,      404],
    auditor:        [403,      404,      404],
    'globex admin': [202,      202,      404],
  } },
};

// prettier-ignore
const OTHER_ROUTES: Readonly<Record<string, Readonly<Record<(typeof VALID)[number], number>>>> = {
  'GET /export-sources':           { admin: 200, agent: 200, viewer: 200, auditor: 200, 'globex admin': 200 },
  'GET /ticket-views':             { admin: 200, agent: 200, viewer: 200, auditor: 200, 'globex admin': 200 },
  'GET /ticket-views/:id/tickets': { admin: 200, agent: 200, viewer: 200, auditor: 200, 'globex admin': 200 },
  'POST /export-jobs':             { admin: 202, agent: 202, viewer: 403, auditor: 403, 'globex admin': 202 },
};

const isValid = (identity: Identity): identity is (typeof VALID)[number] =>
  (VALID as readonly string[]).includes(identity);

const JOB_CELLS = Object.entries(JOB_ROUTES).flatMap(([route, { status, expected }]) =>
  IDENTITIES.flatMap((identity) =>
    JOBS.map((job, i) => ({
      route,
      status,
      identity,
      job,
      expected: isValid(identity) ? expected[identity][i] : 401,
    })),
  ),
);
const OTHER_CELLS = Object.entries(OTHER_ROUTES).flatMap(([route, expected]) =>
  IDENTITIES.map((identity) => ({ route, identity, expected: isValid(identity) ? expected[identity] : 401 })),
);

describe('authorization matrix', () => {
  let api: StartedApi;
  let pool: Pool;
  let dataSource: DataSource;
  let acme: TestTenant;
  let globex: TestTenant;
  const tokens = new Map<Identity, string | null>();

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    [acme, globex] = await Promise.all([createTestTenant(pool), createTestTenant(pool, GLOBEX)]);
    api = await startApi({ env: { EXPORT_MAX_ACTIVE_PER_USER: '1000' } });
    const { config } = api;
    // A user who may export, then disabled; and a user deleted after its token was issued.
    await pool.query('INSERT INTO user_roles (tenant_id, user_id, role_id) VALUES ($1, $2, $3)', [
      acme.id,
      acme.userId('barbara.liskov'),
      acme.roleIds.Agent,
    ]);
    await pool.query('UPDATE users SET disabled_at = now() WHERE id = $1', [acme.userId('barbara.liskov')]);
    const deleted = tokenFor(config, acme, 'ken.thompson');
    await pool.query('DELETE FROM users WHERE id = $1', [acme.userId('ken.thompson')]);
    tokens.set('admin', tokenFor(config, acme, 'admin'));
    tokens.set('agent', tokenFor(config, acme, 'agent'));
    tokens.set('viewer', tokenFor(config, acme, 'viewer'));
    tokens.set('auditor', tokenFor(config, acme, 'auditor'));
    tokens.set('globex admin', tokenFor(config, globex, 'admin'));
    tokens.set('no token', null);
    tokens.set('expired token', rawToken(config, { sub: acme.userId('admin'), tid: acme.id }, -60));
    tokens.set('deleted user', deleted);
    tokens.set('foreign tid', rawToken(config, { sub: acme.userId('admin'), tid: globex.id }));
    tokens.set('disabled user', tokenFor(config, acme, 'barbara.liskov'));
  });

  afterAll(async () => {
    await cancelActiveJobs(pool, [acme.id, globex.id]);
    await api.close();
    await dataSource.destroy();
    await pool.end();
  });

  const headersOf = (identity: Identity): Record<string, string> => {
    const token = tokens.get(identity);
    return token ? bearer(token) : {};
  };

  /** Who requested the job of a cell, by the identity's point of view. */
  function ownerOf(identity: Identity, job: JobKind): { tenant: TestTenant; requester: string } {
    if (identity === 'globex admin')
      return {
        'own job': { tenant: globex, requester: 'admin' },
        'same-tenant other user': { tenant: globex, requester: 'homer.simpson' },
        'other tenant': { tenant: acme, requester: 'admin' },
      }[job];
    const own = isValid(identity) ? identity : 'admin';
    return {
      'own job': { tenant: acme, requester: own },
      'same-tenant other user': { tenant: acme, requester: own === 'agent' ? 'admin' : 'agent' },
      'other tenant': { tenant: globex, requester: 'admin' },
    }[job];
  }

  it(`covers ${JOB_CELLS.length + OTHER_CELLS.length} cells`, () => {
    expect(JOB_CELLS).toHaveLength(10 * 5 * 3);
    expect(OTHER_CELLS).toHaveLength(10 * 4);
  });

  it.each(JOB_CELLS)(
    '$route | $identity | $job -> $expected',
    async ({ route, status, identity, job, expected }) => {
      const created = await insertJob(dataSource, api.storage, { ...ownerOf(identity, job), status });
      const [method, template] = route.split(' ');
      const path = template.replace(':id', created.id);
      const http = request(api.baseUrl);
      const response = await (method === 'GET' ? http.get(path) : http.post(path)).set(headersOf(identity));
      if (expected === 'listed' || expected === 'hidden') {
        expect(response.status).toBe(200);
        const ids = (response.body as { items: { id: string }[] }).items.map((item) => item.id);
        expect(ids.includes(created.id)).toBe(expected === 'listed');
      } else {
        expect(response.status).toBe(expected);
        if (expected >= 400) expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    },
  );

  it.each(OTHER_CELLS)('$route | $identity -> $expected', async ({ route, identity, expected }) => {
    const tenant = identity === 'globex admin' ? globex : acme;
    const http = request(api.baseUrl);
    const response =
      route === 'POST /export-jobs'
        ? await http.post('/export-jobs').set(headersOf(identity)).send({ format: 'json' })
        : await http
            .get(route.split(' ')[1].replace(':id', tenant.viewIds['All tickets']))
            .set(headersOf(identity));
    expect(response.status).toBe(expected);
  });

  describe('a revoked permission takes effect on the next request', () => {
    const agentRole = () => acme.roleIds.Agent;

    afterAll(async () => {
      await pool.query('UPDATE roles SET permissions = permissions | 512 WHERE id = $1', [agentRole()]);
    });

    it('refuses the agent at once, still shows it its own job, and restores it as soon as the flag is back', async () => {
      const http = request(api.baseUrl);
      const agent = headersOf('agent');
      const before = await http.post('/export-jobs').set(agent).send({});
      expect(before.status).toBe(202);
      const jobId = (before.body as { id: string }).id;

      await pool.query('UPDATE roles SET permissions = permissions & ~512 WHERE id = $1', [agentRole()]);
      expect((await http.post('/export-jobs').set(agent).send({})).status).toBe(403);
      expect((await http.get(`/export-jobs/${jobId}`).set(agent)).status).toBe(200);
      expect((await http.post(`/export-jobs/${jobId}/cancel`).set(agent)).status).toBe(403);

      await pool.query('UPDATE roles SET permissions = permissions | 512 WHERE id = $1', [agentRole()]);
      expect((await http.post(`/export-jobs/${jobId}/cancel`).set(agent)).status).toBe(200);
      expect((await http.post('/export-jobs').set(agent).send({})).status).toBe(202);
    });

    it('an admin who loses the flag no longer sees other users’ jobs nor downloads', async () => {
      const http = request(api.baseUrl);
      const admin = headersOf('admin');
      const job = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'agent',
        status: 'completed',
      });
      expect((await http.get(`/export-jobs/${job.id}/download`).set(admin)).status).toBe(200);
      await pool.query('UPDATE roles SET permissions = permissions & ~512 WHERE id = $1', [
        acme.roleIds.Administrator,
      ]);
      try {
        expect((await http.get(`/export-jobs/${job.id}/download`).set(admin)).status).toBe(404);
        expect((await http.get(`/export-jobs/${job.id}`).set(admin)).status).toBe(404);
      } finally {
        await pool.query('UPDATE roles SET permissions = permissions | 512 WHERE id = $1', [
          acme.roleIds.Administrator,
        ]);
      }
      expect((await http.get(`/export-jobs/${job.id}/download`).set(admin)).status).toBe(200);
    });

    it('a token whose user id is not even a UUID is refused like any unknown user', async () => {
      const token = rawToken(api.config, { sub: 'not-a-uuid', tid: acme.id });
      expect((await request(api.baseUrl).get('/export-jobs').set(bearer(token))).status).toBe(401);
      const forged = rawToken(api.config, { sub: acme.userId('admin'), tid: acme.id }, 3600, 'x'.repeat(32));
      expect((await request(api.baseUrl).get('/export-jobs').set(bearer(forged))).status).toBe(401);
      const unknown = rawToken(api.config, { sub: randomUUID(), tid: acme.id });
      expect((await request(api.baseUrl).get('/export-jobs').set(bearer(unknown))).status).toBe(401);
    });
  });
});
