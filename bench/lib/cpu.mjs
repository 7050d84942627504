import { readdirSync, readFileSync } from 'node:fs';
import process from 'node:process';

/** Linux's clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on every common build). */
const TICKS_PER_SECOND = 100;

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces); null when gone. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU seconds of the process itself, and with `children` also of its children that ended and were reaped. */
export function cpuSeconds(pid, { children = false } = {}) {
  const fields = statFields(pid);
  if (!fields) return 0;
  // utime, stime, cutime, cstime are fields 14-17 of stat, 11-14 here.
  const ticks =
    Number(fields[11]) + Number(fields[12]) + (children ? Number(fields[13]) + Number(fields[14]) : 0);
  return ticks / TICKS_PER_SECOND;
}

/**
 * All CPU the PostgreSQL server has used: the postmaster, its live children (backends,
 * walwriter, checkpointer…) and the children that have ended (the postmaster reaps them, so
 * their time is in its cutime): pgbench's backends count after they exit.
 */
function databaseCpuSeconds(postmasterPid) {
  let total = cpuSeconds(postmasterPid, { children: true });
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields && Number(fields[1]) === postmasterPid) total += cpuSeconds(entry);
  }
  return total;
}

/** This process and the children it has reaped (pgbench). */
const loadGeneratorCpuSeconds = () => cpuSeconds(process.pid, { children: true });

/**
 * CPU seconds used by the app, the database server and the load generator (this process
 * and pgbench) between start and stop(): on a shared machine, what a run itself cost apart
 * from whatever else the machine was doing. Linux only; elsewhere every figure is 0.
 */
export async function measureCpu(db, appPid) {
  const { rows } = await db.query('SELECT pg_backend_pid() AS pid');
  const postmasterPid = Number(statFields(rows[0].pid)?.[1] ?? 0);
  const read = () => ({
    app: appPid ? cpuSeconds(appPid) : 0,
    database: postmasterPid ? databaseCpuSeconds(postmasterPid) : 0,
    loadGenerator: loadGeneratorCpuSeconds(),
    at: Date.now(),
  });
  const start = read();
  return {
    stop() {
      const end = read();
      const round = (value) => Math.round(value * 100) / 100;
      return {
        wallSeconds: round((end.at - start.at) / 1000),
        appCpuSeconds: round(end.app - start.app),
        databaseCpuSeconds: round(end.database - start.database),
        loadGeneratorCpuSeconds: round(end.loadGenerator - start.loadGenerator),
      };
    },
  };
}
