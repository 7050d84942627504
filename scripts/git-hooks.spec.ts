import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCommitMessage, installGitHooks } from './git-hooks.mjs';

describe(checkCommitMessage.name, () => {
  it.each([
    'feat(queue): admit the next user within a second',
    'fix: refuse a payment of another user’s hold',
    'refactor(database)!: one source per SQL function',
    'docs(readme): contributing',
    `test: ${'x'.repeat(72 - 'test: '.length)}`,
    "Merge branch 'issue-22'",
    'Revert "feat(queue): admit the next user"',
    'fixup! feat(queue): admit the next user',
  ])('accepts %j', (subject) => {
    expect(checkCommitMessage(`${subject}\n`)).toEqual([]);
  });

  it('accepts a body after a blank line, and ignores git’s comment lines and what is below the scissors', () => {
    const message = [
      '# Please enter the commit message',
      '',
      'perf(payments): one round trip per payment',
      '',
      'A payment took eight round trips and kept its connection for all of them.',
      '# ------------------------ >8 ------------------------',
      'diff --git a/x b/x',
    ].join('\n');
    expect(checkCommitMessage(message)).toEqual([]);
  });

  it.each([
    ['no type', 'one source per SQL function', /not "type\(scope\): subject"/],
    ['an unknown type', 'feature(queue): admit faster', /not "type\(scope\): subject"/],
    ['no space after the colon', 'fix(queue):admit faster', /not "type\(scope\): subject"/],
    ['an upper-case scope', 'fix(Queue): admit faster', /not "type\(scope\): subject"/],
    ['73 characters', `test: ${'x'.repeat(73 - 'test: '.length)}`, /73 characters, more than 72/],
  ])('refuses a subject with %s', (_case, subject, problem) => {
    const problems = checkCommitMessage(`${subject}\n\nwhy\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it('refuses a body that does not start after a blank line, and an empty message', () => {
    expect(checkCommitMessage('fix: a\nwhy\n')).toEqual(['the subject is not followed by a blank line']);
    expect(checkCommitMessage('# only a comment\n\n')).toEqual(['the message is empty']);
  });
});

describe('.githooks/commit-msg', () => {
  const hook = (message: string) => async (dir: string) => {
    const file = join(dir, 'COMMIT_EDITMSG');
    await writeFile(file, message);
    return spawnSync('.githooks/commit-msg', [file], { encoding: 'utf8' });
  };

  it('exits 0 on a good message and 1, saying why, on a bad one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sail-hook-'));
    try {
      expect((await hook('fix(queue): admit faster\n')(dir)).status).toBe(0);
      const refused = await hook(`${'a'.repeat(80)}\n`)(dir);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/Commit message refused: .*80 characters/);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe(installGitHooks.name, () => {
  let dir: string;
  const git = (...args: string[]) => spawnSync('git', args, { cwd: dir, encoding: 'utf8' });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sail-hooks-'));
  });
  afterEach(() => rm(dir, { recursive: true }));

  it('points a developer’s clone at .githooks, once', () => {
    git('init', '-q');
    expect(installGitHooks({ cwd: dir, env: {} })).toBe('installed');
    expect(git('config', '--get', 'core.hooksPath').stdout.trim()).toBe('.githooks');
    expect(installGitHooks({ cwd: dir, env: {} })).toBe('already installed');
  });

  it('does nothing in CI, outside a git work tree, or over a hooks path set by someone else', () => {
    expect(installGitHooks({ cwd: dir, env: {} })).toBe('skipped: not a git work tree');
    git('init', '-q');
    expect(installGitHooks({ cwd: dir, env: { CI: 'true' } })).toBe('skipped: CI');
    git('config', 'core.hooksPath', '.husky');
    expect(installGitHooks({ cwd: dir, env: {} })).toBe('skipped: core.hooksPath is already .husky');
    expect(git('config', '--get', 'core.hooksPath').stdout.trim()).toBe('.husky');
  });
});
