import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, readConfig } from '@app/infrastructure';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const config = readConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config));
  app.enableShutdownHooks();
  new Logger('Worker').log('worker started');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`worker: ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
});
