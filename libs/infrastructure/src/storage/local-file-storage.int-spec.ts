import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { UploadOptions } from '@app/application';
import { LocalFileStorage } from './local-file-storage';

jest.setTimeout(20_000);

const MiB = 1024 * 1024;
const csv: UploadOptions = {
  contentType: 'text/csv; charset=utf-8',
  fileName: 'tickets.csv',
};

/** `size` random bytes in 64 KiB chunks (never held in memory at once), hashed as they are produced. */
function generated(size: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  function* chunks(): Generator<Buffer> {
    for (let left = size; left > 0;) {
      const chunk = randomBytes(Math.min(left, 64 * 1024));
      hash.update(chunk);
      left -= chunk.length;
      yield chunk;
    }
  }
  return { stream: Readable.from(chunks()), sha256: () => hash.digest('hex') };
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('LocalFileStorage (real disk)', () => {
  let base: string;
  let root: string;
  let storage: LocalFileStorage;
  const newKey = (name = 'tickets.csv'): string => `exports/tenant/${randomUUID()}/${name}`;
  const filesBeside = async (key: string): Promise<string[]> =>
    (await readdir(dirname(join(root, key)))).sort();

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'local-storage-'));
    root = join(base, 'storage'); // created by the first upload
    storage = new LocalFileStorage(root);
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('streams a 40 MiB file through a temporary name beside the target and renames it into place', async () => {
    const key = newKey();
    const data = generated(40 * MiB);
    const startedWith: { uploadId: string; tempExisted: boolean }[] = [];
    const upload = await storage.beginUpload(key, {
      ...csv,
      onStarted: (uploadId) => {
        startedWith.push({ uploadId, tempExisted: existsSync(join(dirname(join(root, key)), uploadId)) });
        return Promise.resolve();
      },
    });
    const [{ uploadId }] = startedWith;
    expect(startedWith).toEqual([{ uploadId, tempExisted: false }]); // recorded before anything is created
    expect(uploadId).toMatch(/^tickets\.csv\.[0-9a-f]{32}\.part$/);

    await pipeline(data.stream, upload.body);
    expect(await filesBeside(key)).toEqual([uploadId]); // written, not yet visible under the key
    const stored = await upload.done();

    expect(stored).toEqual({ provider: 'local', bucket: null, key, sizeBytes: 40 * MiB });
    expect(await filesBeside(key)).toEqual(['tickets.csv']);
    const { stream, sizeBytes } = await storage.openRead(key);
    expect(sizeBytes).toBe(40 * MiB);
    expect(await sha256Of(stream)).toBe(data.sha256());
  });

  it('stores small and empty files, and replaces an existing file', async () => {
    const key = newKey('small.json');
    for (const content of ['[{"id":1}]', '', '[]']) {
      const upload = await storage.beginUpload(key, csv);
      upload.body.end(content);
      expect(await upload.done()).toMatchObject({ key, sizeBytes: Buffer.byteLength(content) });
      expect(await readFile(join(root, key), 'utf8')).toBe(content);
    }
    expect(await filesBeside(key)).toEqual(['small.json']);
  });

  it('abort() mid-stream rejects the writer and done() and leaves nothing behind', async () => {
    const key = newKey();
    const upload = await storage.beginUpload(key, csv);
    // An endless export; expect(...) subscribes at once, so the rejection is never "unhandled".
    const writerRejects = expect(
      pipeline(generated(Number.MAX_SAFE_INTEGER).stream, upload.body),
    ).rejects.toThrow();
    const doneRejects = expect(upload.done()).rejects.toMatchObject({ code: 'STORAGE.UPLOAD_ABORTED' });
    await new Promise((r) => setTimeout(r, 50));

    await upload.abort();

    await writerRejects;
    await doneRejects;
    expect(existsSync(dirname(join(root, key)))).toBe(false); // temp file gone, empty folder pruned
    await expect(storage.openRead(key)).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
    await expect(upload.abort()).resolves.toBeUndefined(); // safe twice
  });

  it('abort() after done() removes the committed file', async () => {
    const key = newKey();
    const upload = await storage.beginUpload(key, csv);
    upload.body.end('id\r\n');
    await upload.done();
    await upload.abort();
    await expect(storage.openRead(key)).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
  });

  it('abortUpload() removes the temporary file of an upload whose process died, and is idempotent', async () => {
    const key = newKey();
    let uploadId = '';
    const dying = await storage.beginUpload(key, {
      ...csv,
      onStarted: (id) => Promise.resolve(void (uploadId = id)),
    });
    await new Promise<void>((resolve, reject) =>
      dying.body.write(randomBytes(MiB), (e) => (e ? reject(e) : resolve())),
    );
    expect(await filesBeside(key)).toEqual([uploadId]);

    const survivor = new LocalFileStorage(root); // another process, knowing only what onStarted recorded
    await survivor.abortUpload(key, uploadId);
    expect(await filesBeside(key)).toEqual([]);
    await survivor.abortUpload(key, uploadId);

    await expect(survivor.abortUpload(key, `other.csv.${'0'.repeat(32)}.part`)).rejects.toMatchObject({
      code: 'STORAGE.INVALID_UPLOAD_ID',
    });
    await expect(survivor.abortUpload(key, '../../../../etc/passwd')).rejects.toMatchObject({
      code: 'STORAGE.INVALID_UPLOAD_ID',
    });
    await expect(survivor.abortUpload(key, 'tickets.csv')).rejects.toMatchObject({
      code: 'STORAGE.INVALID_UPLOAD_ID',
    });
    await dying.abort(); // releases the file handle this test kept open
  });

  it('delete() is idempotent and openRead() of a missing key or a folder is STORAGE.NOT_FOUND', async () => {
    const key = newKey();
    const upload = await storage.beginUpload(key, csv);
    upload.body.end('x');
    await upload.done();
    await storage.delete(key);
    await storage.delete(key);
    await expect(storage.openRead(key)).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
    await expect(storage.openRead(newKey('never-written.csv'))).rejects.toMatchObject({
      code: 'STORAGE.NOT_FOUND',
    });
    await mkdir(join(root, 'exports/folder'), { recursive: true });
    await writeFile(join(root, 'exports/folder/file'), '');
    await expect(storage.openRead('exports/folder')).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
    await expect(storage.openRead('exports/folder/file/x')).rejects.toMatchObject({
      code: 'STORAGE.NOT_FOUND',
    });
  });

  it.each(['../x', '/etc/passwd', 'a/../../b', 'a\\b', 'a\0b', '', 'a//b', './a', 'a/.', '..'])(
    'refuses the key %j',
    async (key) => {
      const invalid = { code: 'STORAGE.INVALID_KEY' };
      const onStarted = jest.fn(() => Promise.resolve());
      await expect(storage.beginUpload(key, { ...csv, onStarted })).rejects.toMatchObject(invalid);
      await expect(storage.openRead(key)).rejects.toMatchObject(invalid);
      await expect(storage.delete(key)).rejects.toMatchObject(invalid);
      await expect(storage.abortUpload(key, 'x')).rejects.toMatchObject(invalid);
      expect(onStarted).not.toHaveBeenCalled();
    },
  );

  it('never touches files outside the root', async () => {
    const outside = join(base, 'outside.txt');
    await writeFile(outside, 'keep me');
    await expect(storage.delete('../outside.txt')).rejects.toMatchObject({ code: 'STORAGE.INVALID_KEY' });
    await expect(storage.openRead('exports/../../outside.txt')).rejects.toMatchObject({
      code: 'STORAGE.INVALID_KEY',
    });
    expect(await readFile(outside, 'utf8')).toBe('keep me');
  });

  it('check() creates a missing root and fails when the root cannot be a folder', async () => {
    const fresh = join(base, 'fresh', 'nested');
    await expect(new LocalFileStorage(fresh).check()).resolves.toBeUndefined();
    expect(existsSync(fresh)).toBe(true);
    expect(await readdir(fresh)).toEqual([]); // the probe file is gone

    const aFile = join(base, 'a-file');
    await writeFile(aFile, '');
    await expect(new LocalFileStorage(join(aFile, 'storage')).check()).rejects.toMatchObject({
      code: 'STORAGE.UNAVAILABLE',
    });
  });
});
