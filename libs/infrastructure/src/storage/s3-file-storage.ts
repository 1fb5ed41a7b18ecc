import { Readable, Transform, type TransformCallback } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  S3Client,
  S3ServiceException,
  type CreateMultipartUploadCommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  type FileStorage,
  type ObjectUpload,
  type StoredObject,
  StoredObjectNotFoundError,
  type UploadOptions,
} from '@app/application';
import { DomainError } from '@app/domain';
import { ConfigError, type AppConfig } from '../config/app-config';
import { attachmentDisposition } from '../http/content-disposition';
import { collectGarbage } from '../runtime/collect-garbage';
import { assertValidObjectKey } from './local-file-storage';

/**
 * Part size of multipart uploads: S3's minimum. S3 allows at most 10,000 parts, so the largest object this adapter
 * can write is 5 MiB x 10,000 = 48.8 GiB (about 300 million rows of the default columns). lib-storage needs the part
 * size before it knows the length of a stream, so it cannot grow with the file. Measured with the bench at 980k
 * rows: 16 MiB parts with 2 in flight took the worker's peak RSS to 244 MB, 8 MiB with 1 in flight to 183-225 MB;
 * 5 MiB with S3_GARBAGE_LIMIT to 170 MB, at the same speed.
 */
export const S3_PART_SIZE = 5 * 1024 * 1024;
/**
 * Parts uploaded concurrently. lib-storage buffers the part in flight and the one being filled (plus the copy it
 * makes to join a part's chunks), so one upload holds about 3 x 5 MiB whatever the size of the export. An object
 * of at most S3_PART_SIZE bytes is sent as a single PutObject instead (no multipart upload, so no onStarted call).
 */
export const S3_QUEUE_SIZE = 1;
/**
 * Buffer memory (live or dead) past which a sent part triggers a full garbage collection. Each part leaves two
 * dead 5 MiB buffers in V8's old space (its chunks and the copy that joins them), which V8 frees only after about
 * 64 MB more: the worker then held up to 80 MB of dead parts, more the longer the export. Collecting after every
 * part held it flat too but cost 12% of the export's time at 980k rows; past this limit, it costs next to nothing.
 */
const S3_GARBAGE_LIMIT = 6 * S3_PART_SIZE;
const CHECK_TIMEOUT_MS = 5_000;
/**
 * How long discarding a stopped upload may wait for S3 (AbortMultipartUpload or DeleteObject). Past it the
 * attempt goes on: its journal entry stays open, and the cleanup (or the bucket lifecycle rule) finishes the job.
 * A cancel or a shutdown during an S3 outage thus frees the worker slot in seconds.
 */
const DISCARD_TIMEOUT_MS = 2_000;
/**
 * Sockets per S3 endpoint. The SDK's default pool is 50: every download streamed to a slow reader holds one for
 * as long as the reader takes, so a few dozen slow downloads would queue every other request (uploads, the
 * readiness check) behind them.
 */
export const S3_MAX_SOCKETS = 512;

/**
 * Marks the params of one Upload so the client middleware knows which upload a command belongs to. lib-storage
 * builds every PutObject / CreateMultipartUpload / UploadPart / CompleteMultipartUpload input by spreading our
 * params, which copies symbol-keyed properties too; the serializers ignore them, so nothing reaches the wire.
 */
const TRACKED_UPLOAD = Symbol('trackedUpload');

/** S3 (or MinIO, s3rver, ...) through the AWS SDK v3; uploads stream through lib-storage's `Upload`. */
export class S3FileStorage implements FileStorage {
  readonly provider = 's3' as const;
  readonly bucket: string;
  private readonly client: S3Client;

  constructor(config: AppConfig['storage']['s3']) {
    if (config.bucket === null) throw new ConfigError('S3_BUCKET', 'is required when STORAGE_DRIVER=s3');
    this.bucket = config.bucket;
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint ?? undefined,
      forcePathStyle: config.forcePathStyle,
      credentials:
        config.accessKeyId !== null && config.secretAccessKey !== null
          ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
          : undefined, // the SDK's default chain (environment, instance role, ...)
      // Flexible checksums (the default since SDK 3.729) make s3rver store streamed bodies corrupted; real S3 and
      // MinIO accept either, so only checksums an operation requires are computed and validated.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: Math.min(CHECK_TIMEOUT_MS, config.requestTimeoutMs),
        // Until the response's headers: an UploadPart that S3 accepted and never answered fails (and the SDK
        // retries it) instead of wedging the attempt. Not a socket idle timeout: a download streamed to a slow
        // reader may leave its socket idle for minutes, legitimately.
        requestTimeout: config.requestTimeoutMs,
        throwOnRequestTimeout: true,
        httpAgent: { keepAlive: true, maxSockets: S3_MAX_SOCKETS },
        httpsAgent: { keepAlive: true, maxSockets: S3_MAX_SOCKETS },
      },
    });
    abortRequestsOfStoppedUploads(this.client);
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const upload = (args.input as { [TRACKED_UPLOAD]?: unknown })[TRACKED_UPLOAD];
        if (!(upload instanceof S3ObjectUpload)) return next(args);
        return upload.track(context.commandName ?? '', () => next(args));
      },
      { step: 'initialize', priority: 'high', name: 'trackExportUploads' },
    );
    // The last step before the wire: the request object here is the one the handler gets (after retries cloned
    // and signing rewrote it), so the upload's abort signal can follow it there.
    this.client.middlewareStack.add(
      (next) => async (args) => {
        const upload = (args.input as { [TRACKED_UPLOAD]?: unknown })[TRACKED_UPLOAD];
        if (upload instanceof S3ObjectUpload) REQUEST_SIGNALS.set(args.request as object, upload.signal);
        return next(args);
      },
      { step: 'deserialize', priority: 'low', name: 'abortableExportUploads' },
    );
  }

  beginUpload(key: string, options: UploadOptions): Promise<ObjectUpload> {
    return new Promise((resolve) => {
      assertValidObjectKey(key); // a bad key rejects like every other failure
      resolve(new S3ObjectUpload(this.client, this.bucket, key, options));
    });
  }

  async openRead(key: string): Promise<{ stream: Readable; sizeBytes: number }> {
    assertValidObjectKey(key);
    try {
      const { Body, ContentLength } = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key }),
      );
      if (!(Body instanceof Readable) || ContentLength === undefined)
        throw new Error(`GetObject of "${key}" returned no readable body or length`);
      return { stream: Body, sizeBytes: ContentLength };
    } catch (error) {
      if (isS3Error(error, 'NoSuchKey', 'NotFound')) throw new StoredObjectNotFoundError(key);
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidObjectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (!isS3Error(error, 'NoSuchKey', 'NotFound')) throw error;
    }
  }

  async abortUpload(key: string, uploadId: string): Promise<void> {
    assertValidObjectKey(key);
    await abortMultipart(this.client, this.bucket, key, uploadId);
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
        abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
      });
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new DomainError(
        'STORAGE.UNAVAILABLE',
        `S3 bucket "${this.bucket}" is not reachable (${reason}).`,
      );
    }
  }

  /** Closes the client's sockets (Nest calls this on shutdown). */
  onModuleDestroy(): void {
    this.client.destroy();
  }
}

/** The abort signal of the upload a request belongs to, by request object (see the 'deserialize' middleware). */
const REQUEST_SIGNALS = new WeakMap<object, AbortSignal>();

/**
 * Makes the client's HTTP handler end a request of an upload at once when that upload is aborted: lib-storage
 * sends its parts without an abort signal, so an aborted upload would otherwise wait for its part in flight, up to
 * the request timeout when S3 stalls. (Wrapping the resolved handler keeps @smithy/* an indirect dependency.)
 */
function abortRequestsOfStoppedUploads(client: S3Client): void {
  const handler = client.config.requestHandler;
  const handle = handler.handle.bind(handler);
  handler.handle = (request, options) => {
    const signal = REQUEST_SIGNALS.get(request as object);
    return handle(request, signal ? { ...options, abortSignal: signal } : options);
  };
}

/** AbortMultipartUpload; an upload that is already gone (aborted, completed or never created) counts as done. */
async function abortMultipart(
  client: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
  abortSignal?: AbortSignal,
): Promise<void> {
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), {
      abortSignal,
    });
  } catch (error) {
    if (!isS3Error(error, 'NoSuchUpload', 'NotFound')) throw error;
  }
}

function isS3Error(error: unknown, ...names: string[]): boolean {
  return (
    error instanceof S3ServiceException &&
    (names.includes(error.name) || (names.includes('NotFound') && error.$metadata.httpStatusCode === 404))
  );
}

/**
 * One streamed upload. lib-storage's `Upload` has no hook between CreateMultipartUpload and the first UploadPart
 * and its abort() only flips a flag (in-flight requests finish, and the AbortMultipartUpload it sends afterwards
 * is not awaitable), so every request of this upload passes through `track()` (the client middleware above):
 * - CreateMultipartUpload: remember the UploadId, then await onStarted before the SDK may send any part;
 * - a request that fails for good (after the SDK's retries): destroy `body`, which ends the other part
 *   uploaders at once and rejects the writer's pipeline, instead of streaming the rest of the export in vain;
 * - after abort() no new request is sent, and abort() waits for those in flight before it aborts the multipart
 *   upload itself (or deletes the object, when it had already been committed).
 */
class S3ObjectUpload implements ObjectUpload {
  readonly body: Transform;
  private readonly upload: Upload;
  private readonly result: Promise<StoredObject>;
  private sizeBytes = 0;
  private stopped = false; // no further request may start: aborted, or failed
  private aborted = false;
  private committed = false;
  private multipartId: string | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();
  private discarding?: Promise<void>;
  /** Aborted by abort(): ends this upload's requests in flight (see AbortableHttpHandler). */
  private readonly requests = new AbortController();

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly options: UploadOptions,
  ) {
    this.body = new Transform({
      transform: (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) => {
        this.sizeBytes += chunk.length;
        callback(null, chunk);
      },
    });
    // Errors reach the writer through its pipeline and done(); without a listener a destroyed body would crash.
    this.body.on('error', () => undefined);
    const params = {
      Bucket: bucket,
      Key: key,
      Body: this.body,
      ContentType: options.contentType,
      ContentDisposition: attachmentDisposition(options.fileName),
    };
    this.upload = new Upload({
      client,
      params: Object.assign(params, { [TRACKED_UPLOAD]: this }),
      partSize: S3_PART_SIZE,
      queueSize: S3_QUEUE_SIZE,
      // discard() aborts the multipart upload (tracked, and bounded by DISCARD_TIMEOUT_MS). lib-storage's own abort
      // is sent untracked and awaited inside done(): when S3 stalls it alone took 3 x the request timeout.
      leavePartsOnError: true,
    });
    this.result = this.upload.done().then(
      (): StoredObject => ({ provider: 's3', bucket, key, sizeBytes: this.sizeBytes }),
      async (error: unknown) => {
        this.stopped = true;
        await this.discard().catch(() => undefined); // abort() retries it and reports the failure
        throw this.aborted
          ? new DomainError('STORAGE.UPLOAD_ABORTED', 'The upload was aborted.', { key })
          : error;
      },
    );
    this.result.catch(() => undefined); // reported by done(); an aborted upload may never be awaited
  }

  done(): Promise<StoredObject> {
    return this.result;
  }

  get signal(): AbortSignal {
    return this.requests.signal;
  }

  async abort(): Promise<void> {
    this.stopped = true;
    this.aborted = true;
    this.requests.abort(new Error('The upload was aborted.'));
    await this.upload.abort();
    this.body.destroy();
    await this.discard();
  }

  /** Sends one request of this upload (called by the client middleware). */
  async track<T extends { output: object }>(command: string, send: () => Promise<T>): Promise<T> {
    if (this.stopped) throw Object.assign(new Error('The upload was stopped.'), { name: 'AbortError' });
    const sending = send();
    this.inFlight.add(sending);
    try {
      const result = await sending;
      if (command === 'CreateMultipartUploadCommand') {
        const { UploadId } = result.output as CreateMultipartUploadCommandOutput;
        if (UploadId === undefined) throw new Error('CreateMultipartUpload returned no UploadId');
        this.multipartId = UploadId;
        await this.options.onStarted?.(UploadId);
      } else if (command === 'UploadPartCommand') {
        if (process.memoryUsage().arrayBuffers > S3_GARBAGE_LIMIT) collectGarbage();
      } else if (command === 'CompleteMultipartUploadCommand' || command === 'PutObjectCommand') {
        this.committed = true;
      }
      return result;
    } catch (error) {
      this.stopped = true;
      this.body.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    } finally {
      this.inFlight.delete(sending);
    }
  }

  /** Makes sure nothing remains: waits for requests in flight, then aborts the multipart upload or deletes. */
  private discard(): Promise<void> {
    this.discarding ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      const abortSignal = AbortSignal.timeout(DISCARD_TIMEOUT_MS);
      if (this.committed) {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key }), {
          abortSignal,
        });
      } else if (this.multipartId !== null) {
        await abortMultipart(this.client, this.bucket, this.key, this.multipartId, abortSignal);
      }
    })().catch((error: unknown) => {
      this.discarding = undefined; // let a later abort() try again
      throw error;
    });
    return this.discarding;
  }
}
