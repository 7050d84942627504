import { ConfigService } from '@nestjs/config';
import { AppConfig } from '../../src/config/app-config.js';
import { validateEnv, type Env } from '../../src/config/env.validation.js';

/** A real AppConfig built from the defaults plus `overrides`, as the app would validate them. */
export function testConfig(overrides: Record<string, string | number | boolean> = {}): AppConfig {
  const env = validateEnv({
    NODE_ENV: 'test',
    DATABASE_URL: 'postgresql://unit-tests-do-not-connect/none',
    ...Object.fromEntries(Object.entries(overrides).map(([key, value]) => [key, String(value)])),
  });
  return new AppConfig(new ConfigService<Env, true>({ ...env }));
}
