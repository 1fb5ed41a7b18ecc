import { SystemPermissions, ValidationError } from '@app/domain';
import { anActor } from '@app/domain/testing/export-job.factory';
import {
  type ExportEstimateRequest,
  ExportEstimator,
  type RowsAndBytes,
} from '../../../ports/export-estimator';
import { ExportJobStatistics, type ExportThroughput } from '../../../ports/export-job.statistics';
import type { TicketViewRecord } from '../../../ports/ticket-view.repository';
import { FakeTicketViewRepository, FixedClock, settings } from '../../../testing/api-fakes';
import { DEFAULT_ROWS_PER_SECOND, EstimateExportHandler } from './estimate-export.handler';
import { EstimateExportQuery } from './estimate-export.query';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const agent = anActor({ email: 'agent@acme.test' });
const viewer = anActor({ email: 'viewer@acme.test', permissions: SystemPermissions.ViewReports });
const MY_VIEW: TicketViewRecord = {
  id: '0b000000-0000-4000-8000-000000000001',
  tenantId: agent.tenantId,
  ownerId: agent.userId,
  name: 'Mine',
  isSystem: false,
  columns: ['id', 'title'],
  conditions: { and: [{ field: 'assignee', operator: 'is', value: '@me' }], or: [] },
  sort: [],
};

/** Records what it was asked and answers a fixed size. */
class RecordingEstimator extends ExportEstimator {
  readonly requests: ExportEstimateRequest[] = [];
  constructor(private readonly answer: RowsAndBytes) {
    super();
  }
  estimate(request: ExportEstimateRequest): Promise<RowsAndBytes> {
    this.requests.push(request);
    return Promise.resolve(this.answer);
  }
}

/** Recent throughput by format (`*`: all formats). */
class FixedStatistics extends ExportJobStatistics {
  constructor(private readonly byFormat: Readonly<Record<string, ExportThroughput>>) {
    super();
  }
  countByStatus(): never {
    throw new Error('not used');
  }
  completedAfter(): never {
    throw new Error('not used');
  }
  recentThroughput(_limit: number, format?: string): Promise<ExportThroughput> {
    return Promise.resolve(this.byFormat[format ?? '*'] ?? { jobs: 0, rows: 0, seconds: 0 });
  }
}

const SIZE: RowsAndBytes = {
  rows: 120_000,
  rowsExact: true,
  bytes: { csv: 9_000_000, json: 20_000_000, ndjson: 19_000_000, xlsx: 4_000_000 },
};

function setup(statistics: Readonly<Record<string, ExportThroughput>> = {}, emailNotifications = false) {
  const estimator = new RecordingEstimator(SIZE);
  const handler = new EstimateExportHandler(
    new FakeTicketViewRepository([MY_VIEW]),
    estimator,
    new FixedStatistics(statistics),
    new FixedClock(NOW),
    { ...settings(), emailNotifications },
  );
  const run = (input: object, actor = agent) =>
    handler.execute(new EstimateExportQuery({ actor, ip: '10.0.0.7', userAgent: 'jest' }, input));
  return { estimator, run };
}

describe('EstimateExportHandler', () => {
  it('estimates the parsed request as of now, @me resolved to the requester, with the selection', async () => {
    const { estimator, run } = setup();
    await run({ viewId: MY_VIEW.id, ticketIds: [5, 3] });
    expect(estimator.requests).toHaveLength(1);
    const [request] = estimator.requests;
    expect(request).toMatchObject({ tenantId: agent.tenantId, requesterId: agent.userId, now: NOW });
    expect(request.query.conditions[0].and[0]).toMatchObject({ field: 'assignee', value: agent.userId });
    expect(request.query.ticketIds).toEqual([5, 3]);
  });

  it('refuses a user without the export permission before reading anything', async () => {
    const { estimator, run } = setup();
    await expect(run({}, viewer)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect(estimator.requests).toHaveLength(0);
  });

  it('answers 404 for a view the user may not use and names every bad field at once', async () => {
    const { run } = setup();
    await expect(run({ viewId: '0b000000-0000-4000-8000-0000000000ff' })).rejects.toMatchObject({
      code: 'TICKET_VIEW.NOT_FOUND',
    });
    const refused = await run({ viewId: 'nope', ticketIds: [0] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).errors.map((e) => e.field)).toEqual(['viewId', 'ticketIds[0]']);
  });

  it('validates notify as creating a job does: unknown channels, and email without SMTP_URL', async () => {
    const { estimator, run } = setup();
    const fieldsOf = async (input: object) => {
      const refused = await run(input).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ValidationError);
      return (refused as ValidationError).errors;
    };
    expect(await fieldsOf({ notify: ['sms'], format: 'docx' })).toEqual([
      { field: 'notify[0]', message: 'is not a known channel; expected one of email' },
      expect.objectContaining({ field: 'format' }),
    ]);
    expect(await fieldsOf({ notify: ['email'] })).toEqual([
      { field: 'notify', message: 'e-mail notifications are not configured on this service (SMTP_URL)' },
    ]);
    expect(estimator.requests).toHaveLength(0);
    const { estimator: withMail, run: runWithMail } = setup({}, true);
    await expect(runWithMail({ notify: ['email'] })).resolves.toMatchObject({ rows: SIZE.rows });
    expect(withMail.requests).toHaveLength(1);
  });

  it("takes the seconds from the recent throughput of the request's format", async () => {
    const { run } = setup({
      json: { jobs: 5, rows: 100_000, seconds: 10 },
      '*': { jobs: 9, rows: 1, seconds: 1 },
    });
    await expect(run({ format: 'json' })).resolves.toEqual({ ...SIZE, seconds: 12 });
  });

  it('falls back to all formats when the format has too few recent exports, then to a default', async () => {
    const { run } = setup({
      csv: { jobs: 2, rows: 10, seconds: 10 },
      '*': { jobs: 8, rows: 60_000, seconds: 2 },
    });
    await expect(run({})).resolves.toMatchObject({ seconds: 4 });
    const { run: withoutHistory } = setup();
    await expect(withoutHistory({})).resolves.toMatchObject({
      seconds: Math.ceil(SIZE.rows / DEFAULT_ROWS_PER_SECOND),
    });
  });
});
