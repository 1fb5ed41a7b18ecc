export * from './config/app-config';
export * from './auth/access-token';
export * from './persistence/data-source';
export * from './tickets/ticket-query-builder';
export * from './tickets/ticket-sql-fields';
export * from './http/content-disposition';
export * from './errors/failure-kind';
