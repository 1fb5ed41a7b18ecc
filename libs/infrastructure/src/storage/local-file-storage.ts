import { randomBytes } from 'node:crypto';
import type { WriteStream } from 'node:fs';
import { mkdir, open, rename, rm, rmdir, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  type FileStorage,
  type ObjectUpload,
  type StoredObject,
  StoredObjectNotFoundError,
  type UploadOptions,
} from '@app/application';
import { DomainError } from '@app/domain';

const MAX_KEY_BYTES = 1024;

/**
 * Object keys are `/`-separated relative names (`exports/<tenant>/<job>/<attempt>/<file>`). Both drivers refuse anything that
 * could name a place outside the storage root or mean different things on different systems: absolute keys, `.`
 * and `..` segments, empty segments, backslashes, NUL and other control characters.
 */
export function assertValidObjectKey(key: string): void {
  const refuse = (why: string): never => {
    throw new DomainError('STORAGE.INVALID_KEY', `Invalid object key: ${why}.`, { key });
  };
  if (key.length === 0) refuse('it is empty');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) refuse(`it is longer than ${MAX_KEY_BYTES} bytes`);
  if ([...key].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    refuse('it contains a control character');
  if (key.includes('\\')) refuse('it contains a backslash');
  if (key.startsWith('/') || isAbsolute(key)) refuse('it is absolute');
  if (key.split('/').some((s) => s === '' || s === '.' || s === '..'))
    refuse('it has an empty, "." or ".." segment');
}

/** Not `instanceof Error`: under jest, errors of Node's fs come from another realm. */
function isErrno(error: unknown, ...codes: string[]): boolean {
  const code =
    typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException).code : undefined;
  return code !== undefined && codes.includes(code);
}

const TEMP_SUFFIX = /^\.[0-9a-f]{32}\.part$/;

/**
 * Files on local disk under `STORAGE_LOCAL_DIR`. An upload writes `<key>.<random>.part` beside its target and
 * renames it into place once written and fsynced, so a reader sees the whole file or nothing. Content type and
 * disposition are not stored: the job's file record carries them.
 */
export class LocalFileStorage implements FileStorage {
  readonly provider = 'local' as const;
  private readonly root: string;

  constructor(rootDir: string) {
    this.root = resolve(rootDir);
  }

  async beginUpload(key: string, options: UploadOptions): Promise<ObjectUpload> {
    const target = this.pathOf(key);
    const uploadId = `${basename(target)}.${randomBytes(16).toString('hex')}.part`;
    const temp = join(dirname(target), uploadId);
    await options.onStarted?.(uploadId);
    const handle = await this.createExclusive(temp);
    return new LocalObjectUpload(handle, temp, target, key, () => this.prune(dirname(target)));
  }

  async openRead(key: string): Promise<{ stream: Readable; sizeBytes: number }> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR')) throw new StoredObjectNotFoundError(key);
      throw error;
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new StoredObjectNotFoundError(key);
      return { stream: handle.createReadStream(), sizeBytes: stats.size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await rm(path, { force: true });
    await this.prune(dirname(path));
  }

  async abortUpload(key: string, uploadId: string): Promise<void> {
    const target = this.pathOf(key);
    const name = basename(target);
    if (!uploadId.startsWith(name) || !TEMP_SUFFIX.test(uploadId.slice(name.length)))
      throw new DomainError('STORAGE.INVALID_UPLOAD_ID', 'The upload id does not belong to this key.', {
        key,
        uploadId,
      });
    await rm(join(dirname(target), uploadId), { force: true });
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      const probe = join(this.root, `.ready.${randomBytes(8).toString('hex')}`);
      const handle = await open(probe, 'wx');
      await handle.close();
      await rm(probe, { force: true });
    } catch (error) {
      throw new DomainError('STORAGE.UNAVAILABLE', `Local storage is not writable: ${String(error)}`);
    }
  }

  private pathOf(key: string): string {
    assertValidObjectKey(key);
    const path = resolve(this.root, key);
    const inside = relative(this.root, path);
    if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside))
      throw new DomainError('STORAGE.INVALID_KEY', 'Invalid object key: it leaves the storage root.', {
        key,
      });
    return path;
  }

  /** mkdir -p, then create the file; retried when a concurrent delete pruned the fresh directory in between. */
  private async createExclusive(path: string): Promise<FileHandle> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(path), { recursive: true });
      try {
        return await open(path, 'wx');
      } catch (error) {
        if (!isErrno(error, 'ENOENT') || attempt === 3) throw error;
      }
    }
  }

  /** Removes directories left empty, up to (not including) the root, so expired jobs leave no folders behind. */
  private async prune(dir: string): Promise<void> {
    for (let current = dir; current.startsWith(this.root + sep); current = dirname(current)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
    }
  }
}

class LocalObjectUpload implements ObjectUpload {
  readonly body: WriteStream;
  private abortRequested = false;
  private committed = false;
  private committing?: Promise<StoredObject>;

  constructor(
    handle: FileHandle,
    private readonly temp: string,
    private readonly target: string,
    private readonly key: string,
    private readonly prune: () => Promise<void>,
  ) {
    this.body = handle.createWriteStream(); // closes the handle when it finishes or is destroyed
    // A write after abort() errors the stream; the writer learns of failures from its pipeline and from done().
    this.body.on('error', () => undefined);
  }

  done(): Promise<StoredObject> {
    this.committing ??= this.commit();
    return this.committing;
  }

  async abort(): Promise<void> {
    this.abortRequested = true;
    this.body.destroy();
    await this.committing?.catch(() => undefined); // a commit in progress stops at its next step
    await rm(this.temp, { force: true });
    // Aborting after done() still honours "nothing remains under the key" (e.g. the job could not be saved).
    if (this.committed) await rm(this.target, { force: true });
    await this.prune();
  }

  private async commit(): Promise<StoredObject> {
    try {
      await finished(this.body);
      this.throwIfAborted();
      // fsync is per file, not per descriptor: the stream closed its own, so sync through a new one.
      const handle = await open(this.temp, 'r+');
      let size: number;
      try {
        await handle.sync();
        size = (await handle.stat()).size;
      } finally {
        await handle.close();
      }
      this.throwIfAborted();
      await rename(this.temp, this.target);
      this.committed = true;
      return { provider: 'local', bucket: null, key: this.key, sizeBytes: size };
    } catch (error) {
      if (this.abortRequested) throw aborted(this.key);
      throw error;
    }
  }

  private throwIfAborted(): void {
    if (this.abortRequested) throw aborted(this.key);
  }
}

function aborted(key: string): DomainError {
  return new DomainError('STORAGE.UPLOAD_ABORTED', 'The upload was aborted.', { key });
}
