import { redisErrorListener } from './redis-error-log';

describe('redisErrorListener', () => {
  function listening(): { lines: string[]; listen: (error: Error) => void; advance: (ms: number) => void } {
    const lines: string[] = [];
    let now = 0;
    const listen = redisErrorListener({ warn: (line) => lines.push(line) }, 'exports queue', () => now);
    return { lines, listen, advance: (ms) => (now += ms) };
  }

  it('logs a new message at once, and a repeated one every 30 s with the count it held back', () => {
    const { lines, listen, advance } = listening();

    listen(new Error('connect ECONNREFUSED'));
    for (let i = 0; i < 10; i++) {
      advance(500);
      listen(new Error('connect ECONNREFUSED'));
    }
    advance(30_000);
    listen(new Error('connect ECONNREFUSED'));
    listen(new Error('read ECONNRESET'));

    expect(lines).toEqual([
      'Redis error on the exports queue: connect ECONNREFUSED',
      'Redis error on the exports queue: connect ECONNREFUSED (10 more since the last line)',
      'Redis error on the exports queue: read ECONNRESET',
    ]);
  });
});
