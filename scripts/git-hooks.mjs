// The repository's git hooks: `.githooks/commit-msg` checks commit messages with
// checkCommitMessage, and `npm install` points git at `.githooks` (installGitHooks, from
// scripts/postinstall.mjs). Run as `node scripts/git-hooks.mjs commit-msg <file>`.
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const MAX_SUBJECT_LENGTH = 72;
export const COMMIT_TYPES = [
  'feat',
  'fix',
  'perf',
  'refactor',
  'test',
  'docs',
  'build',
  'ci',
  'chore',
  'style',
  'revert',
];

const CONVENTIONAL = new RegExp(`^(?:${COMMIT_TYPES.join('|')})(?:\\([a-z0-9][a-z0-9./-]*\\))?!?: \\S`);
// Messages git writes itself, and the markers of `git commit --fixup/--squash`.
const GIT_WRITTEN = /^(?:Merge |Revert "|(?:fixup|squash|amend)! )/;

/**
 * Problems of a commit message, none when it is fine: a conventional subject
 * (`type(scope)?: subject`) of at most 72 characters, then a blank line before any body.
 * Lines git adds as comments (`#`) and everything below the scissors line are not the message.
 */
export function checkCommitMessage(message) {
  const all = message.split(/\r?\n/);
  const scissors = all.findIndex((line) => /^# -+ >8 -+$/.test(line));
  const lines = (scissors < 0 ? all : all.slice(0, scissors)).filter((line) => !line.startsWith('#'));
  while (lines.length && !lines[0].trim()) lines.shift();
  const [subject = '', second] = lines;
  if (!subject.trim()) return ['the message is empty'];
  if (GIT_WRITTEN.test(subject)) return [];
  const problems = [];
  if (!CONVENTIONAL.test(subject)) {
    problems.push(`the subject is not "type(scope): subject" with a type among ${COMMIT_TYPES.join(', ')}`);
  }
  const length = [...subject].length;
  if (length > MAX_SUBJECT_LENGTH) {
    problems.push(`the subject has ${length} characters, more than ${MAX_SUBJECT_LENGTH}`);
  }
  if (second !== undefined && second.trim()) problems.push('the subject is not followed by a blank line');
  return problems;
}

/**
 * Points git at `.githooks` when this is a developer's clone: inside the project's own work
 * tree, not in CI, and not over a hooks path someone else set. Returns what it did.
 */
export function installGitHooks({ cwd = process.cwd(), env = process.env } = {}) {
  if (env.CI) return 'skipped: CI';
  const git = (...args) => spawnSync('git', args, { cwd, encoding: 'utf8' });
  const top = git('rev-parse', '--show-toplevel');
  if (top.status !== 0) return 'skipped: not a git work tree';
  if (realpathSync(top.stdout.trim()) !== realpathSync(cwd)) return 'skipped: not the root of the work tree';
  const current = git('config', '--get', 'core.hooksPath').stdout.trim();
  if (current === '.githooks') return 'already installed';
  if (current) return `skipped: core.hooksPath is already ${current}`;
  const set = git('config', 'core.hooksPath', '.githooks');
  return set.status === 0 ? 'installed' : `failed: ${set.stderr.trim()}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const [command, file] = process.argv.slice(2);
  if (command !== 'commit-msg' || !file) {
    console.error('usage: node scripts/git-hooks.mjs commit-msg <message file>');
    process.exit(2);
  }
  const problems = checkCommitMessage(readFileSync(file, 'utf8'));
  if (problems.length) {
    console.error(`Commit message refused: ${problems.join('; ')}.`);
    console.error(
      'Example: "fix(payments): refuse a payment of another user\'s hold" (see README, Contributing).',
    );
    process.exit(1);
  }
}
