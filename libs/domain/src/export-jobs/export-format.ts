export const EXPORT_FORMATS = ['csv', 'json', 'ndjson', 'xlsx', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const FORMAT_FILE_TYPES: Readonly<Record<ExportFormat, { extension: string; contentType: string }>> = {
  csv: { extension: 'csv', contentType: 'text/csv; charset=utf-8' },
  json: { extension: 'json', contentType: 'application/json; charset=utf-8' },
  ndjson: { extension: 'ndjson', contentType: 'application/x-ndjson; charset=utf-8' },
  xlsx: {
    extension: 'xlsx',
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  },
  pdf: { extension: 'pdf', contentType: 'application/pdf' },
};

export function isExportFormat(value: unknown): value is ExportFormat {
  return typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value);
}

/**
 * The formats whose size an estimate states (POST /export-jobs/estimate): their bytes grow with the rows, so a
 * sample written by the export's own encoder scales. A PDF's size follows its page layout (wrapping, fonts, one
 * deflate stream a page) and its encoder loads ~80 MB of fonts: it is not estimated.
 */
export const SIZE_ESTIMATED_FORMATS = [
  'csv',
  'json',
  'ndjson',
  'xlsx',
] as const satisfies readonly ExportFormat[];
export type SizeEstimatedFormat = (typeof SIZE_ESTIMATED_FORMATS)[number];
