import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import type { CompletedExportJob, ExportServiceClient } from '../shared/http-client';
import { fileNameFromDisposition, safeFileName } from './content-disposition';
import { DemoFailure } from './failure';
import { logFileOf } from './stack';

export interface DownloadedFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly seconds: number;
}

/**
 * GET /export-jobs/:id/download into `<dir>/<name from Content-Disposition>`, hashing while it streams. The file
 * appears under its name only when its size and sha256 match the job's (and Content-Length); else nothing is kept.
 */
export async function downloadExport(
  client: Pick<ExportServiceClient, 'download'>,
  job: CompletedExportJob,
  dir: string,
  signal: AbortSignal,
): Promise<DownloadedFile> {
  const started = Date.now();
  const response = await client.download(job.id);
  if (!response.body) throw new DemoFailure(`GET /export-jobs/${job.id}/download answered without a body`);
  const name =
    safeFileName(fileNameFromDisposition(response.headers.get('content-disposition'))) ??
    safeFileName(job.file.name) ??
    `export-${job.id}`;
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  const partial = `${path}.part`;
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      tap,
      createWriteStream(partial),
      { signal },
    );
    const sha256 = hash.digest('hex');
    const announced = response.headers.get('content-length');
    if (announced !== null && Number(announced) !== bytes)
      throw new DemoFailure(
        `the download broke off: ${bytes} of ${announced} bytes arrived; see ${logFileOf('api')} and run the demo again`,
      );
    if (bytes !== job.file.sizeBytes)
      throw new DemoFailure(
        `the download has ${bytes} bytes but the job says ${job.file.sizeBytes}: the stored file does not match its record; see ${logFileOf('worker')}`,
      );
    if (sha256 !== job.file.sha256)
      throw new DemoFailure(
        `sha256 mismatch: the download hashes to ${sha256} but the job says ${job.file.sha256}; the file was not kept; see ${logFileOf('worker')}`,
      );
    await rename(partial, path);
    return { path, bytes, sha256, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
