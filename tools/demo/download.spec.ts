import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachmentDisposition } from '@app/infrastructure';
import type { CompletedExportJob } from '../shared/http-client';
import { downloadExport } from './download';
import { DemoFailure } from './failure';

const BODY = Buffer.from('\uFEFFTicket ID,Title\r\n1,"Printer, on fire"\r\n', 'utf8');
const SHA256 = createHash('sha256').update(BODY).digest('hex');

function aCompletedJob(file: Partial<CompletedExportJob['file']> = {}): CompletedExportJob {
  return {
    id: '0b9d5a55-8c1e-4f7e-9a43-3f1f2d6c7e10',
    status: 'completed',
    stage: null,
    progress: { percent: 100, rowsExported: 1, totalRows: 1 },
    view: null,
    requestedAt: '2026-11-23T12:15:00.000Z',
    startedAt: '2026-11-23T12:15:00.100Z',
    completedAt: '2026-11-23T12:15:01.000Z',
    error: null,
    file: {
      name: 'all-tickets-20261123-121500.csv',
      contentType: 'text/csv; charset=utf-8',
      sizeBytes: BODY.length,
      sha256: SHA256,
      rowCount: 1,
      ...file,
    },
  };
}

/** The API's download response: the body, Content-Length and Content-Disposition. */
function serving(body: Buffer, disposition: string | null) {
  const headers: Record<string, string> = { 'content-length': String(body.length) };
  if (disposition !== null) headers['content-disposition'] = disposition;
  return { download: () => Promise.resolve(new Response(new Uint8Array(body), { headers })) };
}

describe('downloadExport', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'demo-download-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves the file under the name of Content-Disposition and returns its size and sha256', async () => {
    const name = 'Überfällige — März-20261123-121500.csv';
    const out = join(dir, 'nested', 'out');
    const file = await downloadExport(
      serving(BODY, attachmentDisposition(name)),
      aCompletedJob(),
      out,
      new AbortController().signal,
    );
    expect(file).toMatchObject({ path: join(out, name), bytes: BODY.length, sha256: SHA256 });
    expect(await readFile(file.path)).toEqual(BODY);
    expect(await readdir(out)).toEqual([name]);
  });

  it("keeps nothing and says so when the bytes do not hash to the job's sha256", async () => {
    const tampered = Buffer.from(BODY);
    tampered[tampered.length - 3] = 0x3f;
    const failure = downloadExport(
      serving(tampered, attachmentDisposition('x.csv')),
      aCompletedJob(),
      dir,
      new AbortController().signal,
    );
    await expect(failure).rejects.toThrow(DemoFailure);
    await expect(failure).rejects.toThrow(
      /^sha256 mismatch: the download hashes to [0-9a-f]{64} but the job says/,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a file whose size is not the size the job recorded', async () => {
    const failure = downloadExport(
      serving(BODY, attachmentDisposition('x.csv')),
      aCompletedJob({ sizeBytes: BODY.length + 1 }),
      dir,
      new AbortController().signal,
    );
    await expect(failure).rejects.toThrow(/^the download has \d+ bytes but the job says \d+/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('never writes outside the output directory, whatever the header says', async () => {
    const file = await downloadExport(
      serving(BODY, 'attachment; filename="../../escape.csv"'),
      aCompletedJob(),
      dir,
      new AbortController().signal,
    );
    expect(file.path).toBe(join(dir, 'escape.csv'));
    const fallback = await downloadExport(
      serving(BODY, null),
      aCompletedJob(),
      dir,
      new AbortController().signal,
    );
    expect(fallback.path).toBe(join(dir, 'all-tickets-20261123-121500.csv'));
  });
});
