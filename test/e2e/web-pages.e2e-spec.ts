import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { WEB_ROOT } from '../../src/web/web-pages.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/** The JavaScript files a page loads: its module script and the chunks it preloads. */
const scriptsOf = (html: string) =>
  [
    ...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="(\/assets\/[^"]+\.js)"/g),
  ].map(([, src]) => src!);

// Needs `npm run build` (vite writes dist/public); CI builds before testing.
describe('Web pages served by the app', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each([
    ['/', 'Sail tickets'],
    ['/admin', 'Sail console'],
  ])('serves %s as HTML that is revalidated on every load', async (path, title) => {
    const page = await t.http().get(path).expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.text).toContain(`<title>${title}</title>`);
    expect(scriptsOf(page.text).length).toBeGreaterThan(0);
  });

  it('serves the assets with a year of caching, and a missing one as the usual JSON 404', async () => {
    const html = (await t.http().get('/admin').expect(200)).text;
    for (const src of scriptsOf(html)) {
      const asset = await t.http().get(src).expect(200);
      expect(asset.headers['content-type']).toMatch(/javascript/);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    const missing = await t.http().get('/assets/nothing-here.js').expect(404);
    expect(missing.body.code).toBe('ROUTE_NOT_FOUND');
  });

  it('leaves the API as it was: routes under /admin still need an admin token', async () => {
    expect((await t.http().get('/admin/concerts').expect(401)).body.code).toBe('UNAUTHENTICATED');
    expect((await t.http().get('/concerts').expect(401)).body.code).toBe('UNAUTHENTICATED');
  });

  it("keeps the fan's JavaScript under 100 KB gzipped", () => {
    const html = readFileSync(`${WEB_ROOT}index.html`, 'utf8');
    const gzipped = scriptsOf(html).reduce(
      (sum, src) => sum + gzipSync(readFileSync(`${WEB_ROOT}${src.slice(1)}`)).length,
      0,
    );
    expect(gzipped).toBeGreaterThan(1_000);
    expect(gzipped).toBeLessThan(100 * 1024);
  });
});
