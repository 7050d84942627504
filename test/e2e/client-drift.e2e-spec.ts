import { readFileSync } from 'node:fs';
import { renderClientFiles } from '../../scripts/openapi-client.mjs';
import { isAppBuilt, startAppProcess, type AppProcess } from '../helpers/app-process.js';
import { createTestDatabase } from '../helpers/database.js';

/** The first line where `actual` leaves `committed`, or 'up to date'. */
function firstDifference(committed: string, actual: string): string {
  const [before, after] = [committed.split('\n'), actual.split('\n')];
  const index = after.findIndex((line, i) => line !== before[i]);
  if (index === -1 && before.length === after.length) return 'up to date';
  const at = index === -1 ? after.length : index;
  return `line ${at + 1}: ${after[at] ?? '(end of file)'}`;
}

// The built app as production runs it: its /docs-json is what clients download.
describe('The published JavaScript client (clients/js)', () => {
  let app: AppProcess;

  beforeAll(async () => {
    if (!isAppBuilt()) throw new Error('dist/main.js is missing: run `npm run build` first');
    app = await startAppProcess({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DOCS_ENABLED: 'true',
      DATABASE_URL: await createTestDatabase(),
    });
  });
  afterAll(() => app?.stop());

  it('matches the OpenAPI document the server serves at /docs-json (else run `npm run client:generate`)', async () => {
    const served = await (await fetch(`${app.origin}/docs-json`)).json();
    const files = await renderClientFiles(served);
    expect(Object.keys(files).sort()).toEqual(['clients/js/openapi.json', 'clients/js/schema.d.ts']);
    for (const [path, content] of Object.entries(files))
      expect({ path, drift: firstDifference(readFileSync(path, 'utf8'), content) }).toEqual({
        path,
        drift: 'up to date',
      });
  });
});
