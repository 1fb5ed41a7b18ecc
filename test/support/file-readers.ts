/** Reading an exported file back: strict CSV, JSON and NDJSON readers, and its SHA-256. */
import { createHash } from 'node:crypto';
import { type Options as CsvOptions, parse as parseCsv } from 'csv-parse/sync';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const CSV_OPTIONS: CsvOptions = { bom: true, record_delimiter: '\r\n' };

/**
 * Reads a CSV export strictly: BOM first, every record (quoted line breaks aside) ended by CRLF, the last one
 * included; then parses it (RFC 4180) into the header and the records.
 */
export function readCsv(bytes: Buffer): { header: string[]; records: string[][] } {
  if (!bytes.subarray(0, 3).equals(BOM)) throw new Error('the CSV file does not start with a UTF-8 BOM');
  const text = bytes.toString('utf8');
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '\r' && text[i + 1] !== '\n')
      throw new Error(`a bare CR outside quotes at offset ${i}`);
    else if (!quoted && c === '\n' && text[i - 1] !== '\r')
      throw new Error(`a bare LF outside quotes at offset ${i}`);
  }
  if (quoted) throw new Error('the CSV file ends inside a quoted cell');
  if (!text.endsWith('\r\n')) throw new Error('the last CSV record does not end with CRLF');
  const [header, ...records] = parseCsv(bytes, CSV_OPTIONS);
  return { header, records };
}

export function readJson(bytes: Buffer): Record<string, unknown>[] {
  const parsed: unknown = JSON.parse(bytes.toString('utf8'));
  if (!Array.isArray(parsed)) throw new Error('the JSON export is not an array');
  return parsed as Record<string, unknown>[];
}

export function readNdjson(bytes: Buffer): Record<string, unknown>[] {
  const text = bytes.toString('utf8');
  if (text !== '' && !text.endsWith('\n')) throw new Error('the NDJSON export does not end with a newline');
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
