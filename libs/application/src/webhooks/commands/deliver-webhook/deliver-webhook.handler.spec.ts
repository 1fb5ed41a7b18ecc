import type { Clock } from '../../../ports/clock';
import {
  type AttemptRefusal,
  type AttemptResult,
  type AuditEntry,
  type WebhookDeliveryAttempt,
  WebhookDeliveryStore,
  WebhookSender,
  type WebhookSendResult,
} from '../../../index';
import { DeliverWebhookCommand } from './deliver-webhook.command';
import { DeliverWebhookHandler } from './deliver-webhook.handler';

const HOUR = 3600_000;
const T0 = new Date('2026-11-30T00:00:00Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

/** Records what the handler settled, in order; begins attempts from a given state. */
class RecordingStore extends WebhookDeliveryStore {
  readonly calls: string[] = [];
  constructor(private readonly next: WebhookDeliveryAttempt | AttemptRefusal) {
    super();
  }
  dispatchEvents(): Promise<{ events: number; deliveryIds: string[] }> {
    throw new Error('not expected');
  }
  markEnqueued(): Promise<void> {
    throw new Error('not expected');
  }
  findUnenqueued(): Promise<string[]> {
    throw new Error('not expected');
  }
  findOverdue(): Promise<string[]> {
    throw new Error('not expected');
  }
  purgeEvents(): Promise<number> {
    throw new Error('not expected');
  }
  beginAttempt(): Promise<WebhookDeliveryAttempt | AttemptRefusal> {
    return Promise.resolve(this.next);
  }
  recordSuccess(_a: WebhookDeliveryAttempt, r: AttemptResult): Promise<void> {
    this.calls.push(`success ${r.responseCode}`);
    return Promise.resolve();
  }
  recordRetry(_a: WebhookDeliveryAttempt, r: AttemptResult, next: Date): Promise<void> {
    this.calls.push(`retry ${r.responseCode ?? r.error} at +${next.getTime() - r.at.getTime()}ms`);
    return Promise.resolve();
  }
  recordGiveUp(
    _a: WebhookDeliveryAttempt,
    r: AttemptResult,
    disable: { reason: string; audit: AuditEntry } | null,
  ): Promise<void> {
    this.calls.push(
      `give up ${r.responseCode}${disable ? ` disable ${disable.reason} ${disable.audit.action}` : ''}`,
    );
    return Promise.resolve();
  }
  cancel(id: string): Promise<void> {
    this.calls.push(`cancel ${id}`);
    return Promise.resolve();
  }
}

class ScriptedSender extends WebhookSender {
  readonly sent: { messageId: string; secrets: readonly string[] }[] = [];
  constructor(private readonly result: WebhookSendResult) {
    super();
  }
  send(request: { messageId: string; secrets: readonly string[] }): Promise<WebhookSendResult> {
    this.sent.push({ messageId: request.messageId, secrets: request.secrets });
    return Promise.resolve(this.result);
  }
}

function attempt(overrides: Partial<WebhookDeliveryAttempt> = {}): WebhookDeliveryAttempt {
  return {
    id: 'd-1',
    tenantId: 't-1',
    endpointId: 'e-1',
    url: 'https://hooks.example.com/x',
    body: '{}',
    secrets: ['whsec_new', 'whsec_old'],
    attemptsBefore: 0,
    firstFailedAt: null,
    endpointFailingSince: null,
    ...overrides,
  };
}

async function run(
  state: WebhookDeliveryAttempt | AttemptRefusal,
  result: WebhookSendResult,
  now: Date = T0,
): Promise<{ outcome: unknown; calls: string[]; sent: ScriptedSender['sent'] }> {
  const store = new RecordingStore(state);
  const sender = new ScriptedSender(result);
  const clock: Clock = { now: () => now };
  const handler = new DeliverWebhookHandler(store, sender, clock, {
    allowHttp: false,
    retryScale: 1,
    queueCheckIntervalMs: 15_000,
  });
  handler.random = () => 0;
  const outcome = await handler.execute(new DeliverWebhookCommand('d-1'));
  return { outcome, calls: store.calls, sent: sender.sent };
}

const responded = (status: number): WebhookSendResult => ({ outcome: 'responded', status, durationMs: 12 });

describe('DeliverWebhookHandler', () => {
  it('sends with the delivery id as webhook-id and every signing secret; a 2xx settles it', async () => {
    const { outcome, calls, sent } = await run(attempt(), responded(204));
    expect(outcome).toEqual({ result: 'delivered' });
    expect(calls).toEqual(['success 204']);
    expect(sent).toEqual([{ messageId: 'msg_d-1', secrets: ['whsec_new', 'whsec_old'] }]);
  });

  it('retries other answers and unreachable endpoints on the schedule (jittered backoff)', async () => {
    expect((await run(attempt(), responded(503))).calls).toEqual(['retry 503 at +5000ms']);
    expect((await run(attempt({ attemptsBefore: 3 }), responded(302))).calls).toEqual([
      'retry 302 at +40000ms',
    ]);
    const unreachable = await run(attempt(), {
      outcome: 'unreachable',
      error: 'No answer within 10 s.',
      durationMs: 10_000,
    });
    expect(unreachable.calls).toEqual(['retry No answer within 10 s. at +5000ms']);
    expect(unreachable.outcome).toEqual({ result: 'retry', nextAttemptAt: at(5000) });
  });

  it('gives up on a 410 and disables the endpoint, audited', async () => {
    const { outcome, calls } = await run(attempt(), responded(410));
    expect(outcome).toEqual({ result: 'given-up' });
    expect(calls).toEqual(['give up 410 disable gone webhook.disabled']);
  });

  it('gives up after 24 h of failures, disabling the endpoint only when nothing succeeded meanwhile', async () => {
    const failing = attempt({ attemptsBefore: 15, firstFailedAt: T0, endpointFailingSince: T0 });
    expect((await run(failing, responded(500), at(24 * HOUR - 1))).calls).toEqual([
      'retry 500 at +7200000ms',
    ]);
    expect((await run(failing, responded(500), at(24 * HOUR))).calls).toEqual([
      'give up 500 disable failing webhook.disabled',
    ]);
    const othersSucceeded = attempt({
      attemptsBefore: 15,
      firstFailedAt: T0,
      endpointFailingSince: at(HOUR),
    });
    expect((await run(othersSucceeded, responded(500), at(24 * HOUR))).calls).toEqual(['give up 500']);
    const endpointDown = attempt({
      attemptsBefore: 1,
      firstFailedAt: at(20 * HOUR),
      endpointFailingSince: T0,
    });
    expect((await run(endpointDown, responded(500), at(24 * HOUR))).calls).toEqual([
      'give up 500 disable failing webhook.disabled',
    ]);
  });

  it('sends nothing for a settled delivery, and fails one whose endpoint was disabled', async () => {
    expect(await run('not-pending', responded(200))).toEqual({
      outcome: { result: 'skipped' },
      calls: [],
      sent: [],
    });
    expect(await run('endpoint-disabled', responded(200))).toEqual({
      outcome: { result: 'skipped' },
      calls: ['cancel d-1'],
      sent: [],
    });
  });
});
