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
 *
 * `--heap-growing-percent=30`: after each full collection V8 lets the old generation grow to 1.3 times what
 * survived, instead of a factor of up to 4 that its heuristics pick from how fast the process allocates. An export
 * keeps promoting short-lived garbage (rows and cells that outlive two young collections in stream buffers), about
 * 40 MB live: with the heuristic factor the old generation sawed between 40 and 120 MB in some runs and not in
 * others, so the worker's peak RSS at 980k rows jumped between about 130 and 220 MB from one run to the next.
 * Measured at 980k rows with it and without, alternated in the same minutes (session 8; local 8 runs each, s3 2):
 * local csv 128-133 MB against 136-152, xlsx 123-130 MB against 133-222 (4 runs of 8 over 200 MB), s3 csv 156-157
 * against 165-166; rows/s within the runs' spread (local csv 129-162k against 136-158k, xlsx 79-94k against
 * 79-93k). Node 20 and 24 both take it.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=30'];
