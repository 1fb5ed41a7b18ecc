import { writeSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * A rejection nobody awaited or an exception nobody caught leaves the process in an unknown state: write one JSON
 * line in pino's shape (level 60, fatal) to stdout, synchronously, and exit 1 so the supervisor restarts the
 * process. Nothing asynchronous runs after the fault; jobs in flight are taken over by BullMQ's stalled check.
 */
export function exitOnProcessFailure(name: string): void {
  const fail = (event: 'unhandledRejection' | 'uncaughtException', fault: unknown): void => {
    const err =
      fault instanceof Error
        ? { type: fault.name, message: fault.message, stack: fault.stack }
        : { type: typeof fault, message: String(fault) };
    const line = {
      level: 60,
      time: Date.now(),
      pid: process.pid,
      hostname: hostname(),
      name,
      event,
      err,
      msg: `${event}: ${err.message}; exiting`,
    };
    try {
      writeSync(1, `${JSON.stringify(line)}\n`);
    } finally {
      process.exit(1);
    }
  };
  process.on('unhandledRejection', (reason) => fail('unhandledRejection', reason));
  process.on('uncaughtException', (error) => fail('uncaughtException', error));
}
