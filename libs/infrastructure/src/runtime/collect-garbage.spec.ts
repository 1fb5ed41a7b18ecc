import { runInNewContext } from 'node:vm';
import { collectGarbage } from './collect-garbage';

describe('collectGarbage', () => {
  it('frees what nothing references any more, in a process started without --expose-gc', async () => {
    expect(process.execArgv).not.toContain('--expose-gc');
    const ref = new WeakRef({ payload: Buffer.alloc(64 * 1024) }); // nothing else references the object
    // A WeakRef keeps its target alive until the job that created or read it has ended.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(ref.deref()).toBeUndefined();
  });

  it('does not expose gc to the contexts created after it', () => {
    collectGarbage();
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
