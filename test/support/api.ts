import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type DynamicModule, Module } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import jwt from 'jsonwebtoken';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { ExportQueue, FileStorage } from '@app/application';
import { RecordingQueue } from '@app/application/testing/recording-queue';
import {
  ExportJob,
  type ExportFormat,
  exportFileName,
  exportObjectKey,
  type ExportJobQuery,
  type ExportJobStatusValue,
  FORMAT_FILE_TYPES,
  DEFAULT_TICKET_QUERY,
  type NotifyChannel,
} from '@app/domain';
import {
  type AppConfig,
  loadConfig,
  requireJwtSecret,
  signAccessToken,
  TypeormExportJobRepository,
  LocalFileStorage,
} from '@app/infrastructure';
import { createApiApp } from '../../apps/api/src/create-api-app';
import type { TestTenant } from './factories';

@Module({})
class TestQueueModule {}

@Module({})
class TestStorageModule {}

function providing(module: new () => object, token: abstract new () => object, value: object): DynamicModule {
  return { module, providers: [{ provide: token, useValue: value }], exports: [token] };
}

export interface ApiOverrides {
  /** Environment on top of the test environment (EXPORT_MAX_ACTIVE_PER_USER, ...). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The queue module. Default: a RecordingQueue, so no worker picks the jobs up. For the real queue (with the
   * lead's worker running) pass `(config) => QueueModule.forRoot(config)`.
   */
  readonly queueModule?: (config: AppConfig) => DynamicModule;
  /** The storage the API reads downloads from (default: local storage in a fresh temporary directory). */
  readonly storage?: FileStorage;
  /** Log lines (JSON) land here instead of stdout. */
  readonly logs?: string[];
  /** Event stream timings (heartbeat, re-check), shortened by the event specs. */
  readonly events?: { readonly heartbeatMs?: number; readonly recheckMs?: number };
}

export interface StartedApi {
  readonly baseUrl: string;
  readonly app: NestExpressApplication;
  readonly config: AppConfig;
  /** The recording queue (unused when a real queue module was passed). */
  readonly queue: RecordingQueue;
  /** The storage the API reads downloads from: local storage in `storageDir` unless overridden. */
  readonly storage: FileStorage;
  /** A temporary directory of this API, removed by close(); what STORAGE_LOCAL_DIR of a worker should be. */
  readonly storageDir: string;
  close(): Promise<void>;
}

/** Boots the real API (real PostgreSQL and Redis) on 127.0.0.1, on a free port. */
export async function startApi(overrides: ApiOverrides = {}): Promise<StartedApi> {
  const config = loadConfig({ ...process.env, ...overrides.env });
  const storageDir = await mkdtemp(join(tmpdir(), 'export-api-e2e-'));
  const storage = overrides.storage ?? new LocalFileStorage(storageDir);
  const queue = new RecordingQueue();
  const logs = overrides.logs;
  const app = await createApiApp({
    config,
    queue: overrides.queueModule?.(config) ?? providing(TestQueueModule, ExportQueue, queue),
    storage: providing(TestStorageModule, FileStorage, storage),
    events: overrides.events,
    logDestination: logs
      ? new Writable({
          write(chunk: Buffer, _encoding, done) {
            logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
            done();
          },
        })
      : undefined,
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    app,
    config,
    queue,
    storage,
    storageDir,
    async close() {
      await app.close();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** A valid token for a seeded identity of a test tenant (`admin`, `agent`, ...). */
export function tokenFor(config: AppConfig, tenant: TestTenant, localPart: string): string {
  return signAccessToken({ sub: tenant.userId(localPart), tid: tenant.id }, requireJwtSecret(config), 3600);
}

/** A token with any claims, e.g. already expired (`expiresInSeconds` < 0) or for a user that does not exist. */
export function rawToken(
  config: AppConfig,
  claims: { sub: string; tid: string },
  expiresInSeconds = 3600,
  secret = requireJwtSecret(config),
): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign({ tid: claims.tid, iat: now, exp: now + expiresInSeconds }, secret, {
    algorithm: 'HS256',
    subject: claims.sub,
  });
}

export const bearer = (token: string): { Authorization: string } => ({ Authorization: `Bearer ${token}` });

export interface JobSpec {
  readonly tenant: TestTenant;
  /** Local part of the requester (`admin`, `agent`, ...). */
  readonly requester: string;
  readonly status?: ExportJobStatusValue;
  readonly format?: ExportFormat;
  readonly query?: Partial<ExportJobQuery>;
  readonly requestedAt?: Date;
  /** When it completed (completed and expired jobs); retention is 72 h from then. */
  readonly completedAt?: Date;
  /** The file's bytes (completed jobs). */
  readonly content?: string;
  /** What the requester asked to be notified by (`notify` of POST /export-jobs). */
  readonly notify?: readonly NotifyChannel[];
}

/**
 * Puts a job in any state straight into the database, driven there by the aggregate's own methods; a completed
 * job's file is written to `storage` under its contract key and recorded like the worker records it.
 */
export async function insertJob(
  dataSource: DataSource,
  storage: FileStorage,
  spec: JobSpec,
): Promise<ExportJob> {
  const repository = new TypeormExportJobRepository(dataSource);
  const requestedAt = spec.requestedAt ?? new Date();
  const format = spec.format ?? 'csv';
  const job = ExportJob.request({
    id: randomUUID(),
    tenantId: spec.tenant.id,
    requestedBy: { id: spec.tenant.userId(spec.requester), email: spec.tenant.email(spec.requester) },
    source: 'tickets',
    format,
    query: {
      ...DEFAULT_TICKET_QUERY,
      viewId: null,
      viewName: null,
      timezone: 'UTC',
      fileName: null,
      ...spec.query,
    },
    now: requestedAt,
    notify: spec.notify,
  });
  const status = spec.status ?? 'queued';
  await repository.save(job);
  if (status === 'queued') return job;
  job.start(new Date(requestedAt.getTime() + 1000));
  switch (status) {
    case 'running':
      job.enterStage('exporting');
      job.reportProgress(40, 100);
      break;
    case 'failed':
      job.fail({ code: 'EXPORT_JOB.SOURCE_UNAVAILABLE', message: 'The export could not read the tickets.' });
      break;
    case 'cancelled':
      job.cancel();
      break;
    case 'completed':
    case 'expired': {
      const snapshot = job.toSnapshot();
      const name = exportFileName(snapshot);
      const key = exportObjectKey({ ...snapshot, id: job.id, tenantId: job.tenantId });
      const bytes = Buffer.from(spec.content ?? 'id,title\r\n1,hello\r\n', 'utf8');
      const upload = await storage.beginUpload(key, {
        contentType: FORMAT_FILE_TYPES[format].contentType,
        fileName: name,
      });
      upload.body.end(bytes);
      await upload.done();
      const fileId = randomUUID();
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const completedAt = spec.completedAt ?? new Date(requestedAt.getTime() + 2000);
      job.complete({
        file: {
          storedFileId: fileId,
          name,
          contentType: FORMAT_FILE_TYPES[format].contentType,
          sizeBytes: bytes.length,
          sha256,
          rowCount: 1,
        },
        snapshotAt: new Date(requestedAt.getTime() + 1000),
        now: completedAt,
        retentionHours: 72,
      });
      if (status === 'expired') job.expire();
      await repository.save(job, {
        newFile: {
          id: fileId,
          tenantId: job.tenantId,
          name,
          contentType: FORMAT_FILE_TYPES[format].contentType,
          sizeBytes: bytes.length,
          sha256,
          provider: storage.provider,
          bucket: null,
          objectKey: key,
        },
      });
      return job;
    }
  }
  await repository.save(job);
  return job;
}

/** Polls until `check` holds (no fixed sleeps); fails with the last value after `timeoutMs`. */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Cancels the queued and running jobs of the given tenants. Specs call it in afterAll, so that a worker of
 * another spec (whose reconciler enqueues every queued job of the shared test database) finds nothing of theirs.
 */
export async function cancelActiveJobs(pool: Pool, tenantIds: readonly string[]): Promise<void> {
  await pool.query(
    `UPDATE export_jobs SET status = 'cancelled', stage = NULL, version = version + 1, updated_at = now()
      WHERE tenant_id = ANY($1::uuid[]) AND status IN ('queued', 'running')`,
    [tenantIds],
  );
}

/** A supertest parser that keeps the body as one Buffer whatever its type: `.buffer(true).parse(bytesBody)`. */
export function bytesBody(res: NodeJS.EventEmitter, done: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}
