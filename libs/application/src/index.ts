export * from './ports/export-job.repository';
