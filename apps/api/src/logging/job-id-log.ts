import { SetMetadata } from '@nestjs/common';

export const LOGS_JOB_ID = 'logsJobId';

/**
 * The routes' `:id` is an export job's: every log line of their requests carries it as `jobId`, assigned by the
 * auth guard with the caller's ids (an interceptor did it before, and cost each request an RxJS pipeline).
 */
export const LogsJobId = (): ClassDecorator => SetMetadata(LOGS_JOB_ID, true);
