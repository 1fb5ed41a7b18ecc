import { basename } from 'node:path';

/**
 * The file name of a `Content-Disposition: attachment; filename="..."; filename*=UTF-8''...` header (RFC 6266):
 * the extended `filename*` when it decodes, else the quoted or plain `filename`; null when there is neither.
 */
export function fileNameFromDisposition(header: string | null): string | null {
  if (header === null) return null;
  const extended = /(?:^|;)\s*filename\*\s*=\s*UTF-8'[^']*'([^;\s]+)/i.exec(header);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]);
    } catch {
      // A malformed percent-encoding: fall back to the plain parameter.
    }
  }
  const quoted = /(?:^|;)\s*filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header);
  if (quoted) return quoted[1].replace(/\\(.)/g, '$1');
  const token = /(?:^|;)\s*filename\s*=\s*([^;\s]+)/i.exec(header);
  return token ? token[1] : null;
}

/**
 * A name that is safe to create in the output directory: no directories, no control characters, not hidden, not
 * `.` or `..`; null when nothing usable is left (the caller then picks its own).
 */
export function safeFileName(name: string | null): string | null {
  if (name === null) return null;
  const printable = [...name.replace(/\\/g, '/')].filter((c) => c >= ' ' && c !== '\u007f').join('');
  const cleaned = basename(printable).trim();
  if (cleaned === '' || cleaned.startsWith('.') || cleaned.length > 255) return null;
  return cleaned;
}
