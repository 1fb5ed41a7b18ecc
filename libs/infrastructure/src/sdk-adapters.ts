/**
 * The adapters over heavy packages, apart from the index so that a process loads one only when it uses it: the AWS
 * SDK (about 23 MB of RSS), the Azure SDK (about 22 MB), pdfkit with fontkit and the fonts (about 40 MB). The apps
 * reach them through createFileStorage and the file encoders, which import them on first use; the specs, the tools
 * and the Azure container command import them from here (`@app/infrastructure/sdk-adapters`).
 */
export { AzureBlobFileStorage } from './storage/azure-blob-file-storage';
export { S3FileStorage } from './storage/s3-file-storage';
export { type PdfDocumentInfo, PdfTableEncoder } from './export/pdf/pdf-table-encoder';
