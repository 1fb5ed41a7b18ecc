import { ValidationError } from '../errors/domain-error';
import { parseWebhookEndpoint, webhookEventOf, webhookPayload } from './webhook-endpoint';
import { WebhookRetrySchedule } from './webhook-retry-schedule';

function fieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.errors.map((e) => `${e.field}: ${e.message}`);
    throw error;
  }
  throw new Error('no ValidationError');
}

describe('parseWebhookEndpoint', () => {
  it('accepts an https URL with known events and trims the description', () => {
    expect(
      parseWebhookEndpoint(
        {
          url: 'https://hooks.example.com/x?a=1',
          events: ['export.failed', 'export.completed'],
          description: ' CI ',
        },
        false,
      ),
    ).toEqual({
      url: 'https://hooks.example.com/x?a=1',
      events: ['export.failed', 'export.completed'],
      description: 'CI',
    });
  });

  it.each([
    ['not a url', 'url: must be an absolute URL'],
    ['/relative', 'url: must be an absolute URL'],
    ['ftp://hooks.example.com/x', 'url: must use https'],
    ['http://hooks.example.com/x', 'url: must use https'],
    ['https://user:pw@hooks.example.com/x', 'url: must not carry credentials'],
    ['https://hooks.example.com/x#frag', 'url: must not have a fragment'],
    [`https://hooks.example.com/${'a'.repeat(2048)}`, 'url: must be at most 2048 characters'],
  ])('refuses the URL %s', (url, message) => {
    expect(fieldsOf(() => parseWebhookEndpoint({ url, events: ['export.failed'] }, false))).toEqual([
      message,
    ]);
  });

  it('takes http only where allowed', () => {
    expect(parseWebhookEndpoint({ url: 'http://h.example/x', events: ['export.failed'] }, true).url).toBe(
      'http://h.example/x',
    );
    expect(
      fieldsOf(() => parseWebhookEndpoint({ url: 'ftp://h.example/x', events: ['export.failed'] }, true)),
    ).toEqual(['url: must use https or http']);
  });

  it('names every bad event and the description at once', () => {
    expect(
      fieldsOf(() =>
        parseWebhookEndpoint(
          {
            url: 'https://h.example',
            events: ['export.failed', 'export.started', 'export.failed'],
            description: 'd'.repeat(201),
          },
          false,
        ),
      ),
    ).toEqual([
      'events[1]: is not a known event; expected one of export.completed, export.failed, export.cancelled, export.expired',
      'events[2]: is listed twice',
      'description: must be at most 200 characters',
    ]);
    expect(fieldsOf(() => parseWebhookEndpoint({ url: 'https://h.example', events: [] }, false))).toEqual([
      'events: must name at least one event',
    ]);
  });
});

describe('webhook events', () => {
  it('announce the terminal states only', () => {
    expect(['queued', 'running', 'completed', 'failed', 'cancelled', 'expired'].map(webhookEventOf)).toEqual([
      null,
      null,
      'export.completed',
      'export.failed',
      'export.cancelled',
      'export.expired',
    ]);
  });

  it('carry a thin payload: type, occurred-at, job id, status and its link, nothing else', () => {
    const body = webhookPayload({
      type: 'export.completed',
      jobId: 'j-1',
      status: 'completed',
      occurredAt: new Date('2026-11-30T12:00:00Z'),
    });
    expect(JSON.parse(body)).toEqual({
      type: 'export.completed',
      timestamp: '2026-11-30T12:00:00.000Z',
      data: { id: 'j-1', status: 'completed', links: { self: '/export-jobs/j-1' } },
    });
  });
});

/** The largest jitter draw, as Math.random can return it (never 1). */
const ALMOST_ONE = 1 - 1e-12;

describe('WebhookRetrySchedule', () => {
  const schedule = new WebhookRetrySchedule(1);

  it('doubles from 10 s up to 4 h, with jitter between half and all of each step', () => {
    expect([1, 2, 3, 4].map((n) => schedule.delayMs(n, ALMOST_ONE))).toEqual([
      10_000, 20_000, 40_000, 80_000,
    ]);
    expect(schedule.delayMs(1, 0)).toBe(5_000);
    expect(schedule.delayMs(20, ALMOST_ONE)).toBe(4 * 3600_000);
    expect(schedule.delayMs(500, 0)).toBe(2 * 3600_000);
  });

  it('gives up after 24 h, and its scale shrinks everything at once', () => {
    const start = new Date('2026-11-30T00:00:00Z');
    expect(schedule.exhausted(start, new Date('2026-11-30T23:59:59Z'))).toBe(false);
    expect(schedule.exhausted(start, new Date('2026-12-01T00:00:00Z'))).toBe(true);
    const small = new WebhookRetrySchedule(0.001);
    expect(small.giveUpAfterMs).toBe(86_400);
    expect(small.delayMs(1, ALMOST_ONE)).toBe(10);
  });
});
