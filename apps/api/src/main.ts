import 'reflect-metadata';
import { ConfigError, exitOnProcessFailure, readConfig, requireJwtSecret } from '@app/infrastructure';
import { QueueModule } from '@app/infrastructure/nest/queue.module';
import { StorageModule } from '@app/infrastructure/nest/storage.module';
import { createApiApp } from './create-api-app';

async function bootstrap(): Promise<void> {
  const config = readConfig();
  requireJwtSecret(config);
  const app = await createApiApp({
    config,
    queue: QueueModule.forRoot(config),
    storage: StorageModule.forRoot(config),
  });
  app.enableShutdownHooks();
  await app.listen(config.port);
}

exitOnProcessFailure('api');
bootstrap().catch((error: unknown) => {
  process.stderr.write(`api: ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
});
