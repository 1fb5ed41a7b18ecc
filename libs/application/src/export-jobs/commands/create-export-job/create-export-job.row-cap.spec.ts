import { ExportTooLargeError } from '@app/domain';
import { anActor } from '@app/domain/testing/export-job.factory';
import {
  CountingTicketListReader,
  FakeExportJobRepository,
  FakeTicketViewRepository,
  FixedClock,
  settings,
} from '../../../testing/api-fakes';
import { RecordingQueue } from '../../../testing/recording-queue';
import { CreateExportJobCommand, type CreateExportJobInput } from './create-export-job.command';
import { CreateExportJobHandler } from './create-export-job.handler';

const agent = anActor({ email: 'agent@acme.test' });

function setup(matching: number, pdfCap = 100) {
  const jobs = new FakeExportJobRepository();
  const queue = new RecordingQueue();
  const tickets = new CountingTicketListReader(matching);
  const handler = new CreateExportJobHandler(
    jobs,
    new FakeTicketViewRepository([]),
    queue,
    new FixedClock(new Date('2026-03-02T10:00:00.000Z')),
    settings(3, { pdf: pdfCap }),
    tickets,
  );
  const run = (input: CreateExportJobInput) =>
    handler.execute(new CreateExportJobCommand({ actor: agent, ip: null, userAgent: null }, input, null));
  return { jobs, queue, tickets, run };
}

describe('CreateExportJobHandler: row caps by format', () => {
  it('refuses a PDF over EXPORT_PDF_MAX_ROWS with EXPORT_JOB.TOO_LARGE, naming the cap and CSV, and creates nothing', async () => {
    const { jobs, queue, tickets, run } = setup(101);
    const refusal = await run({
      format: 'pdf',
      filters: { and: [{ field: 'assignee', operator: 'is', value: '@me' }] },
    }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ExportTooLargeError);
    expect(refusal).toMatchObject({ code: 'EXPORT_JOB.TOO_LARGE', details: { format: 'pdf', maxRows: 100 } });
    expect((refusal as Error).message).toMatch(/at most 100 rows \(EXPORT_PDF_MAX_ROWS\).*CSV/);
    expect(jobs.writes).toHaveLength(0);
    expect(queue.enqueued).toHaveLength(0);
    // Counted no further than the cap + 1, with @me already the requester.
    expect(tickets.counts).toHaveLength(1);
    expect(tickets.counts[0].limit).toBe(101);
    expect(JSON.stringify(tickets.counts[0].query.conditions)).toContain(agent.userId);
  });

  it('accepts a PDF of exactly the cap', async () => {
    const { jobs, run } = setup(100);
    const { created } = await run({ format: 'pdf' });
    expect(created).toBe(true);
    expect(jobs.writes).toHaveLength(1);
  });

  it('never counts for a format without a cap', async () => {
    const { tickets, run } = setup(1_000_000);
    await run({ format: 'csv' });
    expect(tickets.counts).toHaveLength(0);
  });
});
