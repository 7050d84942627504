import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runningEmbeddedDatabaseUrl } from './account-roles.js';

describe(runningEmbeddedDatabaseUrl.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sail-pid-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const writePidFile = (pid: number, port: number) =>
    writeFileSync(join(dir, 'postmaster.pid'), `${pid}\n${dir}\n1733300000\n${port}\n/tmp\n127.0.0.1\n`);

  it('reads the port of a running server from its postmaster.pid', () => {
    writePidFile(process.pid, 54321);
    expect(runningEmbeddedDatabaseUrl(dir)).toBe('postgresql://postgres:postgres@127.0.0.1:54321/sail');
  });

  it('answers undefined without a server, or when the pid file is stale', () => {
    expect(runningEmbeddedDatabaseUrl(dir)).toBeUndefined();
    writePidFile(2 ** 22 + 1, 54321);
    expect(runningEmbeddedDatabaseUrl(dir)).toBeUndefined();
  });
});
