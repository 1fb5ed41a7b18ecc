import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { LocalFileStorage } from './local-file-storage';
import { CSV_UPLOAD, fileStorageContract, MiB } from './testing/file-storage-contract';

jest.setTimeout(20_000);

describe('LocalFileStorage (real disk)', () => {
  let base: string;
  let root: string;
  let storage: LocalFileStorage;
  const newKey = (name = 'tickets.csv'): string => `exports/tenant/${randomUUID()}/${name}`;
  const filesBeside = async (key: string): Promise<string[]> =>
    existsSync(dirname(join(root, key))) ? (await readdir(dirname(join(root, key)))).sort() : [];
  /** The key's file and its temporary files (`<name>.<random>.part`), as keys. */
  const leftovers = async (key: string): Promise<string[]> =>
    (await filesBeside(key)).filter((f) => f.startsWith(basename(key))).map((f) => `${dirname(key)}/${f}`);

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'local-storage-'));
    root = join(base, 'storage'); // created by the first upload
    storage = new LocalFileStorage(root);
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  fileStorageContract({
    provider: 'local',
    subject: () => ({
      storage,
      bucket: null,
      received: async (key) => (await leftovers(key)).length,
      leftovers,
      metadata: () => Promise.resolve(null),
    }),
    newKey,
    largeBytes: 40 * MiB,
    smallSizes: [1234, 0],
    async beforeLargeDone(key, uploadId) {
      // Written through a temporary name beside the target, not yet visible under the key.
      expect(uploadId).toMatch(/^tickets\.csv\.[0-9a-f]{32}\.part$/);
      expect(await filesBeside(key)).toEqual([uploadId]);
    },
    async afterLargeUpload(key) {
      expect(await filesBeside(key)).toEqual(['tickets.csv']); // renamed into place
    },
    async afterSmallUpload(key, _size, onStartedCalls) {
      expect(onStartedCalls).toBe(1); // the temporary file
      expect(await filesBeside(key)).toEqual(['small.json']);
    },
    afterAbortMidStream(key) {
      expect(existsSync(dirname(join(root, key)))).toBe(false); // temp file gone, empty folder pruned
    },
  });

  it('replaces an existing file', async () => {
    const key = newKey('small.json');
    for (const content of ['[{"id":1}]', '', '[]']) {
      const upload = await storage.beginUpload(key, CSV_UPLOAD);
      upload.body.end(content);
      expect(await upload.done()).toMatchObject({ key, sizeBytes: Buffer.byteLength(content) });
      expect(await readFile(join(root, key), 'utf8')).toBe(content);
    }
    expect(await filesBeside(key)).toEqual(['small.json']);
  });

  it('a failing onStarted fails beginUpload before anything is written', async () => {
    const key = newKey();
    await expect(
      storage.beginUpload(key, {
        ...CSV_UPLOAD,
        onStarted: () => Promise.reject(new Error('could not record the upload id')),
      }),
    ).rejects.toThrow('could not record the upload id');
    expect(await filesBeside(key)).toEqual([]);
  });

  it('abortUpload() removes the temporary file of an upload whose process died, and is idempotent', async () => {
    const key = newKey();
    let uploadId = '';
    const dying = await storage.beginUpload(key, {
      ...CSV_UPLOAD,
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

  it('openRead() of a folder, or of a path through a file, is STORAGE.NOT_FOUND', async () => {
    await mkdir(join(root, 'exports/folder'), { recursive: true });
    await writeFile(join(root, 'exports/folder/file'), '');
    await expect(storage.openRead('exports/folder')).rejects.toMatchObject({ code: 'STORAGE.NOT_FOUND' });
    await expect(storage.openRead('exports/folder/file/x')).rejects.toMatchObject({
      code: 'STORAGE.NOT_FOUND',
    });
  });

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
