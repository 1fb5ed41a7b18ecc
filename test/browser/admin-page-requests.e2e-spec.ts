import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { problemFor } from '../../apps/api/src/http/problem';
import { insertJob, rawToken, type StartedApi } from '../support/api';
import { describeInBrowser } from '../support/browser';
import type { TestTenant } from '../support/factories';
import { waitForJob } from '../support/job-polling';
import { jobIdOf, useAdminPage, UUID } from './admin-page-harness';

jest.setTimeout(60_000);

/** This spec's own Redis database (see test/support/worker.ts). */
const REDIS_DB = 6;

/**
 * The admin page in Chromium, as admin-page.e2e-spec.ts, for what it sends and what it answers to a refusal: the
 * Idempotency-Key of a resubmitted dialog, and the 403, 429, 503 and 401 in words.
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
