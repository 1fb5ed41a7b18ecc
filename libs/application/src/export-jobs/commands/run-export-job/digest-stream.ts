import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Passes bytes through while computing their sha256 (their count is the storage's: StoredObject.sizeBytes). */
export class DigestStream extends Transform {
  private readonly hash = createHash('sha256');

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** Call once, after the stream ended. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}
