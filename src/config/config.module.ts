import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig } from './app-config.js';
import type { Env } from './env.validation.js';

/**
 * The environment is validated once, before Nest starts (main.ts, createTestApp), and
 * handed in here. Loading it rather than re-reading process.env keeps each app
 * instance's settings its own, which the tests rely on when they run two apps.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forEnv(env: Env): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, skipProcessEnv: true, load: [() => ({ ...env })] }),
      ],
      providers: [AppConfig],
      exports: [AppConfig],
    };
  }
}
