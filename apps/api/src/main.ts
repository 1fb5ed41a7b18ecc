import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, readConfig, requireJwtSecret } from '@app/infrastructure';
import { ApiModule } from './api.module';

async function bootstrap(): Promise<void> {
  const config = readConfig();
  requireJwtSecret(config);
  const app = await NestFactory.create(ApiModule.forRoot(config));
  app.enableShutdownHooks();
  await app.listen(config.port);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`api: ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
});
