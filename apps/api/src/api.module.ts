import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@app/infrastructure';
import { ConfigModule } from '@app/infrastructure/nest/config.module';
import { DatabaseModule } from '@app/infrastructure/nest/database.module';
import { HealthController } from './health/health.controller';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot(config, 'export-service-api')],
      controllers: [HealthController],
    };
  }
}
