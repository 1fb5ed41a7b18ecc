import type { Readable } from 'node:stream';
import { Query } from '@nestjs/cqrs';
import type { CallContext } from '../../../auth/call-context';

/** An export's file, open for reading; the caller must consume or destroy `stream`. */
export interface ExportDownload {
  readonly stream: Readable;
  readonly fileName: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
}

/** Opens a completed export's file for its downloader; every download and every refusal is audited. */
export class OpenExportDownloadQuery extends Query<ExportDownload> {
  constructor(
    readonly context: CallContext,
    readonly jobId: string,
  ) {
    super();
  }
}
