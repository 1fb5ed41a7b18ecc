import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Pool } from 'pg';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { bearer, cancelActiveJobs, insertJob, startApi, type StartedApi, tokenFor } from '../support/api';
import { testDataSource, testPool } from '../support/database';
import { createTestTenant, type TestTenant } from '../support/factories';
import { builtAppEnvironment } from '../support/worker';

const API_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'api', 'src', 'main.js');

/** Issue #15 (l): the hardening an operator and an anonymous client can see over HTTP and at start. */
describe('hardening', () => {
  let api: StartedApi;
  let pool: Pool;
  let dataSource: DataSource;
  let acme: TestTenant;
  let admin: Record<string, string>;

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    acme = await createTestTenant(pool);
    api = await startApi();
    admin = bearer(tokenFor(api.config, acme, 'admin'));
  });

  afterAll(async () => {
    await cancelActiveJobs(pool, [acme.id]);
    await api.close();
    await dataSource.destroy();
    await pool.end();
  });

  const http = () => request(api.baseUrl);

  async function actionsOf(jobId: string): Promise<string[]> {
    const { rows } = await pool.query<{ action: string }>(
      'SELECT action FROM audit_events WHERE job_id = $1 ORDER BY id',
      [jobId],
    );
    return rows.map((row) => row.action);
  }

  it('answers HEAD /download with the headers of the file and audits no download; GET still does', async () => {
    const content = 'id,title\r\n1,hello\r\n2,world\r\n';
    const job = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'admin',
      status: 'completed',
      content,
    });

    const head = await http().head(`/export-jobs/${job.id}/download`).set(admin);

    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(content)));
    expect(head.headers['content-type']).toMatch(/^text\/csv/);
    expect(head.headers['content-disposition']).toMatch(/^attachment;/);
    expect(head.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(await actionsOf(job.id)).not.toContain('export.downloaded');

    const get = await http().get(`/export-jobs/${job.id}/download`).set(admin).buffer(true);
    expect(get.status).toBe(200);
    expect(String(get.text)).toBe(content);
    expect((await actionsOf(job.id)).filter((action) => action === 'export.downloaded')).toHaveLength(1);
  });

  it('refuses HEAD /download of a job the caller may not download like GET does', async () => {
    const job = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'admin',
      status: 'completed',
    });

    const agent = bearer(tokenFor(api.config, acme, 'agent'));

    const head = await http().head(`/export-jobs/${job.id}/download`).set(agent);
    const get = await http().get(`/export-jobs/${job.id}/download`).set(agent);

    expect(head.status).toBe(404);
    expect(get.status).toBe(head.status);
    expect(await actionsOf(job.id)).not.toContain('export.downloaded');
  });

  it.each([
    ['no token', {}],
    ['a forged token', { Authorization: 'Bearer not.a.token' }],
  ])('answers a 2 MB body with %s 401 before parsing it, not 413', async (_, headers) => {
    const body = JSON.stringify({ search: 'x'.repeat(2 * 1024 * 1024) });

    const response = await http()
      .post('/export-jobs')
      .set(headers)
      .set('Content-Type', 'application/json')
      .send(body);

    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect((response.body as { code: string }).code).toBe('AUTH.UNAUTHENTICATED');
  });

  it('still answers an authenticated 2 MB body 413', async () => {
    const response = await http()
      .post('/export-jobs')
      .set(admin)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ search: 'x'.repeat(2 * 1024 * 1024) }));

    expect(response.status).toBe(413);
  });

  it.each([
    ['shorter than 32 bytes', 'a-secret-of-29-bytes-length!!', /AUTH_JWT_SECRET must be at least 32 bytes/],
    [
      'the old docker-compose placeholder',
      'change-me-to-a-long-random-secret',
      /AUTH_JWT_SECRET is a placeholder/,
    ],
  ])(
    'does not start under NODE_ENV=production with a secret %s, in one line naming it',
    (_, secret, message) => {
      const run = spawnSync(process.execPath, [API_MAIN], {
        env: builtAppEnvironment({ NODE_ENV: 'production', AUTH_JWT_SECRET: secret, PORT: '0' }),
        encoding: 'utf8',
        timeout: 20_000,
      });

      expect(run.status).not.toBe(0);
      expect(run.status).not.toBeNull();
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    },
  );
});
