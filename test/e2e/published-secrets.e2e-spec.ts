import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { COMPOSE_LOCAL_SECRETS, PUBLISHED_SECRETS } from '../../src/config/published-secrets.js';

/**
 * Keeps src/config/published-secrets.ts complete: every JWT secret value written in the
 * repository's compose, env, Markdown and Postman files must be on the list production refuses.
 * Needs no database; it lives with the e2e tests because it reads the repository.
 */

const SCANNED = /(^|\/)(docker-compose[^/]*\.ya?ml|\.env[^/]*|[^/]+\.md|[^/]+\.postman_[^/]+\.json)$/;
/** `JWT_ACCESS_SECRET=value`, `JWT_ACCESS_SECRET: value`, `${JWT_ACCESS_SECRET:-value}`; not `${…}` or `$(…)`. */
const ASSIGNMENT = /JWT_(?:ACCESS|REFRESH)_SECRET(?:\s*[=:]\s*|:-)["']?([^\s"'`$|}]{8,})/g;

function writtenSecrets(): Map<string, string[]> {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => SCANNED.test(file));
  const found = new Map<string, string[]>();
  for (const file of files) {
    for (const [, value] of readFileSync(file, 'utf8').matchAll(ASSIGNMENT))
      found.set(value!, [...(found.get(value!) ?? []), file]);
  }
  return found;
}

describe('JWT secrets written in the repository', () => {
  const found = writtenSecrets();

  it('are found by the scan (compose writes its local ones)', () => {
    expect(found.get(COMPOSE_LOCAL_SECRETS.access)).toContain('docker-compose.yml');
    expect(found.get(COMPOSE_LOCAL_SECRETS.refresh)).toContain('docker-compose.yml');
  });

  it('are all refused in production (listed in src/config/published-secrets.ts)', () => {
    const missing = [...found].filter(([value]) => !PUBLISHED_SECRETS.includes(value));
    expect(missing).toEqual([]);
  });
});
