import { Injectable, Logger, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { type AppConfig, redisErrorListener } from '@app/infrastructure';
import { LoggerModule } from 'nestjs-pino';
import { ExportProcessor } from '../exports/export.processor';
import { attemptLogFields } from './attempt-log-context';

/**
 * The worker logs as the API does: one JSON object per line through pino (level, time, context, msg), and every
 * line of an export attempt carries `jobId`, `tenantId` and `attempt` (AsyncLocalStorage, set by the processor).
 */
@Module({})
export class WorkerLoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerLoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: { level: config.logLevel, mixin: attemptLogFields },
        }),
      ],
    };
  }
}

/**
 * The BullMQ Worker emits its connections' errors (Redis away, a lock that could not be renewed) as 'error':
 * logged as one warning line each (repeats throttled) instead of BullMQ's console.error fallback.
 */
@Injectable()
export class WorkerRedisErrorLog implements OnApplicationBootstrap {
  constructor(private readonly processor: ExportProcessor) {}

  onApplicationBootstrap(): void {
    this.processor.worker.on('error', redisErrorListener(new Logger('ExportWorker'), 'exports worker'));
  }
}
