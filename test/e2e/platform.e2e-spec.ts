import { LocalFileStorage } from '@app/infrastructure';
import { randomUUID } from 'node:crypto';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { Pool } from 'pg';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import {
  bearer,
  cancelActiveJobs,
  eventually,
  insertJob,
  startApi,
  type StartedApi,
  tokenFor,
} from '../support/api';
import { testDataSource, testPool } from '../support/database';
import { createTestTenant, type TestTenant } from '../support/factories';

describe('health, metrics, docs, errors and logs', () => {
  let api: StartedApi;
  let pool: Pool;
  let dataSource: DataSource;
  let acme: TestTenant;
  const logs: string[] = [];

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    acme = await createTestTenant(pool);
    api = await startApi({ env: { LOG_LEVEL: 'info' }, logs });
  });

  afterAll(async () => {
    await cancelActiveJobs(pool, [acme.id]);
    await api.close();
    await dataSource.destroy();
    await pool.end();
  });

  describe('health', () => {
    it('live and ready answer without a token', async () => {
      expect((await request(api.baseUrl).get('/health/live')).body).toEqual({ status: 'ok' });
      const ready = await request(api.baseUrl).get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok', storage: 'ok' } });
    });

    it('ready is 503 naming what is down (Redis unreachable, storage not writable)', async () => {
      const broken = await startApi({
        env: { REDIS_URL: 'redis://127.0.0.1:1' },
        storage: new LocalFileStorage('/dev/null/storage'),
      });
      try {
        const ready = await request(broken.baseUrl).get('/health/ready');
        expect(ready.status).toBe(503);
        expect(ready.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(ready.body).toMatchObject({
          status: 503,
          code: 'SERVICE_UNAVAILABLE',
          checks: { database: 'ok', redis: 'unavailable', storage: 'unavailable' },
        });
        expect((await request(broken.baseUrl).get('/health/live')).status).toBe(200);
      } finally {
        await broken.close();
      }
    });
  });

  describe('metrics', () => {
    it('exposes jobs by status, queue depth, rows, export durations and HTTP latency by route', async () => {
      const job = await insertJob(dataSource, api.storage, {
        tenant: acme,
        requester: 'agent',
        status: 'completed',
        format: 'ndjson',
      });
      await insertJob(dataSource, api.storage, { tenant: acme, requester: 'agent', status: 'queued' });
      await request(api.baseUrl)
        .get(`/export-jobs/${job.id}`)
        .set(bearer(tokenFor(api.config, acme, 'agent')));
      const response = await request(api.baseUrl).get('/metrics');
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      const text = response.text;
      expect(text).toMatch(/^export_jobs\{status="completed"\} [1-9]\d*$/m);
      expect(text).toMatch(/^export_jobs\{status="expired"\} \d+$/m);
      expect(text).toMatch(/^export_queue_depth [1-9]\d*$/m);
      expect(text).toMatch(/^export_rows_exported_total\{format="ndjson"\} [1-9]\d*$/m);
      expect(text).toMatch(/^export_job_duration_seconds_count\{format="ndjson"\} [1-9]\d*$/m);
      expect(text).toMatch(
        /^http_request_duration_seconds_count\{method="GET",route="\/export-jobs\/:id",status_code="200"\} [1-9]\d*$/m,
      );
      expect(text).toMatch(/^process_cpu_seconds_total /m);
      // A completed job is counted once, however often the metrics are read.
      const again = (await request(api.baseUrl).get('/metrics')).text;
      const rows = (t: string) => /^export_rows_exported_total\{format="ndjson"\} (\d+)$/m.exec(t)?.[1];
      expect(rows(again)).toBe(rows(text));
    });
  });

  describe('OpenAPI', () => {
    it('serves Swagger UI at /docs', async () => {
      const response = await request(api.baseUrl).get('/docs/');
      expect(response.status).toBe(200);
      expect(response.text).toContain('swagger-ui');
    });

    it('serves a valid OpenAPI 3 document at /docs-json, with every route, examples and the problem schema', async () => {
      const response = await request(api.baseUrl).get('/docs-json');
      expect(response.status).toBe(200);
      const document = response.body as {
        openapi: string;
        paths: Record<string, Record<string, unknown>>;
        components: { schemas: Record<string, { properties?: Record<string, { example?: unknown }> }> };
      };
      expect(document.openapi).toMatch(/^3\./);
      await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
      expect(Object.keys(document.paths).sort()).toEqual(
        [
          '/export-jobs',
          '/export-jobs/estimate',
          '/export-jobs/{id}',
          '/export-jobs/{id}/cancel',
          '/export-jobs/{id}/download',
          '/export-jobs/{id}/events',
          '/export-jobs/{id}/retry',
          '/export-sources',
          '/health/live',
          '/health/ready',
          '/metrics',
          '/ticket-views',
          '/ticket-views/{id}/tickets',
          '/webhook-endpoints',
          '/webhook-endpoints/{id}',
          '/webhook-endpoints/{id}/deliveries',
          '/webhook-endpoints/{id}/rotate-secret',
        ].sort(),
      );
      const problem = document.components.schemas.ProblemDto;
      expect(Object.keys(problem.properties ?? {}).sort()).toEqual(
        ['code', 'detail', 'errors', 'status', 'title', 'type'].sort(),
      );
      expect(document.components.schemas.ExportJobDto.properties?.status.example).toBe('running');
      expect(Object.keys(document.components.schemas.ExportEstimateDto.properties ?? {}).sort()).toEqual(
        ['bytes', 'rows', 'rowsExact', 'seconds'].sort(),
      );
      expect(document.components.schemas.CreateExportJobDto.properties?.ticketIds.example).toEqual([
        1042, 1043, 1077,
      ]);
      expect(JSON.stringify(document.paths['/export-jobs'].post)).toContain(
        '#/components/schemas/ProblemDto',
      );
      const events = document.paths['/export-jobs/{id}/events'].get as {
        responses: Record<string, { content?: Record<string, unknown> }>;
      };
      expect(Object.keys(events.responses['200'].content ?? {})).toEqual(['text/event-stream']);
      expect(Object.keys(events.responses).sort()).toEqual(['200', '400', '401', '404', '429']);
    });
  });

  describe('errors and logs', () => {
    it('gives every response an x-request-id, echoing a sane incoming one', async () => {
      const fresh = await request(api.baseUrl).get('/health/live');
      expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const echoed = await request(api.baseUrl).get('/health/live').set('x-request-id', 'trace-abc-123');
      expect(echoed.headers['x-request-id']).toBe('trace-abc-123');
      const refused = await request(api.baseUrl).get('/health/live').set('x-request-id', 'bad id\u00e9');
      expect(refused.headers['x-request-id']).not.toBe('bad id\u00e9');
    });

    it('answers 401 problems with WWW-Authenticate: Bearer', async () => {
      const response = await request(api.baseUrl).get('/export-jobs').set('Authorization', 'Basic YTpi');
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.body).toMatchObject({ code: 'AUTH.UNAUTHENTICATED', status: 401 });
    });

    it('answers an unexpected failure with a generic 500 naming the request id, and logs it with ids and stack', async () => {
      const job = await insertJob(dataSource, api.storage, { tenant: acme, requester: 'agent' });
      await pool.query(`UPDATE export_jobs SET query = '{"columns": 42}' WHERE id = $1`, [job.id]);
      const response = await request(api.baseUrl)
        .get(`/export-jobs/${job.id}`)
        .set(bearer(tokenFor(api.config, acme, 'agent')));
      expect(response.status).toBe(500);
      const requestId = response.headers['x-request-id'];
      expect(response.body).toEqual({
        type: 'https://export-service.dev/problems/internal-error',
        title: 'Internal Server Error',
        status: 500,
        detail: `Something went wrong on our side. Quote request id ${requestId} when you report it.`,
        code: 'INTERNAL_ERROR',
      });
      expect(response.text).not.toMatch(/TypeError|map|\.ts:/);
      const line = await eventually(
        () => Promise.resolve(logs.map((l) => JSON.parse(l) as Record<string, unknown>)),
        (entries) => entries.some((e) => e.requestId === requestId && e.level === 50 && e.err !== undefined),
      );
      const logged = line.find((e) => e.requestId === requestId && e.level === 50 && e.err !== undefined);
      expect(logged).toMatchObject({
        requestId,
        userId: acme.userId('agent'),
        tenantId: acme.id,
        jobId: job.id,
        err: { type: 'TypeError', stack: expect.stringContaining('TypeError') as unknown },
      });
    });

    it('logs requests as JSON with the request id and the caller, never the token', async () => {
      const token = tokenFor(api.config, acme, 'admin');
      const response = await request(api.baseUrl).get('/export-sources').set(bearer(token));
      const requestId = response.headers['x-request-id'];
      const entries = await eventually(
        () => Promise.resolve(logs.map((l) => JSON.parse(l) as Record<string, unknown>)),
        (all) => all.some((e) => e.requestId === requestId && e.msg === 'request completed'),
      );
      expect(entries.find((e) => e.requestId === requestId && e.msg === 'request completed')).toMatchObject({
        userId: acme.userId('admin'),
        tenantId: acme.id,
        res: { statusCode: 200 },
      });
      expect(logs.join('\n')).not.toContain(token);
    });

    it('answers unknown routes with a 404 problem', async () => {
      const response = await request(api.baseUrl).get(`/nowhere/${randomUUID()}`);
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });
});
