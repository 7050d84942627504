import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '../../src/database/embedded-database.js';

/** The built app (`npm run build`); STRESS_APP_ENTRY points at another build. */
export const APP_ENTRY = resolve(process.env.STRESS_APP_ENTRY ?? 'dist/main.js');

export function isAppBuilt(): boolean {
  return existsSync(APP_ENTRY);
}

export interface AppProcess {
  origin: string;
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when the process has exited, with its signal (SIGKILL after kill()). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: no shutdown hooks, no finished requests, like a machine losing power. */
  kill(): Promise<void>;
  /** SIGTERM and wait: the graceful shutdown of main.ts. */
  stop(): Promise<void>;
}

/**
 * Starts `node dist/main.js` as a child process on a loopback port and waits until
 * /health/ready answers 200. `env` is all it gets besides PATH: nothing leaks in from the
 * test's own environment.
 */
export async function startAppProcess(env: Record<string, string>, port?: number): Promise<AppProcess> {
  const listenPort = port ?? (await freePort());
  const child = spawn(process.execPath, [APP_ENTRY], {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(listenPort), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const origin = `http://127.0.0.1:${listenPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (hasExited) throw new Error(`The app exited while starting:\n${output.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The app was not ready within 60 s:\n${output.slice(-4000)}`);
    }
    const ready = await fetch(`${origin}/health/ready`)
      .then((response) => response.status === 200)
      .catch(() => false);
    if (ready) break;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return {
    origin,
    pid: child.pid!,
    output: () => output,
    exited,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (hasExited) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
