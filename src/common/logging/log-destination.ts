import type { DestinationStream } from 'pino';
import pretty from 'pino-pretty';

/**
 * Where log lines go: one JSON object per line on stdout in production and tests (for log
 * collectors and the tests that parse them), one readable line per event in development.
 * Pretty-printing runs in this thread, synchronously, so nothing is lost on process.exit().
 */
export function logDestination(nodeEnv: string): DestinationStream | undefined {
  if (nodeEnv !== 'development') return undefined;
  return pretty({
    sync: true,
    colorize: Boolean(process.stdout.isTTY),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context',
    messageFormat: '{if context}{context}: {end}{msg}',
    singleLine: true,
  });
}
