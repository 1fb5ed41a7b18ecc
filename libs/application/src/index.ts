export * from './ports/audit-log';
export * from './ports/clock';
export * from './ports/export-job.repository';
export * from './ports/export-queue';
export * from './ports/file-storage';
