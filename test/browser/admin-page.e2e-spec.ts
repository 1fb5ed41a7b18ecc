import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Pool } from 'pg';
import type { Locator, Page } from 'playwright-core';
import type { DataSource } from 'typeorm';
import { insertJob, type StartedApi, tokenFor } from '../support/api';
import { describeInBrowser } from '../support/browser';
import type { TestTenant } from '../support/factories';
import type { FaultProxy } from '../support/fault-proxy';
import { readJob, waitForJob } from '../support/job-polling';
import { builtAppEnvironment } from '../support/worker';
import { jobIdOf, useAdminPage, UUID } from './admin-page-harness';

jest.setTimeout(60_000);

/** This spec's own Redis database (see test/support/worker.ts). */
const REDIS_DB = 3;
const TOKEN_CLI = join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'token.js');
const execFileAsync = promisify(execFile);
/** The worker reads PostgreSQL through this throttle while a scenario needs a running export to watch. */
const SLOW = { throttle: { bytesPerSecond: 150_000 } } as const;
const CRAWL = { throttle: { bytesPerSecond: 15_000 } } as const;

/** What the few page-side functions below read (the tests compile without the DOM's types). */
interface BrowserGlobals {
  sessionStorage: { length: number };
  document: {
    documentElement: { scrollWidth: number; clientWidth: number };
    activeElement: { textContent: string | null } | null;
  };
}

/** Runs in the page: the text of the focused element. */
function focusedText(): string | null {
  return (globalThis as unknown as BrowserGlobals).document.activeElement?.textContent ?? null;
}

/** Runs in the page: how many pixels the document is wider than the window. */
function horizontalOverflow(): number {
  const root = (globalThis as unknown as BrowserGlobals).document.documentElement;
  return root.scrollWidth - root.clientWidth;
}

/**
 * The admin reference page (GET /admin) in the system's Chromium, against the real API, worker, PostgreSQL and
 * Redis: what a person does, and what they read.
 */
describeInBrowser('admin page in Chromium', () => {
  const harness = useAdminPage(REDIS_DB);
  const { newPage, signedIn, idempotencyKeysOf } = harness;
  // The scenarios read what the harness's hooks made; this hook runs after them.
  let api: StartedApi;
  let pool: Pool;
  let dataSource: DataSource;
  let acme: TestTenant;
  let proxy: FaultProxy;
  beforeAll(() => {
    ({ api, pool, dataSource, acme, proxy } = harness);
  });

  const statusOf = (page: Page): Promise<string | null> =>
    page.locator('section.job').getAttribute('data-status');
  const waitForStatus = (page: Page, status: string, timeout = 20_000): Promise<void> =>
    page.locator(`section.job[data-status="${status}"]`).waitFor({ timeout });

  async function startExportFromDialog(
    page: Page,
    format = 'CSV',
    arrange?: (dialog: Locator) => Promise<void>,
  ): Promise<string> {
    await page.getByRole('button', { name: 'Export this view…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(format, { exact: true }).check();
    await arrange?.(dialog);
    // A double click: the dialog sends one body under one Idempotency-Key, so one job.
    const keys = idempotencyKeysOf(page);
    await dialog.getByRole('button', { name: 'Start export' }).dblclick();
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(UUID);
    return jobIdOf(page);
  }

  it('signs in with a pasted token, lists the views and pages their tickets, under a strict CSP', async () => {
    const page = await newPage();
    const response = await page.goto(`${api.baseUrl}/admin`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByLabel('Access token').fill(tokenFor(api.config, acme, 'admin'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Ticket views' }).waitFor();
    const rows = page.locator('table tbody tr');
    await rows.nth(24).waitFor();
    expect(await rows.count()).toBe(25);
    await expect(page.locator('thead th').allTextContents()).resolves.toEqual([
      'Ticket ID',
      'Title',
      'Status',
      'Priority',
      'Category',
      'Contact',
      'Assignee',
      'Team',
      'Created',
    ]);
    await page.getByRole('button', { name: 'Load more' }).click();
    await rows.nth(49).waitFor();
    expect(await rows.count()).toBe(50);

    // The sign-in link `npm run token -- <email> --url` prints: the token goes to sessionStorage and leaves the
    // address bar.
    const printed = await execFileAsync(process.execPath, [TOKEN_CLI, acme.email('admin'), '--url'], {
      env: builtAppEnvironment({ PORT: new URL(api.baseUrl).port }),
    });
    const link = printed.stdout.trim();
    expect(link).toMatch(new RegExp(`^${api.baseUrl}/admin#token=[\\w.-]+$`));
    const linked = await newPage();
    await linked.goto(link);
    await linked.getByRole('heading', { name: 'Ticket views' }).waitFor();
    expect(linked.url()).toBe(`${api.baseUrl}/admin`);
    expect(await linked.evaluate(() => (globalThis as unknown as BrowserGlobals).sessionStorage.length)).toBe(
      1,
    );
  });

  it('exports a view as CSV: the progress advances through the events stream, the file downloads once and its sha256 is the job’s', async () => {
    const page = await signedIn('admin');
    proxy.setMode(SLOW);
    const download = page.waitForEvent('download', { timeout: 40_000 });
    const reads: string[] = [];
    page.on('request', (request) => reads.push(new URL(request.url()).pathname));
    // Title before Ticket ID, without Category; a file name of the person's choosing.
    const jobId = await startExportFromDialog(page, 'CSV', async (dialog) => {
      await dialog.getByRole('button', { name: 'Move Title up' }).click();
      await dialog.getByLabel('Category', { exact: true }).uncheck();
      await dialog.getByLabel('File name (optional)').fill('weekly report');
    });
    const seen: number[] = [];
    // The status first: a render between the two reads then shows in the value (a completed job's is 100).
    for (;;) {
      const status = await statusOf(page);
      const value = Number(await page.locator('#job-progress').getAttribute('value'));
      if (seen.at(-1) !== value) seen.push(value);
      if (status === 'completed') break;
      await page.waitForTimeout(100);
    }
    expect(seen.some((percent) => percent > 0 && percent < 100)).toBe(true);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(seen.at(-1)).toBe(100);
    // Every state came through one events stream: not a single poll.
    await expect(page.locator('section.job').getAttribute('data-live')).resolves.toBe('stream');
    expect(reads.filter((path) => path.startsWith(`/export-jobs/${jobId}`))).toEqual([
      `/export-jobs/${jobId}/events`,
      `/export-jobs/${jobId}/download`,
    ]);
    await expect(page.locator('.figures').first().textContent()).resolves.toMatch(
      /^[\d,.\s]+ of [\d,.\s]+ rows/,
    );

    const saved = await download;
    const bytes = await readFile(await saved.path());
    const job = await readJob(pool, acme.id, jobId);
    const { rows } = await pool.query<{ sha256: string; name: string }>(
      'SELECT f.sha256, f.name FROM stored_files f JOIN export_jobs j ON j.file_id = f.id WHERE j.id = $1',
      [jobId],
    );
    expect(saved.suggestedFilename()).toBe(rows[0].name);
    expect(rows[0].name).toMatch(/^weekly report-\d{8}-\d{6}\.csv$/);
    expect(bytes.toString('utf8').split('\r\n')[0]).toBe(
      '\uFEFFTitle,Ticket ID,Status,Priority,Contact,Assignee,Team,Created',
    );
    const { rows: queries } = await pool.query<{ timezone: string }>(
      `SELECT query->>'timezone' AS timezone FROM export_jobs WHERE id = $1`,
      [jobId],
    );
    expect(queries[0].timezone).toBe('Europe/Paris');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(rows[0].sha256);
    expect(job.rowsExported).toBe(job.totalRows);
    const { rows: jobs } = await pool.query('SELECT id FROM export_jobs WHERE tenant_id = $1', [acme.id]);
    expect(jobs).toHaveLength(1);

    // Once: a reload shows the Download button but does not download again.
    let again = false;
    page.on('download', () => (again = true));
    await page.reload();
    await page.getByRole('button', { name: 'Download' }).waitFor();
    await page.waitForTimeout(500);
    expect(again).toBe(false);
  });

  it('falls back to polling GET with ETag when the events stream is missing', async () => {
    const job = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'admin',
      status: 'running',
    });
    const page = await signedIn('admin');
    await page.route('**/events', (route) =>
      route.fulfill({
        status: 404,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          status: 404,
          code: 'ROUTE.NOT_FOUND',
          title: 'Not Found',
          detail: 'Cannot GET',
        }),
      }),
    );
    const polls: (string | undefined)[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith(`/export-jobs/${job.id}`)) polls.push(request.headers()['if-none-match']);
    });
    await page.goto(`${api.baseUrl}/admin#/jobs/${job.id}`);
    await page.getByText('40 of 100 rows').waitFor();
    await pool.query(
      `UPDATE export_jobs SET percent = 70, rows_exported = 70, version = version + 1, updated_at = now() WHERE id = $1`,
      [job.id],
    );
    await page.getByText('70 of 100 rows').waitFor({ timeout: 10_000 });
    await expect(page.locator('section.job').getAttribute('data-live')).resolves.toBe('polling');
    expect(polls.slice(1).some((etag) => etag !== undefined)).toBe(true);
  });

  it('cancels a running export', async () => {
    const page = await signedIn('admin');
    proxy.setMode(CRAWL);
    const jobId = await startExportFromDialog(page);
    await waitForStatus(page, 'running');
    await page.getByRole('button', { name: 'Cancel export' }).click();
    await waitForStatus(page, 'cancelled');
    await page.getByText('This export was cancelled; no file was kept.').waitFor();
    expect((await readJob(pool, acme.id, jobId)).status).toBe('cancelled');
  });

  it('retries a failed export and follows the new job to its file', async () => {
    const failed = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'admin',
      status: 'failed',
    });
    const page = await signedIn('admin', `#/jobs/${failed.id}`);
    await page.getByText('The export could not read the tickets.').waitFor();
    const download = page.waitForEvent('download', { timeout: 30_000 });
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.waitForURL((url) => url.hash.startsWith('#/jobs/') && !url.hash.endsWith(failed.id));
    await waitForStatus(page, 'completed');
    await download;
    const retried = await waitForJob(pool, acme.id, jobIdOf(page), (job) => job.status === 'completed', 1000);
    const { rows } = await pool.query<{ retry_of: string }>(
      'SELECT retry_of FROM export_jobs WHERE id = $1',
      [retried.id],
    );
    expect(rows[0].retry_of).toBe(failed.id);
  });

  it('tells the viewer which permission an export needs instead of offering an Export button', async () => {
    const page = await signedIn('viewer');
    await page.getByText('Exporting needs the Import / Export Tickets permission.').waitFor();
    await page.getByRole('table').waitFor(); // the list itself still shows
    expect(await page.getByRole('button', { name: 'Export this view…' }).count()).toBe(0);
  });

  it('shows the agent its job’s progress, and a completed job without a download', async () => {
    const running = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'agent',
      status: 'running',
    });
    const page = await signedIn('agent', `#/jobs/${running.id}`);
    await page.getByText('40 of 100 rows').waitFor();
    await expect(
      page.getByRole('progressbar', { name: 'Export progress' }).getAttribute('value'),
    ).resolves.toBe('40');

    const completed = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'agent',
      status: 'completed',
    });
    let downloaded = false;
    page.on('download', () => (downloaded = true));
    await page.goto(`${api.baseUrl}/admin#/jobs/${completed.id}`);
    await page.getByText('Only an export admin').waitFor();
    expect(await page.getByRole('button', { name: 'Download' }).count()).toBe(0);
    await page.waitForTimeout(300);
    expect(downloaded).toBe(false);
  });

  it('does not download an old job by itself; shows an expired job as gone and offers a new export', async () => {
    const old = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'admin',
      status: 'completed',
      requestedAt: new Date(Date.now() - 3_600_000),
    });
    const opened = await signedIn('admin', `#/jobs/${old.id}`);
    let downloaded = false;
    opened.on('download', () => (downloaded = true));
    await opened.getByRole('button', { name: 'Download' }).waitFor();
    await opened.waitForTimeout(300);
    expect(downloaded).toBe(false);
    const [download] = await Promise.all([
      opened.waitForEvent('download'),
      opened.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(await readFile(await download.path(), 'utf8')).toBe('id,title\r\n1,hello\r\n');
    // Its retention ends while the screen is open: the next Download says so in words (410).
    await pool.query(`UPDATE export_jobs SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      old.id,
    ]);
    await opened.getByRole('button', { name: 'Download' }).click();
    await opened
      .getByText('The file has expired and was deleted. Start a new export to get the data again.')
      .waitFor();

    const expired = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'admin',
      status: 'expired',
    });
    const page = await signedIn('admin', `#/jobs/${expired.id}`);
    await page.getByText('This export has expired: its file is gone.').waitFor();
    await page.getByRole('button', { name: 'New export' }).click();
    await page.getByRole('button', { name: 'Export this view…' }).waitFor();
  });

  it('lists the history with a status filter, and opens a job from it', async () => {
    const page = await signedIn('admin', '#/history');
    await page.getByRole('heading', { name: 'Export history' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    await page.getByLabel('Status').selectOption('expired');
    await page
      .locator('tbody td[data-status]:not([data-status="expired"])')
      .first()
      .waitFor({ state: 'detached' });
    await page.locator('tbody td[data-status="expired"]').first().waitFor();
    await page.locator('tbody a').first().click();
    await page.getByText('This export has expired').waitFor();
  });

  it('works from the keyboard: Tab reaches Export, Enter opens the dialog, Escape closes it and focus returns', async () => {
    const page = await signedIn('admin');
    await page.locator('table tbody tr').first().waitFor();
    for (let i = 0; i < 12 && (await page.evaluate(focusedText)) !== 'Export this view…'; i += 1)
      await page.keyboard.press('Tab');
    expect(await page.evaluate(focusedText)).toBe('Export this view…');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Export “All tickets”' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await page.evaluate(focusedText)).toBe('Export this view…');
  });

  it('fits a 320 px wide screen: no horizontal scroll on the status screen', async () => {
    const running = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'admin',
      status: 'running',
    });
    const page = await signedIn('admin', `#/jobs/${running.id}`, 320);
    await page.getByText('40 of 100 rows').waitFor();
    const overflow = await page.evaluate(horizontalOverflow);
    expect(overflow).toBeLessThanOrEqual(0);
    // The views screen too: its table scrolls inside its own region, not the page.
    await page.goto(`${api.baseUrl}/admin#/views`);
    await page.locator('table tbody tr').first().waitFor();
    expect(await page.evaluate(horizontalOverflow)).toBeLessThanOrEqual(0);
  });
});
