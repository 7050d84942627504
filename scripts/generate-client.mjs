// `npm run client:generate`: builds the app's OpenAPI document (the same one /docs-json serves,
// without a database: nothing connects before init) and writes clients/js from it.
import { writeFileSync } from 'node:fs';
import { renderClientFiles } from './openapi-client.mjs';

const { createApp } = await import('../dist/app.setup.js');
const { validateEnv } = await import('../dist/config/env.validation.js');
const { buildOpenApiDocument } = await import('../dist/common/openapi/openapi.js');

const app = await createApp(
  validateEnv({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: 'postgresql://unused@127.0.0.1:9/unused',
  }),
);
const files = await renderClientFiles(buildOpenApiDocument(app));
for (const [path, content] of Object.entries(files)) {
  writeFileSync(path, content);
  process.stdout.write(`wrote ${path}\n`);
}
process.exit(0);
