import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { findTicketColumn, type ExportFormat, type TicketColumn, type TicketColumnKey } from '@app/domain';
import { writeToBuffer } from '@fast-csv/format';
import { parse } from 'csv-parse/sync';
import nasty from '../seed/nasty-strings.json';
import { CopyTextBatch } from './copy-text';
import { fileEncoder } from './file-encoders';

/** COPY text format's escaping of one value (what Postgres sends); null is `\N`. */
function copyEscape(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\b\f\n\r\t\v]/g, (c) => {
    const named: Record<string, string> = {
      '\\': '\\\\',
      '\b': '\\b',
      '\f': '\\f',
      '\n': '\\n',
      '\r': '\\r',
      '\t': '\\t',
      '\v': '\\v',
    };
    return named[c];
  });
}

const copyRow = (cells: readonly (string | null)[]): string => `${cells.map(copyEscape).join('\t')}\n`;

/** The rows as COPY would send them, cut into batches of `perBatch` rows. */
function batches(rows: readonly (readonly (string | null)[])[], perBatch: number): CopyTextBatch[] {
  const out: CopyTextBatch[] = [];
  for (let i = 0; i < rows.length; i += perBatch) {
    const slice = rows.slice(i, i + perBatch);
    out.push(new CopyTextBatch(slice.map(copyRow).join(''), slice.length));
  }
  return out;
}

async function encode(
  format: ExportFormat,
  columns: readonly TicketColumn[],
  input: CopyTextBatch[],
): Promise<Buffer> {
  return Buffer.concat(await encodeChunks(format, columns, input));
}

/** The chunks the encoder hands on, as the next stage receives them. */
async function encodeChunks(
  format: ExportFormat,
  columns: readonly TicketColumn[],
  input: CopyTextBatch[],
): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await pipeline([Readable.from(input), ...fileEncoder(format, columns), sink]);
  return chunks;
}

const columns = (['id', 'title', 'description', 'tags'] as TicketColumnKey[]).map((key) => {
  const column = findTicketColumn(key);
  if (!column) throw new Error(key);
  return column;
});

/** Every nasty string once in every column, plus nulls, empty strings and cells made of escapes only. */
function nastyRows(): (string | null)[][] {
  const values = [...nasty.strings, '', '\\N', '\\', '\t', '\r\n', 'a|b', '"', ',', '\u00a0'];
  const rows: (string | null)[][] = values.map((v, i) => [String(i), v, values[(i + 1) % values.length], v]);
  rows.push(['9001', null, null, null]);
  return rows;
}

describe('fileEncoder', () => {
  describe('csv', () => {
    it.each([1, 3, 1000])(
      'writes the bytes fast-csv writes for the same rows (%i rows a batch)',
      async (perBatch) => {
        const rows = nastyRows();
        const expected = await writeToBuffer(
          [columns.map((c) => c.label), ...rows.map((r) => r.map((cell) => cell ?? ''))],
          { headers: false, rowDelimiter: '\r\n', includeEndRowDelimiter: true, writeBOM: true },
        );
        const actual = await encode('csv', columns, batches(rows, perBatch));
        expect(actual.equals(expected)).toBe(true);
      },
    );

    it('round-trips through a CSV parser: BOM, header of labels, CRLF after every row, nulls as empty cells', async () => {
      const rows = nastyRows();
      const bytes = await encode('csv', columns, batches(rows, 7));
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(bytes.subarray(-2).toString()).toBe('\r\n');
      const records: string[][] = parse(bytes.subarray(3).toString('utf8'), { relaxQuotes: false });
      expect(records[0]).toEqual(['Ticket ID', 'Title', 'Description', 'Tags']);
      expect(records.slice(1)).toEqual(rows.map((r) => r.map((cell) => cell ?? '')));
    });

    it('hands on chunks of at least 64 KiB (but the last), not one per row', async () => {
      const rows = Array.from({ length: 20_000 }, (_, i) => [String(i), `title ${i}`, '', 'a, b']);
      const chunks = await encodeChunks('csv', columns, batches(rows, 500));
      expect(chunks.length).toBeGreaterThan(2);
      for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBeGreaterThanOrEqual(64 * 1024);
      expect(chunks.at(-1)?.length).toBeGreaterThan(0);
    });

    it('writes the header alone for an export without rows', async () => {
      const bytes = await encode('csv', columns, []);
      expect(bytes.toString('utf8')).toBe('\ufeffTicket ID,Title,Description,Tags\r\n');
    });
  });

  describe('json and ndjson', () => {
    /** Postgres's JSON text of each row, as json_build_object writes it. */
    const objects = nastyRows().map((r) => ({
      id: Number(r[0]),
      title: r[1],
      tags: r[3] === null ? null : [r[3]],
    }));
    const jsonRows = objects.map((o) => [JSON.stringify(o)]);

    it.each([1, 4, 1000])('json: one array of the row objects (%i rows a batch)', async (perBatch) => {
      const text = (await encode('json', columns, batches(jsonRows, perBatch))).toString('utf8');
      expect(JSON.parse(text)).toEqual(objects);
      expect(text.startsWith('[\n{')).toBe(true);
      expect(text.endsWith('}\n]\n')).toBe(true);
    });

    it('json: an export without rows is an empty array', async () => {
      expect((await encode('json', columns, [])).toString('utf8')).toBe('[]\n');
    });

    it.each([1, 4, 1000])('ndjson: one object per line (%i rows a batch)', async (perBatch) => {
      const text = (await encode('ndjson', columns, batches(jsonRows, perBatch))).toString('utf8');
      const lines = text.split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(objects);
    });
  });
});
