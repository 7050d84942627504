import { spawn } from 'node:child_process';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { distModule } from './dist.mjs';

/** A free loopback port, found by the app's own helper (the benchmark runs the built app anyway). */
export async function freePort() {
  const embeddedDatabase = await distModule('database/embedded-database.js');
  return embeddedDatabase.freePort();
}

/**
 * Starts a Node server as a child process (the load comes from this process, never from
 * the server's), waits until `readyPath` answers 200, and returns its loopback origin.
 * `launcher` runs Node under another program (`['valgrind', '--tool=callgrind']`): the child's
 * pid is then that program's, which for valgrind is the process that runs Node.
 */
export async function startServer({
  name,
  script,
  cwd,
  args = [],
  env,
  port,
  nodeOptions = [],
  launcher = [],
  readyPath = '/health',
  timeoutMs = 60_000,
}) {
  const [command, ...commandArgs] = [...launcher, process.execPath, ...nodeOptions, script, ...args];
  const child = spawn(command, commandArgs, {
    cwd,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));

  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitedEarly) throw new Error(`${name} exited during start-up:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not become ready within ${timeoutMs} ms:\n${output}`);
    }
    const ready = await request(`${origin}${readyPath}`)
      .then(async (response) => {
        await response.body.dump();
        return response.statusCode === 200;
      })
      .catch(() => false);
    if (ready) break;
    await sleep(100);
  }

  return {
    name,
    origin,
    pid: child.pid,
    /** The server's last output, for error messages. */
    output: () => output,
    async stop() {
      if (exitedEarly) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
