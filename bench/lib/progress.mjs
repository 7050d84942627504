import process from 'node:process';

const WIDTH = 30;
const REDRAW_MS = 100;

/**
 * A one-line progress bar on stderr, redrawn at most ten times a second. Silent when
 * stderr is not a terminal (CI logs, pipes), so the table on stdout stays clean.
 */
export function progressBar(label, total) {
  const enabled = Boolean(process.stderr.isTTY);
  const startedAt = Date.now();
  let drawnAt = 0;
  let current = 0;

  const draw = () => {
    const fraction = total ? Math.min(1, current / total) : 0;
    const filled = Math.round(fraction * WIDTH);
    const seconds = (Date.now() - startedAt) / 1000;
    const rate = seconds > 0 ? Math.round(current / seconds) : 0;
    const line = `${label.padEnd(28)} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${current}/${total} ${rate}/s ${seconds.toFixed(1)}s`;
    process.stderr.write(`\r${line.slice(0, (process.stderr.columns ?? 120) - 1)}\x1b[K`);
  };

  return {
    update(value) {
      current = value;
      if (!enabled) return;
      const now = Date.now();
      if (now - drawnAt >= REDRAW_MS) {
        drawnAt = now;
        draw();
      }
    },
    done() {
      if (!enabled) return;
      draw();
      process.stderr.write('\n');
    },
  };
}

/** A status line for set-up steps, on the terminal only. */
export function note(message) {
  if (process.stderr.isTTY) process.stderr.write(`${message}\n`);
}
