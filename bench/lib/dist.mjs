import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = join(ROOT, 'dist');
export const APP_ENTRY = join(DIST, 'main.js');
/** Node's options in the image's command (the Dockerfile's CMD): the app is measured as it runs in production. */
export const APP_NODE_OPTIONS = imageNodeOptions();

function imageNodeOptions() {
  const command = JSON.parse(/^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))[1]);
  return command.slice(1, command.indexOf('dist/main.js'));
}

/** The benchmark measures the built app and builds nothing itself. */
export function assertBuilt() {
  if (!existsSync(APP_ENTRY)) {
    throw new Error(
      `${APP_ENTRY} not found: run \`npm run build\` first (the benchmark measures the built app).`,
    );
  }
}

export function distModule(relativePath) {
  return import(pathToFileURL(join(DIST, relativePath)).href);
}
