import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { SMTPServer } from 'smtp-server';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { bearer, eventually, insertJob, startApi, type StartedApi, tokenFor } from '../support/api';
import { testDataSource, testPool } from '../support/database';
import { createTestTenant, type TestTenant } from '../support/factories';
import { redisUrlWithDb, type RunningWorker, startWorker } from '../support/worker';

/**
 * E-mail when an export ends (issue 14 §2), against an in-process SMTP server (the `smtp-server` package): the
 * worker built in dist/ relays the job's end from the outbox and sends from its `mail` queue.
 */
const REDIS_DB = 3;
const PUBLIC_BASE_URL = 'https://exports.example.test';

interface Received {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
  /** The body, quoted-printable decoded (soft line breaks joined). */
  readonly text: string;
}

function decodedBody(raw: string): string {
  return raw
    .slice(raw.indexOf('\r\n\r\n') + 4)
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

describe('mail notifications', () => {
  let pool: Pool;
  let dataSource: DataSource;
  let acme: TestTenant;
  let api: StartedApi;
  let worker: RunningWorker;
  let smtp: SMTPServer;
  const accepted: Received[] = [];
  /** Recipients whose next delivery the server refuses with a 4xx, once. */
  const refuseOnce = new Set<string>();
  const refused: string[] = [];

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    acme = await createTestTenant(pool);
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const to = session.envelope.rcptTo.map((r) => r.address);
          const refuse = to.find((address) => refuseOnce.delete(address));
          if (refuse) {
            refused.push(refuse);
            callback(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
            return;
          }
          const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
          const raw = Buffer.concat(chunks).toString('utf8');
          accepted.push({ from, to, raw, text: decodedBody(raw) });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const { port } = smtp.server.address() as AddressInfo;
    const env = {
      SMTP_URL: `smtp://127.0.0.1:${port}`,
      MAIL_FROM: 'Exports <exports@example.test>',
      PUBLIC_BASE_URL,
      MAIL_RETRY_DELAY_MS: '200',
    };
    api = await startApi({ env });
    worker = await startWorker({ env: { ...env, REDIS_URL: redisUrlWithDb(REDIS_DB) } });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await dataSource.destroy();
    await pool.end();
  });

  const as = (who: string) => bearer(tokenFor(api.config, acme, who));
  const mailsAbout = (jobId: string) => accepted.filter((m) => m.text.includes(jobId));

  it('takes notify: ["email"] on POST /export-jobs; refuses unknown channels, and email without SMTP_URL', async () => {
    const created = await request(api.baseUrl)
      .post('/export-jobs')
      .set(as('agent'))
      .send({ notify: ['email'] })
      .expect(202);
    const id = (created.body as { id: string }).id;
    const { rows } = await pool.query<{ notify: string[] }>('SELECT notify FROM export_jobs WHERE id = $1', [
      id,
    ]);
    expect(rows[0].notify).toEqual(['email']);
    // Cancelled by its requester: no mail is due.
    await request(api.baseUrl).post(`/export-jobs/${id}/cancel`).set(as('agent')).expect(200);

    const errorsOf = async (body: object, target = api) => {
      const res = await request(target.baseUrl).post('/export-jobs').set(as('agent')).send(body).expect(400);
      return (res.body as { errors: { field: string; message: string }[] }).errors;
    };
    expect(await errorsOf({ notify: ['sms'] })).toEqual([
      { field: 'notify[0]', message: 'is not a known channel; expected one of email' },
    ]);
    expect(await errorsOf({ notify: ['email', 'email'], format: 'docx' })).toEqual(
      expect.arrayContaining([
        { field: 'notify[1]', message: 'is listed twice' },
        expect.objectContaining({ field: 'format' }) as unknown,
      ]),
    );
    expect(await errorsOf({ notify: 'email' })).toEqual([expect.objectContaining({ field: 'notify' })]);
    const withoutSmtp = await startApi();
    try {
      expect(await errorsOf({ notify: ['email'] }, withoutSmtp)).toEqual([
        { field: 'notify', message: 'e-mail notifications are not configured on this service (SMTP_URL)' },
      ]);
    } finally {
      await withoutSmtp.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(mailsAbout(id)).toEqual([]);
  });

  it('mails the requester once when the job completes: a link to its status screen, no attachment', async () => {
    const job = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'agent',
      status: 'completed',
      notify: ['email'],
      content: 'id,title\r\n1,secret row\r\n',
    });
    const [mail] = await eventually(
      () => Promise.resolve(mailsAbout(job.id)),
      (list) => list.length > 0,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(mailsAbout(job.id)).toHaveLength(1);
    expect(mail.to).toEqual([acme.email('agent')]);
    expect(mail.from).toBe('exports@example.test');
    expect(mail.raw).toMatch(/^Subject: Your export is ready$/m);
    expect(mail.text).toContain(`${PUBLIC_BASE_URL}/admin#/jobs/${job.id}`);
    expect(mail.raw).not.toMatch(/Content-Disposition: attachment/i);
    expect(mail.raw).not.toMatch(/multipart/i);
    expect(mail.text).not.toContain('secret row');
    expect(mail.text).not.toContain('/download');
  });

  it('mails a failure, and a cancel by someone else, but not a job without notify', async () => {
    const failed = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'agent',
      status: 'failed',
      notify: ['email'],
    });
    const quiet = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'agent',
      status: 'failed',
    });
    const queued = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'agent',
      notify: ['email'],
    });
    await request(api.baseUrl).post(`/export-jobs/${queued.id}/cancel`).set(as('admin')).expect(200);

    await eventually(
      () => Promise.resolve([...mailsAbout(failed.id), ...mailsAbout(queued.id)]),
      (list) => list.length >= 2,
    );
    expect(mailsAbout(failed.id)[0].raw).toMatch(/^Subject: Your export failed$/m);
    expect(mailsAbout(queued.id)[0].raw).toMatch(/^Subject: Your export was cancelled$/m);
    expect(mailsAbout(quiet.id)).toEqual([]);
  });

  it('sends again a pending mail whose queue entry ended without settling it (or was lost with Redis data)', async () => {
    const job = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'agent',
      status: 'completed',
      notify: ['email'],
    });
    await eventually(
      () => Promise.resolve(mailsAbout(job.id)),
      (list) => list.length > 0,
    );
    const statusOfMail = async (): Promise<{ status: string }[]> =>
      (
        await pool.query<{ status: string }>('SELECT status FROM mail_notifications WHERE job_id = $1', [
          job.id,
        ])
      ).rows;
    // The server accepts the mail before the worker records it: rewritten earlier, the row would be settled again.
    await eventually(statusOfMail, (rows) => rows[0]?.status === 'sent');
    // Pending, marked enqueued, overdue; its queue entry is finished (or gone): nothing would ever send it.
    const { rowCount } = await pool.query(
      `UPDATE mail_notifications SET status = 'pending', sent_at = NULL, created_at = now() - interval '1 minute'
        WHERE job_id = $1 AND status = 'sent'`,
      [job.id],
    );
    expect(rowCount).toBe(1);
    // Workers look every EXPORT_RECONCILE_INTERVAL_S (15 s here) for overdue mails without a live entry.
    await eventually(
      () => Promise.resolve(mailsAbout(job.id)),
      (list) => list.length > 1,
      25_000,
    );
    const settled = await eventually(statusOfMail, (rows) => rows[0]?.status !== 'pending');
    expect(settled).toEqual([{ status: 'sent' }]);
  }, 40_000);

  it('retries a mail the server refused with a 4xx, and delivers it once', async () => {
    refuseOnce.add(acme.email('grace.hopper'));
    const job = await insertJob(dataSource, api.storage, {
      tenant: acme,
      requester: 'grace.hopper',
      status: 'failed',
      notify: ['email'],
    });
    await eventually(
      () => Promise.resolve(mailsAbout(job.id)),
      (list) => list.length > 0,
    );
    expect(refused).toContain(acme.email('grace.hopper'));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(mailsAbout(job.id)).toHaveLength(1);
    const { rows } = await pool.query<{ status: string; attempts: number }>(
      'SELECT status, attempts FROM mail_notifications WHERE job_id = $1',
      [job.id],
    );
    expect(rows).toEqual([{ status: 'sent', attempts: 2 }]);
    const { rows: jobs } = await pool.query<{ status: string }>(
      'SELECT status FROM export_jobs WHERE id = $1',
      [job.id],
    );
    expect(jobs[0].status).toBe('failed');
  });
});
