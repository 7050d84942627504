import { readFileSync } from 'node:fs';
import process from 'node:process';

/** Linux's clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on every common build). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far; 0 when it is gone or not on Linux. */
function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used by the app, by the database's processes and by this load generator
 * between start() and stop(): on a shared machine, what the run itself cost, apart from
 * whatever else the machine was doing. Database processes are those pg_stat_activity lists
 * (backends of the app's pool, walwriter, checkpointer…) at both ends.
 */
export async function measureCpu(db, appPid) {
  const databasePids = async () => {
    const { rows } = await db.query('SELECT pid FROM pg_stat_activity');
    return rows.map((row) => row.pid);
  };
  const pidsAtStart = await databasePids();
  const databaseAtStart = new Map(pidsAtStart.map((pid) => [pid, processCpuSeconds(pid)]));
  const appAtStart = processCpuSeconds(appPid);
  const benchAtStart = process.cpuUsage();
  const startedAt = Date.now();
  return {
    async stop() {
      const pids = new Set([...pidsAtStart, ...(await databasePids())]);
      let database = 0;
      for (const pid of pids) database += processCpuSeconds(pid) - (databaseAtStart.get(pid) ?? 0);
      const bench = process.cpuUsage(benchAtStart);
      const round = (value) => Math.round(value * 100) / 100;
      return {
        wallSeconds: round((Date.now() - startedAt) / 1000),
        appCpuSeconds: round(processCpuSeconds(appPid) - appAtStart),
        databaseCpuSeconds: round(database),
        loadGeneratorCpuSeconds: round((bench.user + bench.system) / 1e6),
      };
    },
  };
}
