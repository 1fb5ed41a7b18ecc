import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, Socket } from 'node:net';
import Redis from 'ioredis';
import { readConfig } from '@app/infrastructure';
import { abortSocket, FaultProxy } from '../support/fault-proxy';

/** The fault toolkit itself: every later scenario relies on each mode doing exactly what it says. */
describe('FaultProxy', () => {
  let echo: Server;
  let proxy: FaultProxy;

  beforeAll(async () => {
    // The proxy resets connections on purpose: the echo side just sees them go.
    echo = createServer((socket) => socket.on('error', () => undefined).pipe(socket));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
  });

  beforeEach(async () => {
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: (echo.address() as AddressInfo).port });
  });

  afterEach(() => proxy.close());

  afterAll(async () => {
    echo.close();
    await once(echo, 'close');
  });

  /** Every socket's bytes since it connected; `received` hands out what arrived since it was last asked. */
  const inbox = new WeakMap<Socket, string[]>();

  async function open(): Promise<Socket> {
    const socket = connect(proxy.port, '127.0.0.1');
    const chunks: string[] = [];
    inbox.set(socket, chunks);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk.toString())).on('error', () => undefined);
    await once(socket, 'connect');
    return socket;
  }

  /** What the socket received within the next `ms` (and before, since it was last asked). */
  async function received(socket: Socket, ms: number): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const chunks = inbox.get(socket) ?? [];
    return chunks.splice(0).join('');
  }

  it('passes bytes both ways', async () => {
    const socket = await open();
    socket.write('hello');
    expect(await received(socket, 200)).toBe('hello');
    socket.destroy();
  });

  it('cut resets open connections and new ones, and pass lets new ones through again', async () => {
    const socket = await open();
    const failed = new Promise<NodeJS.ErrnoException>((resolve) => socket.once('error', resolve));
    proxy.setMode('cut');
    expect((await failed).code).toBe('ECONNRESET');
    expect(proxy.openConnections).toBe(0);

    const refused = connect(proxy.port, '127.0.0.1');
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => refused.once('error', resolve));
    expect(error.code).toBe('ECONNRESET');

    proxy.setMode('pass');
    const again = await open();
    again.write('back');
    expect(await received(again, 200)).toBe('back');
    again.destroy();
  });

  it('aborts a socket whose end() is pending without leaving its handle open (resetAndDestroy alone leaks it)', async () => {
    const socket = await open();
    socket.end();
    abortSocket(socket);
    await once(socket, 'close');
    // A destroyed socket whose native handle never closed stays among the active handles, and the process then
    // never exits.
    const active = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
    expect(active.filter((handle) => handle instanceof Socket && handle === socket)).toEqual([]);
  });

  it('stall holds the bytes of open and new connections until the mode changes', async () => {
    const socket = await open();
    proxy.setMode('stall');
    socket.write('held');
    const late = await open();
    late.write('late');
    expect(await received(socket, 300)).toBe('');
    expect(await received(late, 1)).toBe('');
    proxy.setMode('pass');
    expect(await received(socket, 200)).toBe('held');
    expect(await received(late, 1)).toBe('late');
    socket.destroy();
    late.destroy();
  });

  it('throttle paces each direction at the given rate', async () => {
    proxy.setMode({ throttle: { bytesPerSecond: 4000 } });
    const socket = await open();
    socket.write('x'.repeat(4000));
    // 4000 bytes at 4000 B/s take about a second upstream, and as long again on the way back.
    const early = await received(socket, 500);
    expect(early.length).toBeLessThan(4000);
    proxy.setMode('pass');
    const rest = await received(socket, 500);
    expect(early.length + rest.length).toBe(4000);
    socket.destroy();
  });

  it('stands between a real client and Redis: a cut fails commands, pass lets the client reconnect', async () => {
    const redisProxy = await FaultProxy.forUrl(readConfig().redisUrl);
    const redis = new Redis(redisProxy.rewrite(readConfig().redisUrl), {
      maxRetriesPerRequest: 0,
      retryStrategy: () => 100,
    });
    redis.on('error', () => undefined);
    try {
      expect(await redis.ping()).toBe('PONG');
      redisProxy.setMode('cut');
      await expect(redis.ping()).rejects.toThrow();
      redisProxy.setMode('pass');
      let answer: string | null = null;
      for (let i = 0; i < 50 && answer === null; i++) {
        answer = await redis.ping().catch(() => null);
        if (answer === null) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(answer).toBe('PONG');
      expect(redisProxy.connectionCount).toBeGreaterThanOrEqual(2);
    } finally {
      redis.disconnect();
      await redisProxy.close();
    }
  });
});
