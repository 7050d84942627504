import { readFileSync } from 'node:fs';
import { Env } from '../../src/config/env.validation.js';

/**
 * The Postman files work against a plain `npm start` (CI runs them so with `npm run test:postman`);
 * these checks keep them from drifting back to settings only a special start-up gives. No database.
 */
type Item = { name: string; item?: Item[]; event?: { script: { exec: string[] } }[] };

const collection = JSON.parse(readFileSync('postman/sail.postman_collection.json', 'utf8')) as Item;
const environment = JSON.parse(readFileSync('postman/sail.postman_environment.json', 'utf8')) as {
  values: { key: string; value: string }[];
};
const scripts = (item: Item): string[] => [
  ...(item.event ?? []).map((event) => event.script.exec.join('\n')),
  ...(item.item ?? []).flatMap(scripts),
];

describe('postman/', () => {
  it("points the environment at npm start's default address and needs no server setting", () => {
    const defaults = new Env();
    expect(Object.fromEntries(environment.values.map(({ key, value }) => [key, value]))).toEqual({
      baseUrl: `http://localhost:${defaults.PORT}`,
      adminEmail: expect.stringContaining('@'),
      adminPassword: expect.any(String),
      userPassword: expect.any(String),
    });
  });

  it('never waits in a script (no step sits out a hold or a window)', () => {
    const all = scripts(collection);
    expect(all.length).toBeGreaterThan(40);
    for (const script of all) expect(script).not.toMatch(/setTimeout|setInterval/);
  });

  it('covers the errors a client meets first, 405 and 415 among them', () => {
    const statuses = new Set(
      [...JSON.stringify(collection).matchAll(/"name": ?"[^"]*: (\d{3})"/g)].map((match) => match[1]),
    );
    expect([...statuses].sort()).toEqual(['400', '401', '402', '403', '404', '405', '409', '410', '415']);
  });
});
