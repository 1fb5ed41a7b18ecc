import { Global, Inject, Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';

export const APP_CONFIG = 'APP_CONFIG';

/** Injects the validated AppConfig: `constructor(@InjectConfig() config: AppConfig)`. */
export const InjectConfig = (): ParameterDecorator => Inject(APP_CONFIG);

/** Makes the configuration read once at start (see main.ts) available everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
