import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { WebhookSender, type WebhookSendResult } from '@app/application';
import { type DestinationPolicy, resolveDestination } from './destination-addresses';
import { webhookSignature } from './webhook-signature';

/** The whole exchange, connect to last byte read; past it the attempt failed (issue 14). */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** What is read of an answer; the rest is discarded with the connection. */
export const WEBHOOK_RESPONSE_LIMIT_BYTES = 4096;

/** A lookup that answers the address already checked, whatever the name resolves to now. */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as LookupFunction;
}

/**
 * POSTs a delivery over node's http(s), one connection per attempt (no agent: nothing pooled across destinations).
 * The URL is checked before every attempt with the worker's own WEBHOOK_ALLOW_HTTP and WEBHOOK_ALLOW_PRIVATE (the
 * settings, or DNS, can change after registration), and the socket goes to the checked address. Redirects are
 * answers like any other non-2xx: not followed.
 */
export class HttpWebhookSender extends WebhookSender {
  constructor(
    private readonly policy: DestinationPolicy,
    private readonly timeoutMs = WEBHOOK_TIMEOUT_MS,
  ) {
    super();
  }

  async send(request: {
    url: string;
    messageId: string;
    timestamp: Date;
    body: string;
    secrets: readonly string[];
  }): Promise<WebhookSendResult> {
    const destination = await resolveDestination(request.url, this.policy);
    if ('refusal' in destination)
      return { outcome: 'refused', error: `Not sent: the destination is refused (${destination.refusal}).` };
    const timestamp = Math.floor(request.timestamp.getTime() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'export-service-webhooks/1',
      'webhook-id': request.messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': webhookSignature(request.secrets, request.messageId, timestamp, request.body),
    };
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    try {
      const status = await this.post(request.url, headers, request.body, destination);
      return { outcome: 'responded', status, durationMs: elapsed() };
    } catch (error) {
      // By code and name, not instanceof: node's errors may come from another realm (a test VM).
      const { code, name } = error as { code?: string; name?: string };
      const message =
        code === 'ABORT_ERR' || name === 'AbortError' || name === 'TimeoutError'
          ? `No answer within ${this.timeoutMs / 1000} s.`
          : `Could not reach the endpoint (${code ?? 'connection failed'}).`;
      return { outcome: 'unreachable', error: message, durationMs: elapsed() };
    }
  }

  private post(
    url: string,
    headers: Record<string, string>,
    body: string,
    destination: { address: string; family: 4 | 6 },
  ): Promise<number> {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    return new Promise<number>((resolve, reject) => {
      const req = client.request(target, {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: false,
        lookup: pinnedLookup(destination.address, destination.family),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      req.once('error', reject);
      req.once('response', (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read >= WEBHOOK_RESPONSE_LIMIT_BYTES) res.destroy();
        });
        const done = (): void => resolve(res.statusCode ?? 0);
        res.once('end', done);
        res.once('close', done);
        res.once('error', done);
      });
      req.end(body);
    });
  }
}
