import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * The fan's pages and the operator's console, built by `npm run build` (vite, web/) into dist/public.
 * The same relative path works from src/web (tests) and dist/web (production).
 */
export const WEB_ROOT = fileURLToPath(new URL('../../dist/public/', import.meta.url));

/** Page routes: the fan's at `/`, the console at `/admin`; both navigate by `#` so no API path is shadowed. */
const PAGES = { '/': 'index.html', '/admin': 'admin/index.html' } as const;

/**
 * Serves the built pages when they exist (a plain `tsc` build or a unit test has none). Assets have
 * content hashes in their names, so they are cached for a year; the HTML is revalidated every time.
 */
export async function registerWebPages(app: NestFastifyApplication): Promise<void> {
  if (!existsSync(`${WEB_ROOT}index.html`)) return;
  const fastify = app.getHttpAdapter().getInstance();
  for (const [path, file] of Object.entries(PAGES)) {
    const html = readFileSync(`${WEB_ROOT}${file}`);
    fastify.get(path, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html),
    );
  }
  await app.register(fastifyStatic, {
    root: `${WEB_ROOT}assets`,
    prefix: '/assets/',
    decorateReply: false,
    immutable: true,
    maxAge: '365d',
    index: false,
  });
}
