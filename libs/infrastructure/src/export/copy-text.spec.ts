import { Readable } from 'node:stream';
import { CopyTextBatch, CopyTextBatches, unescapeCopyCell } from './copy-text';

async function batchesOf(chunks: readonly Buffer[], maxRows = 5000): Promise<CopyTextBatch[]> {
  const batches: CopyTextBatch[] = [];
  for await (const batch of Readable.from(chunks).pipe(new CopyTextBatches(maxRows)))
    batches.push(batch as CopyTextBatch);
  return batches;
}

function chunked(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

describe('unescapeCopyCell', () => {
  it.each([
    ['plain', 'plain'],
    ['tab\\there', 'tab\there'],
    ['new\\nline\\r\\n', 'new\nline\r\n'],
    ['back\\\\slash', 'back\\slash'],
    ['\\b\\f\\v', '\b\f\v'],
    ['\\N', ''],
    ['\\\\N', '\\N'],
    ['票务导出 🎫', '票务导出 🎫'],
  ])('%j -> %j', (cell, value) => {
    expect(unescapeCopyCell(cell)).toBe(value);
  });
});

describe('CopyTextBatches', () => {
  const text =
    'plain\ttab\\there\tnew\\nline\\r\\n\tback\\\\slash\t\\N\n2\t票务导出 🎫\t\\b\\f\\v\t\t=x\n3\tz\t\t\t\n';

  it('cuts whole rows, whatever the chunk boundaries, even inside a multi-byte character', async () => {
    const bytes = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, 5, 7, 9, 64, bytes.length]) {
      const batches = await batchesOf(chunked(bytes, size));
      expect(batches.map((b) => b.text).join('')).toBe(text);
      for (const batch of batches) {
        expect(batch.text.endsWith('\n')).toBe(true);
        expect(batch.rowCount).toBe(batch.text.split('\n').length - 1);
      }
    }
  });

  it('carries at most maxRows rows a batch (EXPORT_BATCH_SIZE)', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => `${i}\tx\n`).join('');
    const batches = await batchesOf([Buffer.from(rows.slice(0, 17)), Buffer.from(rows.slice(17))], 3);
    expect(batches.map((b) => b.text).join('')).toBe(rows);
    expect(batches.map((b) => b.rowCount)).toEqual([3, 1, 3, 3]);
    for (const batch of batches) expect(batch.rowCount).toBe(batch.text.split('\n').length - 1);
  });

  it('refuses a batch size that is not a positive integer', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) expect(() => new CopyTextBatches(size)).toThrow(RangeError);
  });

  it('counts the rows it read', async () => {
    const parser = new CopyTextBatches(2);
    for await (const _ of Readable.from([Buffer.from('a\nb\n'), Buffer.from('c\n')]).pipe(parser)) void _;
    expect(parser.rowsRead).toBe(3);
  });

  it('refuses a stream cut in the middle of a row', async () => {
    await expect(batchesOf([Buffer.from('a\tb\nc\td')])).rejects.toThrow(
      'the COPY stream ended in the middle of a row',
    );
  });
});
