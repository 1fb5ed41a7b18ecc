import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import { FileStorage, type ObjectUpload, type StorageProvider, type UploadOptions } from '@app/application';
import type { Pool } from 'pg';
import { builtAppEnvironment } from './worker';
import type { S3Config } from './s3';

/** The retention cleanup CLI exactly as `npm run exports:cleanup` runs it, once built (`npm test` builds first). */
const CLEANUP_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'exports-cleanup.js');
const CLI_TIMEOUT_MS = 60_000;

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Spawns `node dist/apps/cli/src/exports-cleanup.js` with NODE_ENV=test, the test database, REDIS_URL and the given
 * environment (the spec's Redis database, STORAGE_*), and resolves when it exits. Like startWorker, nothing else is
 * inherited from the test process beyond PATH and HOME.
 */
export async function runCleanupCli(env: Readonly<Record<string, string>>): Promise<CliRun> {
  if (!existsSync(CLEANUP_MAIN))
    throw new Error(`${CLEANUP_MAIN} is missing: run \`npm run build\` first (\`npm test\` does).`);
  const child = spawn(process.execPath, [CLEANUP_MAIN], {
    env: builtAppEnvironment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode) => resolve(exitCode));
    });
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The cleanup works on the whole test database, where earlier spec files left uploads journaled on S3 servers
 * that are gone (or on purpose, refused aborts): this server cannot abort them, and the run would count them as
 * its errors. A spec that runs the cleanup to judge its own tenant's jobs settles the other tenants' entries
 * first (spec files run one at a time).
 */
export async function settleOtherTenantsUploads(pool: Pool, tenantId: string): Promise<void> {
  await pool.query(
    `UPDATE export_uploads SET finished_at = now(), outcome = 'aborted'
      WHERE tenant_id <> $1 AND finished_at IS NULL`,
    [tenantId],
  );
}

/** Begins a multipart upload (as an export attempt does before its first part) and returns its UploadId. */
export async function beginMultipartUpload(s3: S3Config, key: string): Promise<string> {
  const client = new S3Client({
    region: s3.region,
    endpoint: s3.endpoint ?? undefined,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId ?? '', secretAccessKey: s3.secretAccessKey ?? '' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: s3.bucket ?? '', Key: key, ContentType: 'text/csv' }),
    );
    if (UploadId === undefined) throw new Error('CreateMultipartUpload returned no UploadId');
    return UploadId;
  } finally {
    client.destroy();
  }
}

/** A FileStorage that passes everything to `inner`, except that a delete can be held at a gate the spec opens. */
export class GatedFileStorage extends FileStorage {
  readonly provider: StorageProvider;
  private gate: { reached: () => void; opened: Promise<void> } | null = null;

  constructor(private readonly inner: FileStorage) {
    super();
    this.provider = inner.provider;
  }

  /** The next delete waits until `open()`; `reached` resolves once it is waiting there. */
  holdNextDelete(): { reached: Promise<void>; open: () => void } {
    let reached: () => void = () => undefined;
    let open: () => void = () => undefined;
    const waiting = new Promise<void>((resolve) => (reached = resolve));
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.gate = { reached, opened };
    return { reached: waiting, open };
  }

  async delete(key: string): Promise<void> {
    const gate = this.gate;
    if (gate) {
      this.gate = null;
      gate.reached();
      await gate.opened;
    }
    await this.inner.delete(key);
  }

  beginUpload(key: string, options: UploadOptions): Promise<ObjectUpload> {
    return this.inner.beginUpload(key, options);
  }
  openRead(key: string): Promise<{ stream: Readable; sizeBytes: number }> {
    return this.inner.openRead(key);
  }
  abortUpload(key: string, uploadId: string): Promise<void> {
    return this.inner.abortUpload(key, uploadId);
  }
  check(): Promise<void> {
    return this.inner.check();
  }
}
