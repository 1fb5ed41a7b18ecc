import { readConfig } from '@app/infrastructure';
import { QueueModule } from '@app/infrastructure/nest/queue.module';
import type { Pool } from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { DataSource } from 'typeorm';
import { cancelActiveJobs, startApi, type StartedApi, tokenFor } from '../support/api';
import { launchChromium } from '../support/browser';
import { insertBulkTickets } from '../support/bulk-tickets';
import { testDataSource, testPool } from '../support/database';
import { createTestTenant, type TestTenant } from '../support/factories';
import { FaultProxy } from '../support/fault-proxy';
import { emptyRedisDb, type RunningWorker, startWorker } from '../support/worker';

const TICKETS = 4000;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a browser spec of the admin page drives, and the steps its scenarios share. */
export interface AdminPageHarness {
  readonly api: StartedApi;
  readonly pool: Pool;
  readonly dataSource: DataSource;
  /** The spec file's tenant, with TICKETS tickets. */
  readonly acme: TestTenant;
  /** The worker reads PostgreSQL through it: throttle it while a scenario needs a running export to watch. */
  readonly proxy: FaultProxy;
  newPage(width?: number): Promise<Page>;
  /** Opens the page through a sign-in link (`/admin#token=...`), then `route` (a hash such as `#/history`). */
  signedIn(localPart: string, route?: string, width?: number, tenant?: TestTenant): Promise<Page>;
  /** The Idempotency-Key of every POST /export-jobs the page sends from now on (undefined when it had none). */
  idempotencyKeysOf(page: Page): (string | undefined)[];
  /** How many jobs the spec's tenant has, whatever their state. */
  jobCount(): Promise<number>;
}

export const jobIdOf = (page: Page): string => new URL(page.url()).hash.replace('#/jobs/', '');

/**
 * Registers the hooks of a browser spec file: the real API, a worker (reading PostgreSQL through a fault proxy, on
 * Redis database `redisDb`), Chromium, and a tenant of the file's own. After each scenario the proxy passes again
 * and no page may have logged a CSP violation or thrown.
 */
export function useAdminPage(redisDb: number): AdminPageHarness {
  let api: StartedApi;
  let worker: RunningWorker;
  let proxy: FaultProxy;
  let pool: Pool;
  let dataSource: DataSource;
  let acme: TestTenant;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const cspViolations: string[] = [];

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    // Its reconciler runs once at start and would enqueue queued jobs other runs left behind: retire the old ones.
    await pool.query(
      `UPDATE export_jobs SET status = 'cancelled', stage = NULL, version = version + 1, updated_at = now()
        WHERE status IN ('queued', 'running') AND requested_at < now() - interval '10 minutes'`,
    );
    acme = await createTestTenant(pool);
    await insertBulkTickets(pool, acme, { count: TICKETS, createdBefore: new Date('2026-06-01T00:00:00Z') });
    const redisUrl = await emptyRedisDb(redisDb);
    proxy = await FaultProxy.forUrl(readConfig().databaseUrl);
    [api, browser] = await Promise.all([
      startApi({ env: { REDIS_URL: redisUrl }, queueModule: (config) => QueueModule.forRoot(config) }),
      launchChromium(),
    ]);
    worker = await startWorker({
      env: {
        REDIS_URL: redisUrl,
        DATABASE_URL: proxy.rewrite(readConfig().databaseUrl),
        STORAGE_DRIVER: 'local',
        STORAGE_LOCAL_DIR: api.storageDir,
        // Jobs this spec puts in the database in a running state must stay as they are while a page shows them.
        EXPORT_RECONCILE_INTERVAL_S: '3600',
      },
    });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await worker?.stop();
    if (acme) await cancelActiveJobs(pool, [acme.id]);
    await api?.close();
    await proxy?.close();
    await dataSource?.destroy();
    await pool?.end();
  });

  afterEach(() => {
    proxy.setMode('pass');
    expect(cspViolations).toEqual([]);
  });

  async function newPage(width = 1100): Promise<Page> {
    // The browser's time zone is the export dialog's default.
    const context = await browser.newContext({
      viewport: { width, height: 800 },
      acceptDownloads: true,
      timezoneId: 'Europe/Paris',
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on('pageerror', (error) => cspViolations.push(`page error: ${error.message}`));
    return page;
  }

  async function signedIn(
    localPart: string,
    route = '#/views',
    width?: number,
    tenant: TestTenant = acme,
  ): Promise<Page> {
    const page = await newPage(width);
    await page.goto(`${api.baseUrl}/admin#token=${tokenFor(api.config, tenant, localPart)}`);
    await page.getByRole('heading', { name: 'Ticket views' }).waitFor();
    if (route !== '#/views') await page.goto(`${api.baseUrl}/admin${route}`);
    return page;
  }

  function idempotencyKeysOf(page: Page): (string | undefined)[] {
    const keys: (string | undefined)[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/export-jobs')
        keys.push(request.headers()['idempotency-key']);
    });
    return keys;
  }

  async function jobCount(): Promise<number> {
    const { rows } = await pool.query<{ count: string }>(
      'SELECT count(*) FROM export_jobs WHERE tenant_id = $1',
      [acme.id],
    );
    return Number(rows[0].count);
  }

  return {
    get api() {
      return api;
    },
    get pool() {
      return pool;
    },
    get dataSource() {
      return dataSource;
    },
    get acme() {
      return acme;
    },
    get proxy() {
      return proxy;
    },
    newPage,
    signedIn,
    idempotencyKeysOf,
    jobCount,
  };
}
