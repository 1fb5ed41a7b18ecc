import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { ACME_TENANT_ID } from '@app/domain/testing/export-job.factory';
import { FakeJournal, FakeStorage } from '../../../testing/engine-fakes';
import { UploadLifecycle } from './upload-lifecycle';

const JOB = { tenantId: ACME_TENANT_ID, id: 'job-1', attempts: 2 };
/** Per-attempt keys: this attempt (2) writes KEY; attempt n wrote keyOf(n). */
const keyOf = (attempt: number): string => `exports/${ACME_TENANT_ID}/job-1/${attempt}/file.csv`;
const KEY = keyOf(2);
const OPTIONS = {
  contentType: 'text/csv; charset=utf-8',
  fileName: 'file.csv',
};

const journaled = (uploadId: string, attempt: number) => ({
  tenantId: JOB.tenantId,
  jobId: JOB.id,
  attempt,
  provider: 's3' as const,
  objectKey: keyOf(attempt),
  uploadId,
});

function setup() {
  const log: string[] = [];
  const storage = new FakeStorage(log);
  const journal = new FakeJournal(log);
  const upload = new UploadLifecycle(storage, journal, JOB);
  const write = async (text: string) =>
    pipeline(Readable.from([Buffer.from(text)]), await upload.begin(KEY, OPTIONS));
  return { log, storage, journal, upload, write };
}

describe('UploadLifecycle', () => {
  let warnings: string[];

  beforeEach(() => {
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(JSON.stringify(args));
    });
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('aborts the unfinished uploads of earlier attempts, and only those', async () => {
    const { log, journal, upload } = setup();
    journal.seed(journaled('lost-1', 1));
    journal.seed(journaled('mine', 2));
    journal.seed({ ...journaled('other-job', 1), jobId: 'job-2' });
    await upload.abortLeftovers();
    expect(log).toEqual(['delete ' + keyOf(1), 'abortUpload lost-1', 'journal lost-1 aborted']);
    expect(journal.rows.map((r) => [r.upload.uploadId, r.outcome])).toEqual([
      ['lost-1', 'aborted'],
      ['mine', null],
      ['other-job', null],
    ]);
  });

  it('deletes no key of the former one-key-per-job scheme: it may be the file of the job', async () => {
    const { log, journal, upload } = setup();
    journal.seed({ ...journaled('old', 1), objectKey: `exports/${ACME_TENANT_ID}/job-1/file.csv` });
    await upload.abortLeftovers();
    expect(log).toEqual(['abortUpload old', 'journal old aborted']);
  });

  it('never fails the current attempt over the housekeeping of a lost one: left unfinished for the cleanup', async () => {
    const { log, storage, journal, upload } = setup();
    journal.seed(journaled('lost-1', 1));
    journal.seed(journaled('lost-2', 1));
    jest
      .spyOn(storage, 'abortUpload')
      .mockRejectedValueOnce(new Error('MethodNotAllowed: the method is not allowed'));
    await expect(upload.abortLeftovers()).resolves.toBeUndefined();
    expect(log).toEqual([
      'delete ' + keyOf(1),
      'delete ' + keyOf(1),
      'abortUpload lost-2',
      'journal lost-2 aborted',
    ]);
    expect(journal.rows.map((r) => [r.upload.uploadId, r.outcome])).toEqual([
      ['lost-1', null],
      ['lost-2', 'aborted'],
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('left for the cleanup');

    jest.spyOn(journal, 'unfinished').mockRejectedValueOnce(new Error('connection reset'));
    await expect(upload.abortLeftovers()).resolves.toBeUndefined();
    expect(warnings).toHaveLength(2);
  });

  it('journals the upload before any byte, and closes that same entry once the job kept it, without a lookup', async () => {
    const { log, storage, journal, upload, write } = setup();
    await write('a,b\r\n');
    const stored = await upload.finish();
    expect(journal.rows[0].outcome).toBeNull(); // committed, but the job does not point to it yet
    await upload.kept();
    expect(stored).toEqual({ provider: 's3', bucket: 'exports', key: KEY, sizeBytes: 5 });
    expect(storage.uploads[0].options).toMatchObject(OPTIONS);
    expect(log).toEqual([
      'begin ' + KEY,
      'journal upload-1 started',
      'stored ' + KEY,
      'journal upload-1 completed',
    ]);
    expect(journal.rows).toEqual([{ upload: journaled('upload-1', 2), outcome: 'completed' }]);
    expect(journal.lookups).toBe(0);
  });

  it('discards an upload in progress: aborted in storage, then in the journal', async () => {
    const { log, storage, journal, upload } = setup();
    await upload.begin(KEY, OPTIONS);
    await upload.discard();
    expect(log).toEqual([
      'begin ' + KEY,
      'journal upload-1 started',
      'abort upload-1',
      'journal upload-1 aborted',
    ]);
    expect(storage.objects.size).toBe(0);
    expect(journal.rows[0].outcome).toBe('aborted');
  });

  it('discards a committed object (the job could not be completed): deleted, then journaled aborted', async () => {
    const { log, storage, journal, upload, write } = setup();
    await write('x');
    await upload.finish();
    log.length = 0;
    await upload.discard();
    expect(log).toEqual(['delete ' + KEY, 'journal upload-1 aborted']);
    expect(journal.rows[0].outcome).toBe('aborted');
    expect(storage.objects.has(KEY)).toBe(false);
  });

  it('keeps the object of a kept upload: a later discard deletes nothing', async () => {
    const { log, storage, upload, write } = setup();
    await write('x');
    await upload.finish();
    await upload.kept();
    log.length = 0;
    await upload.discard();
    expect(log).toEqual([]);
    expect(storage.objects.has(KEY)).toBe(true);
  });

  it('leaves an object whose completion is unknown, and its open journal entry, for the cleanup', async () => {
    const { log, storage, journal, upload, write } = setup();
    await write('x');
    await upload.finish();
    log.length = 0;
    upload.leaveForCleanup();
    await upload.discard();
    expect(log).toEqual([]);
    expect(storage.objects.has(KEY)).toBe(true);
    expect(journal.rows[0].outcome).toBeNull();
    expect(warnings).toHaveLength(1);
  });

  it('journals nothing for an upload without an id (a small S3 object)', async () => {
    const { log, storage, journal, upload, write } = setup();
    storage.multipart = false;
    await write('x');
    await upload.finish();
    await upload.kept();
    await upload.discard();
    expect(log).toEqual(['begin ' + KEY, 'stored ' + KEY]);
    expect(journal.rows).toEqual([]);
  });

  it('discards nothing before begin, and never throws: a failed abort leaves the journal entry open', async () => {
    const { log, storage, journal, upload } = setup();
    await upload.discard();
    expect(log).toEqual([]);
    await upload.begin(KEY, OPTIONS);
    storage.failAbort = new Error('storage unreachable');
    await expect(upload.discard()).resolves.toBeUndefined();
    expect(journal.rows[0].outcome).toBeNull();
    expect(warnings).toHaveLength(1);
  });

  it('keeps a kept object when its journal entry cannot be closed: the entry stays open for the cleanup', async () => {
    const { storage, journal, upload, write } = setup();
    await write('x');
    await upload.finish();
    jest.spyOn(journal, 'finished').mockRejectedValueOnce(new Error('connection reset'));
    await expect(upload.kept()).resolves.toBeUndefined();
    await upload.discard();
    expect(storage.objects.has(KEY)).toBe(true);
    expect(journal.rows[0].outcome).toBeNull();
    expect(warnings).toHaveLength(1);
  });

  it('refuses to finish before it began', async () => {
    const { upload } = setup();
    await expect(upload.finish()).rejects.toThrow('finish() before begin()');
  });
});
