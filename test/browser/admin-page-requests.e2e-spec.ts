import type { Pool } from 'pg';
import type { Page } from 'playwright-core';
import type { DataSource } from 'typeorm';
import { problemFor } from '../../apps/api/src/http/problem';
import { insertJob, rawToken, type StartedApi } from '../support/api';
import { describeInBrowser } from '../support/browser';
import { createTestTenant, type TestTenant } from '../support/factories';
import { waitForJob } from '../support/job-polling';
import { jobIdOf, useAdminPage, UUID } from './admin-page-harness';

jest.setTimeout(60_000);

/** This spec's own Redis database (see test/support/worker.ts). */
const REDIS_DB = 6;

/**
 * The admin page in Chromium, as admin-page.e2e-spec.ts, for what it sends and what it answers to a refusal: the
 * Idempotency-Key of a resubmitted dialog, the history's paging and scope, and the 403, 429, 503 and 401 in words.
 */
describeInBrowser('admin page in Chromium: requests and refusals', () => {
  const harness = useAdminPage(REDIS_DB);
  const { newPage, signedIn, idempotencyKeysOf, jobCount } = harness;
  // The scenarios read what the harness's hooks made; this hook runs after them.
  let api: StartedApi;
  let pool: Pool;
  let dataSource: DataSource;
  let acme: TestTenant;
  beforeAll(() => {
    ({ api, pool, dataSource, acme } = harness);
  });

  it('sends one Idempotency-Key per unchanged form: a resubmission after a lost answer makes no second job, a changed form a new key', async () => {
    const page = await signedIn('admin');
    await page.getByRole('button', { name: 'Export this view…' }).click();
    const dialog = page.getByRole('dialog');
    const start = dialog.getByRole('button', { name: 'Start export' });
    const keys = idempotencyKeysOf(page);
    const before = await jobCount();
    const unreachable =
      'The export service cannot be reached. Check your connection and try again in a minute.';

    // 1. The request never reaches the API.
    await page.route('**/export-jobs', (route) => route.abort('internetdisconnected'), { times: 1 });
    await start.click();
    await expect(dialog.getByRole('alert').textContent()).resolves.toBe(unreachable);

    // 2. The person changes the form: a new key. This time the API makes the job, but its answer is lost on the way
    //    back, so the page cannot know.
    await dialog.getByLabel('JSON', { exact: true }).check();
    let madeByLostAnswer: string | undefined;
    await page.route(
      '**/export-jobs',
      async (route) => {
        const response = await route.fetch();
        madeByLostAnswer = ((await response.json()) as { id: string }).id;
        await route.abort('connectionreset');
      },
      { times: 1 },
    );
    await start.click();
    await expect(dialog.getByRole('alert').textContent()).resolves.toBe(unreachable);
    expect(madeByLostAnswer).toMatch(UUID);
    expect(await jobCount()).toBe(before + 1);

    // 3. The person clicks again, the form unchanged: the same key, so the API answers with the job it made.
    await start.click();
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/);
    expect(jobIdOf(page)).toBe(madeByLostAnswer);
    expect(await jobCount()).toBe(before + 1);

    expect(keys).toHaveLength(3);
    for (const key of keys) expect(key).toMatch(UUID);
    expect(keys[1]).not.toBe(keys[0]);
    expect(keys[2]).toBe(keys[1]);
    await waitForJob(pool, acme.id, jobIdOf(page), (job) => job.status === 'completed', 30_000);
  });

  it('tells a person whose permission was revoked while the dialog was open which permission an export needs', async () => {
    const page = await signedIn('agent');
    await page.getByRole('button', { name: 'Export this view…' }).click();
    const dialog = page.getByRole('dialog');
    const before = await jobCount();
    await pool.query('UPDATE roles SET permissions = permissions & ~512 WHERE id = $1', [acme.roleIds.Agent]);
    try {
      await dialog.getByRole('button', { name: 'Start export' }).click();
      await expect(dialog.getByRole('alert').textContent()).resolves.toBe(
        'You need the Import / Export Tickets permission to export tickets. Ask an administrator for it.',
      );
    } finally {
      await pool.query('UPDATE roles SET permissions = permissions | 512 WHERE id = $1', [
        acme.roleIds.Agent,
      ]);
    }
    expect(await jobCount()).toBe(before);
  });

  it('pages the history with Load more: a requester sees only their own jobs, an export admin all of the tenant’s', async () => {
    // A tenant of its own, so the lists are exactly known: 21 jobs of the agent's (more than a page of 20) and 4 of
    // the admin's, newest first.
    const tenant = await createTestTenant(pool);
    const newest = Date.now() - 3_600_000;
    const jobs: { id: string; requester: string }[] = [];
    for (let i = 0; i < 25; i += 1) {
      const requester = i % 8 === 0 ? 'admin' : 'agent';
      const job = await insertJob(dataSource, api.storage, {
        tenant,
        requester,
        status: 'failed',
        requestedAt: new Date(newest - i * 60_000),
      });
      jobs.push({ id: job.id, requester });
    }

    /** The history's rows as the page lists them: the job each opens, and who requested it. */
    const listed = async (page: Page): Promise<{ id: string; requester: string }[]> => {
      const rows = page.locator('tbody tr');
      const result: { id: string; requester: string }[] = [];
      for (let i = 0; i < (await rows.count()); i += 1) {
        const href = (await rows.nth(i).locator('a').getAttribute('href')) ?? '';
        const email = (await rows.nth(i).locator('td').nth(5).textContent()) ?? '';
        result.push({ id: href.replace('#/jobs/', ''), requester: email.split('@')[0] });
      }
      return result;
    };
    const historyOf = async (localPart: string): Promise<{ id: string; requester: string }[][]> => {
      const page = await signedIn(localPart, '#/history', undefined, tenant);
      const loadMore = page.getByRole('button', { name: 'Load more' });
      await page.locator('tbody tr').nth(19).waitFor();
      await loadMore.waitFor();
      const first = await listed(page);
      await loadMore.click();
      await page.locator('tbody tr').nth(20).waitFor();
      await loadMore.waitFor({ state: 'hidden' });
      return [first, await listed(page)];
    };

    const agentJobs = jobs.filter((job) => job.requester === 'agent');
    const [agentFirst, agentAll] = await historyOf('agent');
    expect(agentFirst).toEqual(agentJobs.slice(0, 20));
    expect(agentAll).toEqual(agentJobs);

    const [adminFirst, adminAll] = await historyOf('admin');
    expect(adminFirst).toEqual(jobs.slice(0, 20));
    expect(adminAll).toEqual(jobs);
  });

  it('says when to try again after a 429 or an outage, and sends an ended session back to sign-in', async () => {
    for (let i = 0; i < 3; i += 1)
      await insertJob(dataSource, api.storage, { tenant: acme, requester: 'agent' });
    const page = await signedIn('agent');
    await page.getByRole('button', { name: 'Export this view…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Start export' }).click();
    await expect(dialog.getByRole('alert').textContent()).resolves.toMatch(
      /^Too many of your exports are running\. Try again in 30 seconds, or cancel one\.$/,
    );

    // A dependency outage exactly as the API answers it: problemFor's 503 problem+json and its `Retry-After: 5`,
    // which asks programs to retry within seconds; the person reads "in a minute", not "in 5 seconds".
    const outage = problemFor(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'req-1',
    );
    expect(outage.body.status).toBe(503);
    expect(outage.headers).toEqual({ 'Retry-After': '5' });
    await page.route('**/export-jobs', (route) =>
      route.fulfill({
        status: outage.body.status,
        headers: outage.headers,
        contentType: 'application/problem+json',
        body: JSON.stringify(outage.body),
      }),
    );
    await dialog.getByRole('button', { name: 'Start export' }).click();
    await expect(dialog.getByRole('alert').textContent()).resolves.toBe(
      'The export service is having trouble with one of its services. Try again in a minute.',
    );
    await page.unroute('**/export-jobs');

    const expired = rawToken(api.config, { sub: acme.userId('admin'), tid: acme.id }, -60);
    const later = await newPage();
    await later.goto(`${api.baseUrl}/admin#token=${expired}`);
    await later.getByRole('heading', { name: 'Sign in' }).waitFor();
    await later.getByText('Your session has ended or the token is not valid. Sign in again.').waitFor();
  });
});
