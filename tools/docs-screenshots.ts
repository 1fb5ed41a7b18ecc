import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readConfig, signAccessToken } from '@app/infrastructure';
import { Pool } from 'pg';
import type { Browser, Page } from 'playwright-core';
import { runCli } from '../apps/cli/src/cli';
import { databaseName, findUser, migrate, seedTickets } from './demo/database';
import { childEnvironment } from './demo/stack';
import { launchChromium } from './shared/chromium';
import { FaultProxy } from './shared/fault-proxy';
import { AppProcess, freePort, REPOSITORY_ROOT } from './shared/processes';

/** The screens the README shows, and where they go. */
const DOCS_DIR = join(REPOSITORY_ROOT, 'docs');
const LOG_DIR = join(REPOSITORY_ROOT, 'var', 'docs');
const TICKETS = 20_000;
const ADMIN = 'admin@acme.test';
const READY_TIMEOUT_MS = 60_000;
/** While "status mid-way" is taken, the worker reads PostgreSQL through this throttle: a slow export to watch. */
const SLOW_LINK = { throttle: { bytesPerSecond: 250_000 } } as const;

const say = (line: string): void => void process.stdout.write(`docs:screenshots: ${line}\n`);

/**
 * `npm run docs:screenshots`: the admin page's main screens as PNG files under docs/, shown in the README.
 * Migrates and seeds a database of its own (`<DATABASE_URL's name>_screenshots`, 20,000 tickets), starts the
 * built API and one worker on a free port, and drives the page in the system's Chromium as admin@acme.test.
 */
runCli('docs:screenshots', async () => {
  const config = readConfig();
  const url = new URL(config.databaseUrl);
  url.pathname = `/${databaseName(config.databaseUrl)}_screenshots`;
  const databaseUrl = url.toString();
  await migrate(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  let user: { userId: string; tenantId: string };
  try {
    await seedTickets(pool, TICKETS);
    user = await findUser(pool, ADMIN);
    // An interrupted earlier run may have left jobs holding the admin's active slots.
    await pool.query(`UPDATE export_jobs SET status = 'cancelled', stage = NULL, version = version + 1
                       WHERE status IN ('queued', 'running')`);
  } finally {
    await pool.end();
  }
  say(`database ${databaseName(databaseUrl)} with ${TICKETS} acme tickets`);

  const port = await freePort();
  const { env, jwtSecret } = childEnvironment({ ...config, databaseUrl, port, logLevel: 'info' });
  const proxy = await FaultProxy.forUrl(databaseUrl);
  await mkdir(LOG_DIR, { recursive: true });
  const api = AppProcess.start('api', { env, logFile: join(LOG_DIR, 'api.log') });
  const worker = AppProcess.start('worker', {
    env: { ...env, DATABASE_URL: proxy.rewrite(databaseUrl) },
    logFile: join(LOG_DIR, 'worker.log'),
  });
  let browser: Browser | null = null;
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    await Promise.all([
      api.waitForHttp(`${baseUrl}/health/ready`, READY_TIMEOUT_MS),
      worker.waitForOutput(/worker started/, READY_TIMEOUT_MS),
    ]);
    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1100, height: 900 },
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const token = signAccessToken({ sub: user.userId, tid: user.tenantId }, jwtSecret, 3600);
    await mkdir(DOCS_DIR, { recursive: true });
    const shot = async (name: string): Promise<void> => {
      await page.screenshot({ path: join(DOCS_DIR, name) });
      say(`docs/${name}`);
    };

    await page.goto(`${baseUrl}/admin#token=${token}`);
    await page.locator('table tbody tr').nth(24).waitFor();
    await shot('admin-views.png');

    await page.getByRole('button', { name: 'Export this view…' }).click();
    await page.getByRole('dialog').getByLabel('CSV', { exact: true }).check();
    await shot('admin-export-dialog.png');

    proxy.setMode(SLOW_LINK);
    await page.getByRole('dialog').getByRole('button', { name: 'Start export' }).click();
    await waitForPercent(page, 30);
    await shot('admin-status.png');
    proxy.setMode('pass');
    await page.locator('section.job[data-status="completed"]').waitFor({ timeout: 60_000 });

    await page.goto(`${baseUrl}/admin#/history`);
    await page.locator('tbody tr').first().waitFor();
    await shot('admin-history.png');
  } finally {
    await browser?.close();
    await Promise.all([api.stop(15_000), worker.stop(15_000)]);
    await proxy.close();
  }
});

async function waitForPercent(page: Page, atLeast: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const value = Number((await page.locator('#job-progress').getAttribute('value')) ?? 0);
    if (value >= atLeast && value < 100) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`the export did not reach ${atLeast}% within 60 s`);
}
