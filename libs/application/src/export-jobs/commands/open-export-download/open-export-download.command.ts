import type { Readable } from 'node:stream';
import { Command } from '@nestjs/cqrs';
import type { CallContext } from '../../../auth/call-context';

/** An export's file, open for reading; the caller must consume or destroy `stream`. */
export interface ExportDownload {
  readonly stream: Readable;
  readonly fileName: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
}

/**
 * Opens a completed export's file for its downloader. A command, not a query: every download and every refusal
 * writes an audit row (export.downloaded, export.download_denied). `HEAD` checks the same things and answers the
 * same metadata, but its stream is already closed and it writes no export.downloaded row: nothing was downloaded.
 */
export class OpenExportDownloadCommand extends Command<ExportDownload> {
  constructor(
    readonly context: CallContext,
    readonly jobId: string,
    readonly method: 'GET' | 'HEAD' = 'GET',
  ) {
    super();
  }
}
