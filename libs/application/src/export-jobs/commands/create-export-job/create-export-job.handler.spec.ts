import {
  type Actor,
  DEFAULT_TICKET_COLUMNS,
  type FormatRowCaps,
  SystemPermissions,
  ValidationError,
} from '@app/domain';
import { Logger } from '@nestjs/common';
import { anActor, anExportJob } from '@app/domain/testing/export-job.factory';
import type { TicketViewRecord } from '../../../ports/ticket-view.repository';
import {
  FakeExportJobRepository,
  FakeTicketCounter,
  FakeTicketViewRepository,
  FixedClock,
  settings,
} from '../../../testing/api-fakes';
import { RecordingQueue } from '../../../testing/recording-queue';
import { CreateExportJobCommand, type CreateExportJobInput } from './create-export-job.command';
import { CreateExportJobHandler } from './create-export-job.handler';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const HOUR_MS = 3_600_000;

const agent = anActor({ email: 'agent@acme.test' });
const viewer = anActor({ email: 'viewer@acme.test', permissions: SystemPermissions.ViewReports });
const OPEN_VIEW: TicketViewRecord = {
  id: '0b000000-0000-4000-8000-000000000001',
  tenantId: agent.tenantId,
  ownerId: null,
  name: 'Open tickets',
  isSystem: true,
  columns: ['id', 'title', 'status'],
  conditions: { and: [{ field: 'statusType', operator: 'is', value: 'open' }], or: [] },
  sort: [{ field: 'priority', direction: 'desc' }],
};
const SOMEONE_ELSES_VIEW: TicketViewRecord = {
  ...OPEN_VIEW,
  id: '0b000000-0000-4000-8000-000000000002',
  isSystem: false,
  ownerId: anActor().userId,
  name: 'Private',
};
const BROKEN_VIEW: TicketViewRecord = {
  ...OPEN_VIEW,
  id: '0b000000-0000-4000-8000-000000000003',
  columns: ['id', 'removedField'],
};

function setup(maxActive = 3, counter = new FakeTicketCounter(), caps: FormatRowCaps = { xlsx: 100 }) {
  const jobs = new FakeExportJobRepository();
  const views = new FakeTicketViewRepository([OPEN_VIEW, SOMEONE_ELSES_VIEW, BROKEN_VIEW]);
  const queue = new RecordingQueue();
  const clock = new FixedClock(NOW);
  const handler = new CreateExportJobHandler(jobs, views, queue, clock, settings(maxActive, caps), counter);
  const run = (input: CreateExportJobInput, key: string | null = null, actor: Actor = agent) =>
    handler.execute(new CreateExportJobCommand({ actor, ip: '10.0.0.7', userAgent: 'jest' }, input, key));
  return { jobs, queue, clock, run };
}

describe('CreateExportJobHandler', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it("stores @me resolved to the requester's id, in the view's conditions and in the filters", async () => {
    const { jobs, run } = setup();
    const mine: TicketViewRecord = {
      ...OPEN_VIEW,
      id: '0b000000-0000-4000-8000-000000000004',
      conditions: { and: [{ field: 'assignee', operator: 'is', value: '@me' }], or: [] },
    };
    const views = new FakeTicketViewRepository([mine]);
    const handler = new CreateExportJobHandler(
      jobs,
      views,
      new RecordingQueue(),
      new FixedClock(NOW),
      settings(3),
      new FakeTicketCounter(),
    );
    const { details } = await handler.execute(
      new CreateExportJobCommand(
        { actor: agent, ip: null, userAgent: null },
        {
          viewId: mine.id,
          filters: { and: [], or: [{ field: 'assignee', operator: 'is_any_of', values: ['@me'] }] },
        },
      ),
    );
    expect(jobs.stored(details.job.id)?.query.conditions).toEqual([
      { and: [{ field: 'assignee', operator: 'is', value: agent.userId }], or: [] },
      { and: [], or: [{ field: 'assignee', operator: 'is_any_of', values: [agent.userId] }] },
    ]);
    expect(JSON.stringify(jobs.stored(details.job.id)?.query)).not.toContain('@me');
    await expect(run({})).resolves.toMatchObject({ created: true });
  });

  it('refuses an actor without Import / Export Tickets, and writes nothing', async () => {
    const { jobs, queue, run } = setup();
    await expect(run({}, null, viewer)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect(jobs.writes).toEqual([]);
    expect(queue.enqueued).toEqual([]);
  });

  it('names a bad notify with the other bad fields, and email without SMTP_URL, writing nothing', async () => {
    const { jobs, queue, run } = setup();
    const fieldsOf = async (input: CreateExportJobInput) => {
      const refused = await run(input).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ValidationError);
      return (refused as ValidationError).errors.map((e) => e.field);
    };
    expect(await fieldsOf({ notify: ['sms'], format: 'docx' })).toEqual(['notify[0]', 'format']);
    expect(await fieldsOf({ notify: ['email'] })).toEqual(['notify']);
    expect(jobs.writes).toEqual([]);
    expect(queue.enqueued).toEqual([]);
  });

  it('without a view: all tickets, default columns, newest first, csv in UTC; saved with its audit row, then enqueued', async () => {
    const { jobs, queue, run } = setup();
    const result = await run({});
    expect(result.created).toBe(true);
    expect(jobs.stored(result.details.job.id)).toMatchObject({
      tenantId: agent.tenantId,
      requestedById: agent.userId,
      requestedByEmail: 'agent@acme.test',
      status: 'queued',
      source: 'tickets',
      format: 'csv',
      requestedAt: NOW,
      query: {
        columns: DEFAULT_TICKET_COLUMNS,
        conditions: [],
        sort: [{ field: 'creationTime', direction: 'desc' }],
        search: null,
        viewId: null,
        viewName: null,
        timezone: 'UTC',
        fileName: null,
      },
    });
    expect(jobs.audit).toEqual([
      {
        tenantId: agent.tenantId,
        actorId: agent.userId,
        action: 'export.requested',
        jobId: result.details.job.id,
        ip: '10.0.0.7',
        userAgent: 'jest',
        details: { source: 'tickets', format: 'csv', viewId: null },
      },
    ]);
    expect(queue.enqueued).toEqual([{ tenantId: agent.tenantId, jobId: result.details.job.id }]);
  });

  it('answers with the job as it saved it, as the API shows it, without reading it back', async () => {
    const { jobs, run } = setup();
    const reads = jest.spyOn(jobs, 'findById');
    const { details } = await run({ viewId: OPEN_VIEW.id, columns: ['id', 'title'], format: 'json' });
    expect(details).toEqual({
      job: {
        id: details.job.id,
        tenantId: agent.tenantId,
        source: 'tickets',
        format: 'json',
        status: 'queued',
        stage: 'queued',
        progress: { percent: 0, rowsExported: 0, totalRows: null },
        view: { id: OPEN_VIEW.id, name: 'Open tickets' },
        columns: [
          { key: 'id', label: 'Ticket ID' },
          { key: 'title', label: 'Title' },
        ],
        requestedBy: { id: agent.userId, email: 'agent@acme.test' },
        requestedAt: NOW,
        snapshotAt: null,
        startedAt: null,
        completedAt: null,
        expiresAt: null,
        attempts: 0,
        retryOf: null,
        file: null,
        error: null,
      },
      canDownload: false,
    });
    expect(jobs.stored(details.job.id)?.status).toBe('queued');
    expect(reads).not.toHaveBeenCalled();
  });

  it("refines a view: columns and sort replace the view's, filters are ANDed as a second group", async () => {
    const { jobs, run } = setup();
    const { details } = await run({
      viewId: OPEN_VIEW.id,
      format: 'ndjson',
      columns: ['title', 'tags'],
      filters: { and: [{ field: 'tags', operator: 'is', value: 'vip' }] },
      sort: [{ field: 'creationTime', direction: 'asc' }],
      search: '  refund ',
      timezone: 'Europe/Paris',
      fileName: 'weekly report',
    });
    expect(jobs.stored(details.job.id)).toMatchObject({
      format: 'ndjson',
      query: {
        columns: ['title', 'tags'],
        conditions: [
          { and: [{ field: 'statusType', operator: 'is', value: 'open' }], or: [] },
          { and: [{ field: 'tags', operator: 'is', value: 'vip' }], or: [] },
        ],
        sort: [{ field: 'creationTime', direction: 'asc' }],
        search: 'refund',
        viewId: OPEN_VIEW.id,
        viewName: 'Open tickets',
        timezone: 'Europe/Paris',
        fileName: 'weekly report',
      },
    });
  });

  it.each([
    ['another user’s personal view', SOMEONE_ELSES_VIEW.id],
    ['a view that does not exist', '0b000000-0000-4000-8000-0000000000ff'],
  ])('answers TICKET_VIEW.NOT_FOUND for %s', async (_case, viewId) => {
    const { jobs, run } = setup();
    await expect(run({ viewId })).rejects.toMatchObject({ code: 'TICKET_VIEW.NOT_FOUND' });
    expect(jobs.writes).toEqual([]);
  });

  it('blames a stored view that no longer validates on the view (TICKET_VIEW.INVALID)', async () => {
    const { run } = setup();
    await expect(run({ viewId: BROKEN_VIEW.id })).rejects.toMatchObject({ code: 'TICKET_VIEW.INVALID' });
  });

  it('refuses an unknown source first, naming it: the source decides how the rest of the body reads', async () => {
    const { jobs, run } = setup();
    const error = await run({ source: 'invoices', format: 'xls' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.field)).toEqual(['source']);
    expect(jobs.writes).toEqual([]);
  });

  it('names every bad field at once', async () => {
    const { jobs, run } = setup();
    const error = await run({
      viewId: 'not-a-uuid',
      format: 'xls',
      columns: ['id', 'nope', 'id'],
      filters: { and: [{ field: 'title', operator: 'between', value: 'a' }], xor: [] },
      sort: [{ field: 'tags' }],
      search: 'x'.repeat(201),
      timezone: 'Mars/Olympus',
      fileName: '../etc/passwd',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.field).sort()).toEqual(
      [
        'viewId',
        'format',
        'columns[1]',
        'columns[2]',
        'filters.and[0].operator',
        'filters.xor',
        'sort[0].field',
        'search',
        'timezone',
        'fileName',
      ].sort(),
    );
    expect(jobs.writes).toEqual([]);
  });

  describe('Idempotency-Key', () => {
    it('gives the same job for the same key and body (in any key order), without saving or enqueueing again', async () => {
      const { jobs, queue, run } = setup();
      const first = await run({ format: 'json', columns: ['id', 'title'] }, 'key-1');
      const again = await run({ columns: ['id', 'title'], format: 'json' }, 'key-1');
      expect(again).toEqual({ details: first.details, created: false });
      expect(jobs.writes).toHaveLength(1);
      expect(queue.enqueued).toHaveLength(1);
    });

    it('refuses the same key with another body', async () => {
      const { run } = setup();
      await run({ format: 'json' }, 'key-1');
      await expect(run({ format: 'csv' }, 'key-1')).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY.REUSED' });
    });

    it('is per user: another user may use the same key', async () => {
      const { run } = setup();
      const mine = await run({}, 'key-1');
      const theirs = await run({}, 'key-1', anActor());
      expect(theirs.created).toBe(true);
      expect(theirs.details.job.id).not.toBe(mine.details.job.id);
    });

    it('binds for 24 hours only', async () => {
      const { clock, run } = setup();
      const first = await run({}, 'key-1');
      clock.current = new Date(NOW.getTime() + 24 * HOUR_MS + 1);
      const later = await run({ format: 'json' }, 'key-1');
      expect(later.created).toBe(true);
      expect(later.details.job.id).not.toBe(first.details.job.id);
    });

    it('replays the job another request stored with the key meanwhile (a race lost inside add)', async () => {
      const { jobs, run } = setup();
      const racing = jobs.add.bind(jobs);
      jobs.add = async (job, options) => {
        jobs.add = racing;
        const twin = anExportJob({
          requestedBy: agent,
          idempotencyKey: 'key-1',
          requestHash: job.toSnapshot().requestHash,
          requestedAt: NOW,
        });
        jobs.seed(twin);
        return racing(job, options);
      };
      const result = await run({}, 'key-1');
      expect(result.created).toBe(false);
      expect(jobs.writes).toEqual([]);
    });
  });

  it('refuses a request over the active-job limit with a Retry-After hint, and writes nothing', async () => {
    const { jobs, queue, run } = setup(2);
    await run({});
    await run({});
    const error = await run({}).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'EXPORT_JOB.TOO_MANY_ACTIVE',
      details: { limit: 2, retryAfterSeconds: 30 },
    });
    expect(jobs.writes).toHaveLength(2);
    expect(queue.enqueued).toHaveLength(2);
  });

  it('finished jobs do not count against the limit', async () => {
    const { jobs, run } = setup(1);
    jobs.seed(
      anExportJob({ requestedBy: agent, status: 'completed' }),
      anExportJob({ requestedBy: agent, status: 'failed' }),
    );
    await expect(run({})).resolves.toMatchObject({ created: true });
  });

  it('still accepts the job when the queue is down: it stays queued for the reconciler', async () => {
    const { jobs, queue, run } = setup();
    queue.failing = true;
    const { details, created } = await run({});
    expect(created).toBe(true);
    expect(jobs.stored(details.job.id)?.status).toBe('queued');
  });

  describe("a format's row cap", () => {
    it('refuses an XLSX export whose cheap count exceeds the cap, naming the cap and CSV, and writes nothing', async () => {
      const counter = new FakeTicketCounter(101);
      const { jobs, queue, run } = setup(3, counter);
      const error = await run({ viewId: OPEN_VIEW.id, format: 'xlsx', timezone: 'Europe/Paris' }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        code: 'EXPORT_JOB.TOO_LARGE',
        message: expect.stringMatching(/XLSX exports hold at most 100 rows.*CSV/) as unknown,
        details: { format: 'xlsx', maxRows: 100, rows: 101 },
      });
      expect(jobs.writes).toEqual([]);
      expect(queue.enqueued).toEqual([]);
      // Counted with the view's query as the job would store it, stopping one row past the cap.
      expect(counter.requests).toEqual([
        {
          atMost: 101,
          request: expect.objectContaining({
            tenantId: agent.tenantId,
            me: agent.userId,
            timezone: 'Europe/Paris',
            now: NOW,
            query: expect.objectContaining({
              columns: OPEN_VIEW.columns,
              timezone: 'Europe/Paris',
            }) as unknown,
          }) as unknown,
        },
      ]);
    });

    it('accepts an export at the cap exactly', async () => {
      const { run } = setup(3, new FakeTicketCounter(100));
      await expect(run({ format: 'xlsx' })).resolves.toMatchObject({ created: true });
    });

    it('accepts the job when the count is not cheap: the worker decides at counting', async () => {
      const { jobs, run } = setup(3, new FakeTicketCounter(null));
      const { details } = await run({ format: 'xlsx' });
      expect(jobs.stored(details.job.id)?.status).toBe('queued');
    });

    it('does not count formats without a cap', async () => {
      const counter = new FakeTicketCounter(10_000);
      const { run } = setup(3, counter);
      await expect(run({ format: 'csv' })).resolves.toMatchObject({ created: true });
      expect(counter.requests).toEqual([]);
    });
  });

  it('decides on the permission as it is now: a revoked flag refuses at once', async () => {
    const revoked: Actor = {
      ...agent,
      permissions: agent.permissions & ~SystemPermissions.ImportExportTickets,
    };
    const { jobs, run } = setup();
    await expect(run({ viewId: OPEN_VIEW.id }, 'k', revoked)).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
    });
    expect(jobs.writes).toEqual([]);
  });
});
