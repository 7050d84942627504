import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * pgbench from PGBENCH, else the newest /usr/lib/postgresql/<version>/bin/pgbench (Debian's
 * postgresql-NN package), else `pgbench` on the PATH; null when there is none. Any version
 * speaks to the embedded server: it only sends SQL.
 */
export function findPgbench() {
  if (process.env.PGBENCH) return process.env.PGBENCH;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => existsSync(join(root, version, 'bin', 'pgbench')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length) return join(root, versions[0], 'bin', 'pgbench');
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'pgbench'))) return join(dir, 'pgbench');
  }
  return null;
}

/**
 * Runs `script` with pgbench (prepared statements, `clients` connections) for `seconds`, or
 * `transactions` per client, and returns its transactions per second and latency average.
 * Fails when a client aborted: a limit measured with errors would not be one.
 */
export async function runPgbench({
  binary,
  databaseUrl,
  script,
  clients,
  threads = 2,
  seconds,
  transactions,
  variables = {},
}) {
  const dir = await mkdtemp(join(tmpdir(), 'sail-pgbench-'));
  try {
    const file = join(dir, 'purchase.sql');
    await writeFile(file, script);
    const args = [
      '--no-vacuum',
      '--protocol=prepared',
      `--client=${clients}`,
      `--jobs=${threads}`,
      ...(seconds !== undefined ? [`--time=${seconds}`] : [`--transactions=${transactions}`]),
      ...Object.entries(variables).map(([name, value]) => `--define=${name}=${value}`),
      `--file=${file}`,
      databaseUrl,
    ];
    const { stdout } = await run(binary, args, { maxBuffer: 16 * 1024 * 1024 });
    const number = (pattern) => {
      const match = pattern.exec(stdout);
      return match ? Number(match[1]) : null;
    };
    const failed = number(/number of failed transactions: (\d+)/) ?? 0;
    const processed = number(/number of transactions actually processed: (\d+)/);
    // A client that hits an error aborts, and pgbench exits non-zero (execFile rejects).
    if (failed || processed === null) throw new Error(`pgbench failed:\n${stdout}`);
    return {
      transactions: processed,
      perSecond: number(/tps = ([\d.]+) \(without initial connection time\)/),
      latencyAverageMs: number(/latency average = ([\d.]+) ms/),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
