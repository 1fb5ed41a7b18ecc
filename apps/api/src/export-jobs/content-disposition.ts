/**
 * `attachment; filename="<ascii>"; filename*=UTF-8''<utf8>` (RFC 6266 / RFC 8187): the quoted fallback keeps
 * printable ASCII except `"` and `\`, the extended value carries the exact name percent-encoded.
 */
export function attachmentDisposition(fileName: string): string {
  const ascii =
    fileName
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^\x20-\x7e]|["\\%]/g, '_') || 'export';
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
