/**
 * The Node.js flags every worker process runs with, wherever it is started: docker-compose.yml's `worker` command,
 * `npm run start:worker` and `npm start` (scripts/start.js), the demo and the bench (tools/shared/processes.ts), the
 * tests (test/support/worker.ts). A static spec holds compose and package.json to this list.
 *
 * `--max-semi-space-size=8` (MB): an export passes millions of short-lived rows through V8's young generation,
 * which V8 grows to its largest semi-spaces (16 MB each on Node 20, 32 MB on Node 24). With 8 MB the bench measured
 * the worker's peak RSS 15-20 MB lower at 98k and 980k rows (local 117 / 128-142 MB, Azure 133 / 135-140 MB, S3
 * 141 / 153 MB against 132 / 142-158, 146 / 154-159 and 168 / 170-171) at the same speed. It cannot be set from
 * inside the process: V8 sizes the young generation when the process starts.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
