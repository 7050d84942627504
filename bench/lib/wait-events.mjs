import { cpuSeconds } from './cpu.mjs';

/**
 * Samples pg_stat_activity every `intervalMs` while load runs: what the database's busy
 * connections are doing (on CPU, or waiting, by wait event), and how many of the app's
 * connections are busy at all. stop() returns the average number of connections in each
 * state per sample, busiest first: e.g. {"CPU": 1.6, "Lock:transactionid": 3.2}. Pool
 * waits show as the busy count sitting at the pool size. Samples on a connection of its own,
 * whose backend's CPU stop() also reports (`samplerCpuSeconds`): a hundred samples a second
 * cost the database a measurable share of a rush, which is not the app's to pay for.
 */
export async function sampleWaitEvents(db, intervalMs = 10) {
  const totals = new Map();
  let samples = 0;
  let busySum = 0;
  let stopped = false;
  const connection = await db.connect();
  const {
    rows: [{ pid }],
  } = await connection.query('SELECT pg_backend_pid() AS pid');
  const samplerCpuAtStart = cpuSeconds(pid);
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await connection.query(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS what, count(*)::int AS n
         FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
           AND state IN ('active', 'idle in transaction') AND query NOT LIKE '%pg_stat_activity%'
         GROUP BY 1`,
      );
      samples += 1;
      for (const row of rows) {
        totals.set(row.what, (totals.get(row.what) ?? 0) + row.n);
        busySum += row.n;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const samplerCpuSeconds = Math.round((cpuSeconds(pid) - samplerCpuAtStart) * 100) / 100;
      connection.release();
      const round = (value) => Math.round((value / Math.max(samples, 1)) * 100) / 100;
      return {
        samples,
        samplerCpuSeconds,
        busyConnections: round(busySum),
        byState: Object.fromEntries(
          [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([what, total]) => [what, round(total)]),
        ),
      };
    },
  };
}
