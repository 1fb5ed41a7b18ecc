import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Passes bytes through while counting them and computing their sha256: what the file record states. */
export class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Call once, after the stream ended. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}
