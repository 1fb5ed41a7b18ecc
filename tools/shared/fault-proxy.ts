import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * How the proxy treats traffic:
 * - `pass`: forwards both ways;
 * - `cut`: resets every open connection and every new one (the peer sees ECONNRESET, as when a link drops);
 * - `stall`: keeps connections open and accepts new ones, but forwards nothing until the mode changes (a
 *   dependency that stopped answering); what was held back flows once the mode is `pass` or `throttle` again;
 * - `throttle`: forwards at most `bytesPerSecond` in each direction of each connection.
 */
export type FaultMode = 'pass' | 'cut' | 'stall' | { readonly throttle: { readonly bytesPerSecond: number } };

export interface FaultProxyTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * An in-process TCP proxy on 127.0.0.1 and a free port, put between a process under test and one dependency
 * (PostgreSQL, Redis, an S3 server) to cut, stall or throttle that dependency for that process only. The
 * machine's shared services are never stopped: other suites keep running against them.
 */
export class FaultProxy {
  private mode: FaultMode = 'pass';
  private readonly connections = new Set<{ client: Socket; upstream: Socket; gates: Gate[] }>();
  private accepted = 0;

  private constructor(
    private readonly server: Server,
    private readonly target: FaultProxyTarget,
  ) {}

  static async start(target: FaultProxyTarget): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(server, target);
    server.on('connection', (client) => proxy.accept(client));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  /** A proxy for the service behind `url` (postgres://, redis://, http://): same URL, the proxy's host and port. */
  static async forUrl(url: string): Promise<FaultProxy> {
    const parsed = new URL(url);
    const defaults: Record<string, number> = { 'postgres:': 5432, 'redis:': 6379, 'http:': 80 };
    return FaultProxy.start({
      host: parsed.hostname,
      port: Number(parsed.port || defaults[parsed.protocol] || 0),
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `url` with its host and port replaced by the proxy's. */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Connections accepted since the proxy started (a reconnecting client shows here). */
  get connectionCount(): number {
    return this.accepted;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  setMode(mode: FaultMode): void {
    this.mode = mode;
    if (mode === 'cut') for (const connection of [...this.connections]) this.reset(connection);
    for (const { gates } of this.connections) for (const gate of gates) gate.update(mode);
  }

  async close(): Promise<void> {
    for (const connection of [...this.connections]) this.reset(connection);
    this.server.close();
    await once(this.server, 'close');
  }

  private accept(client: Socket): void {
    this.accepted++;
    if (this.mode === 'cut') {
      client.on('error', () => undefined).resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    const gates = [new Gate(this.mode), new Gate(this.mode)];
    const connection = { client, upstream, gates };
    this.connections.add(connection);
    const end = (): void => {
      if (!this.connections.delete(connection)) return;
      client.destroy();
      upstream.destroy();
      for (const gate of gates) gate.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    gates[0].on('error', end);
    gates[1].on('error', end);
    upstream.connect(this.target.port, this.target.host);
    client.pipe(gates[0]).pipe(upstream);
    upstream.pipe(gates[1]).pipe(client);
  }

  private reset(connection: { client: Socket; upstream: Socket; gates: Gate[] }): void {
    this.connections.delete(connection);
    abortSocket(connection.client);
    abortSocket(connection.upstream);
    for (const gate of connection.gates) gate.destroy();
  }
}

/**
 * Ends a socket at once: with a TCP reset where Node can send one, else destroyed. Node's resetAndDestroy() on a
 * socket whose end() is still pending fails (EINVAL) and leaves its native handle open for good, which then keeps
 * the process from ever exiting: Node's exit waits for every handle to close. That is how the whole e2e run hung
 * after its last test (the stuck-jobs spec's proxy sockets, ended by a pipe, then cut).
 */
export function abortSocket(socket: Socket): void {
  if (socket.writableEnded || socket.connecting || socket.destroyed) socket.destroy();
  else socket.resetAndDestroy();
}

/**
 * One direction of one connection. Holds chunks while stalled (its callback waits, so back-pressure reaches the
 * sender's socket instead of memory) and paces them while throttled.
 */
class Gate extends Transform {
  private held: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private mode: FaultMode) {
    super();
  }

  update(mode: FaultMode): void {
    this.mode = mode;
    const release = this.held;
    this.held = null;
    release?.();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.forward(chunk, callback);
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.held = null;
    callback(error);
  }

  private forward(chunk: Buffer, callback: TransformCallback): void {
    const mode = this.mode;
    if (mode === 'pass') {
      callback(null, chunk);
      return;
    }
    if (mode === 'stall' || mode === 'cut') {
      this.held = () => this.forward(chunk, callback);
      return;
    }
    // Throttle: send a tenth of a second's worth, then wait that long before the rest.
    const slice = Math.max(1, Math.floor(mode.throttle.bytesPerSecond / 10));
    const head = chunk.subarray(0, slice);
    const rest = chunk.subarray(slice);
    this.push(head);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (rest.length === 0) callback();
        else this.forward(rest, callback);
      },
      Math.ceil((head.length / mode.throttle.bytesPerSecond) * 1000),
    );
  }
}
