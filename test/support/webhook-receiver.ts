import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** What one route answers to its n-th request (1-based), given whether it already processed that webhook-id. */
export type Behaviour = (n: number, duplicate: boolean) => number;

export interface ReceivedDelivery {
  readonly route: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Verified with the Standard Webhooks reference verifier against the route's secret(s), one result per secret. */
  readonly verifiedWith: readonly boolean[];
  readonly status: number;
  readonly duplicate: boolean;
}

/**
 * A webhook receiver as integrations are told to write one: it verifies each request with the `standardwebhooks`
 * package's verifier, processes a `webhook-id` once (a repeat is acknowledged, not processed again), and answers
 * what its route's behaviour says.
 */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  /** The webhook-ids processed, per route, in order. */
  readonly processed = new Map<string, string[]>();
  private readonly secrets = new Map<string, string[]>();
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly counts = new Map<string, number>();
  private server!: Server;
  baseUrl = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then((status) => res.writeHead(status).end(status === 410 ? 'gone' : 'ok'));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  route(name: string, behaviour: Behaviour = () => 200): string {
    this.behaviours.set(name, behaviour);
    return `${this.baseUrl}/${name}`;
  }

  /** The secrets a route verifies with (the current one first). */
  trust(name: string, ...secrets: string[]): void {
    this.secrets.set(name, secrets);
  }

  deliveriesTo(name: string): ReceivedDelivery[] {
    return this.received.filter((d) => d.route === name);
  }

  private async handle(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const route = (req.url ?? '/').slice(1);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (typeof value === 'string') headers[name] = value;
    const verifiedWith = (this.secrets.get(route) ?? []).map((secret) => {
      try {
        new Webhook(secret).verify(body, headers);
        return true;
      } catch {
        return false;
      }
    });
    const n = (this.counts.get(route) ?? 0) + 1;
    this.counts.set(route, n);
    const seen = this.processed.get(route) ?? [];
    const id = headers['webhook-id'] ?? '';
    const duplicate = seen.includes(id);
    const status = verifiedWith.some(Boolean)
      ? (this.behaviours.get(route) ?? (() => 404))(n, duplicate)
      : 401;
    // A verified message is processed once, whatever is answered (an answer can be lost on the way back).
    if (verifiedWith.some(Boolean) && !duplicate && status !== 410) this.processed.set(route, [...seen, id]);
    this.received.push({ route, headers, body, verifiedWith, status, duplicate });
    return status;
  }
}
