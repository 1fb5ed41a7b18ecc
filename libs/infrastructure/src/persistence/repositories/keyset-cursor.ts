import { ValidationError } from '@app/domain';

/**
 * Opaque keyset cursors for the API's own listings: base64url JSON of the last row's sort key, tagged with the
 * listing it belongs to. Anything else is a ValidationError on `cursor`, never a database error.
 */
export function encodeCursor(kind: string, key: readonly string[]): string {
  return Buffer.from(JSON.stringify({ l: kind, k: key }), 'utf8').toString('base64url');
}

export function decodeCursor(
  kind: string,
  cursor: string,
  accepts: readonly ((part: string) => boolean)[],
): string[] {
  const invalid = (): ValidationError =>
    new ValidationError([{ field: 'cursor', message: 'is not a cursor of this list' }]);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof decoded !== 'object' || decoded === null) throw invalid();
  const { l, k } = decoded as { l?: unknown; k?: unknown };
  if (l !== kind || !Array.isArray(k) || k.length !== accepts.length) throw invalid();
  return k.map((part: unknown, i) => {
    if (typeof part !== 'string' || part.includes('\u0000') || !accepts[i](part)) throw invalid();
    return part;
  });
}
