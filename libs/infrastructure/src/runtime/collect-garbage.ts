import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * A full garbage collection, now. For code that drops large buffers at a steady pace: a buffer that lived long
 * enough to reach V8's old space is freed only by a full collection, and V8 starts one for external memory only
 * after about 64 MB more of it since the last one. An S3 upload drops two 5 MiB buffers per part (the chunks and
 * the part lib-storage joins them into), so without this its worker held up to 80 MB of dead parts.
 *
 * The function is exposed without `--expose-gc` on the command line, the way jest exposes it: the flag is set,
 * `gc` taken from a fresh context, and the flag unset again. A process started with `--expose-gc` uses its own.
 */
export function collectGarbage(): void {
  gc ??= exposedGc();
  gc();
}

function exposedGc(): () => void {
  const own = globalThis.gc;
  if (typeof own === 'function') return () => void own();
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
