import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, exitOnProcessFailure, readConfig } from '@app/infrastructure';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';

/**
 * How long a SIGTERM may take: running exports are released well within it. Past it the worker exits anyway (the
 * queue's stalled check hands its jobs to another worker), before the orchestrator's SIGKILL (compose: 30 s).
 */
const SHUTDOWN_GRACE_MS = 25_000;

async function bootstrap(): Promise<void> {
  const config = readConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(PinoNestLogger));
  const logger = new Logger('Worker');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: releasing running exports and stopping`);
    setTimeout(() => {
      logger.error(`${signal}: not stopped within ${SHUTDOWN_GRACE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  logger.log(
    `worker started (concurrency ${config.exports.workerConcurrency}, storage ${config.storage.driver})`,
  );
}

exitOnProcessFailure('worker');
bootstrap().catch((error: unknown) => {
  process.stderr.write(`worker: ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
});
