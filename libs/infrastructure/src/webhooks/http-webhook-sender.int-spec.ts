import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpWebhookSender } from './http-webhook-sender';

/** What the specs' local server needs: http, to a loopback address. */
const OPEN = { allowHttp: true, allowPrivate: true };

/**
 * The sender against a local server: what it does with redirects, big answers, silence, private addresses and http
 * once http is no longer allowed.
 */
describe('HttpWebhookSender', () => {
  let server: Server;
  let base: string;
  const hits: string[] = [];
  let bodyBytesSent = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/redirect') res.writeHead(302, { Location: '/target' }).end();
      else if (req.url === '/target') res.writeHead(200).end('ok');
      else if (req.url === '/big') {
        res.writeHead(200);
        const chunk = Buffer.alloc(16 * 1024, 'x');
        const write = (): void => {
          while (bodyBytesSent < 64 * 1024 * 1024 && !res.destroyed) {
            bodyBytesSent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', write);
          }
          res.end();
        };
        write();
      } else if (req.url === '/silent') {
        // never answers
      } else res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const send = (sender: HttpWebhookSender, path: string) =>
    sender.send({
      url: base + path,
      messageId: 'msg_1',
      timestamp: new Date(),
      body: '{"type":"export.completed"}',
      secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    const result = await send(new HttpWebhookSender(OPEN), '/redirect');
    expect(result).toMatchObject({ outcome: 'responded', status: 302 });
    expect(hits).not.toContain('/target');
  });

  it('reads at most a few KB of an answer and hangs up on the rest', async () => {
    const result = await send(new HttpWebhookSender(OPEN), '/big');
    expect(result).toMatchObject({ outcome: 'responded', status: 200 });
    expect(bodyBytesSent).toBeLessThan(8 * 1024 * 1024);
  });

  it('gives up on an endpoint that does not answer within its timeout', async () => {
    const result = await send(new HttpWebhookSender(OPEN, 300), '/silent');
    expect(result).toMatchObject({ outcome: 'unreachable', error: 'No answer within 0.3 s.' });
  });

  it('refuses a private address before connecting, unless allowed', async () => {
    const before = hits.length;
    expect(await send(new HttpWebhookSender({ allowHttp: true, allowPrivate: false }), '/ok')).toEqual({
      outcome: 'refused',
      error:
        'Not sent: the destination is refused (must not point to a loopback, private, link-local or metadata address).',
    });
    expect(hits.length).toBe(before);
    expect(await send(new HttpWebhookSender(OPEN), '/ok')).toMatchObject({
      outcome: 'responded',
      status: 204,
    });
  });

  it('refuses http before connecting once WEBHOOK_ALLOW_HTTP is off, whatever was accepted at registration', async () => {
    const before = hits.length;
    expect(await send(new HttpWebhookSender({ allowHttp: false, allowPrivate: true }), '/ok')).toEqual({
      outcome: 'refused',
      error: 'Not sent: the destination is refused (must use https).',
    });
    expect(hits.length).toBe(before);
  });
});
