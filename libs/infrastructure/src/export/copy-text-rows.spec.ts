import { Readable } from 'node:stream';
import { CopyTextRows } from './copy-text-rows';

async function parse(chunks: readonly Buffer[]): Promise<string[][]> {
  const rows: string[][] = [];
  const parser = Readable.from(chunks).pipe(new CopyTextRows());
  for await (const batch of parser) rows.push(...(batch as string[][]));
  return rows;
}

describe('CopyTextRows', () => {
  const text = 'plain\ttab\\there\tnew\\nline\\r\\n\tback\\\\slash\t\\N\n2\t票务导出 🎫\t\\b\\f\\v\t\t=x\n';
  const expected = [
    ['plain', 'tab\there', 'new\nline\r\n', 'back\\slash', ''],
    ['2', '票务导出 🎫', '\b\f\v', '', '=x'],
  ];

  it('splits rows and cells and undoes the escapes', async () => {
    expect(await parse([Buffer.from(text, 'utf8')])).toEqual(expected);
  });

  it('gives the same rows whatever the chunk boundaries, even inside a multi-byte character', async () => {
    const bytes = Buffer.from(text, 'utf8');
    for (let size = 1; size <= 9; size++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(await parse(chunks)).toEqual(expected);
    }
  });

  it('counts the rows it read', async () => {
    const parser = new CopyTextRows();
    const done = (async () => {
      for await (const _ of Readable.from([Buffer.from('a\nb\nc\n')]).pipe(parser)) void _;
    })();
    await done;
    expect(parser.rowsRead).toBe(3);
  });
});
