import { measureCpu } from '../lib/cpu.mjs';
import { distModule } from '../lib/dist.mjs';
import { Recorder, runClosedLoop } from '../lib/load.mjs';
import { progressBar } from '../lib/progress.mjs';
import { cpuMsPer } from './machine-limits.mjs';

export const name = 'login-storm';

const PASSWORD = 'correct horse battery';

/**
 * An on-sale opening: `loginUsers` existing users sign in at once, each once, over every
 * connection, from one client address (auth limits at their defaults: successes never count).
 * The users are made in SQL with one real argon2id hash, so every login checks a password at the
 * app's parameters; the ceiling is the bare argon2id verify rate of the limits scenario.
 */
export async function run(ctx) {
  const count = ctx.sizes.loginUsers;
  const { PasswordHasher } = await distModule('auth/password-hasher.js');
  const passwordHash = await new PasswordHasher().hash(PASSWORD);
  const warmup = ctx.sizes.hashWarmup;
  await ctx.db.query(
    `INSERT INTO users (email, password_hash)
     SELECT format('storm-%s@bench.invalid', lpad(n::text, 6, '0')), $2 FROM generate_series(1, $1::int) AS n
     UNION ALL
     SELECT format('login-warmup-%s@bench.invalid', n), $2 FROM generate_series(1, $3::int) AS n`,
    [count, passwordHash, warmup],
  );
  // Warmed as its limit is (the same number of requests first): JIT, prepared statements.
  await runClosedLoop({
    count: warmup,
    concurrency: ctx.connections,
    deadline: ctx.deadline(),
    task: (i) =>
      ctx.app.send({
        method: 'POST',
        path: '/auth/login',
        json: { email: `login-warmup-${i + 1}@bench.invalid`, password: PASSWORD },
      }),
  });

  const recorder = new Recorder();
  const progress = progressBar('Login storm', count);
  const sessions = new Set();
  const cpu = await measureCpu(ctx.db, ctx.appPid);
  const { timedOut } = await runClosedLoop({
    count,
    concurrency: ctx.connections,
    deadline: ctx.deadline(),
    task: async (i) => {
      const email = `storm-${String(i + 1).padStart(6, '0')}@bench.invalid`;
      const { status, body } = await ctx.app.send({
        method: 'POST',
        path: '/auth/login',
        json: { email, password: PASSWORD },
        recorders: [recorder],
      });
      if (status === 200) sessions.add(body.refreshToken);
    },
    onDone: (done) => progress.update(done),
  });
  progress.done();
  const summary = recorder.summary();
  const cpuUsed = cpu.stop();

  const { rows } = await ctx.db.query(
    `SELECT count(*)::int AS sessions, count(DISTINCT t.user_id)::int AS users
     FROM refresh_tokens AS t JOIN users AS u ON u.id = t.user_id WHERE u.email LIKE 'storm-%'`,
  );
  const ok = summary.statuses[200] ?? 0;
  return {
    name,
    title: 'Login storm',
    rows: [
      {
        key: 'login',
        label: `Login storm: ${count.toLocaleString('en-US')} sign-ins`,
        limit: 'argon2',
        timedOut,
        ...summary,
        cpu: cpuUsed,
        cpuMsPerRequest: cpuMsPer(cpuUsed, summary.requests),
      },
    ],
    invariants: [
      { name: 'every sign-in answered 200', ok: ok === count, detail: `${ok} of ${count}` },
      {
        name: 'one session per sign-in, each user signed in',
        ok: rows[0].sessions === count && rows[0].users === count && sessions.size === count,
        detail: `${rows[0].sessions} sessions for ${rows[0].users} users`,
      },
    ],
    facts: { users: count },
  };
}
