import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { readPrismaSchema } from '../helpers/prisma-schema.js';

/**
 * Keeps docs/ true to the code: the ERD must draw every table and column of
 * prisma/schema.prisma (and nothing else), flows.md must keep a sequence diagram for each
 * flow issue 11 names, and the module table of architecture.md must name what each module imports. Needs no database; it lives with the e2e tests because it reads the repo.
 */

const FLOWS = [
  'Register and refresh',
  'Entering the queue and being admitted',
  'Holding seats',
  'Paying',
  'The sweeper expiring a window and a hold',
];
const PAGES = ['docs/architecture.md', 'docs/erd.md', 'docs/flows.md', 'docs/decisions.md'];

const read = (path: string) => readFileSync(path, 'utf8');

function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```/gm)].map((match) => match[1]!);
}

/** Entity name → attribute names of the page's erDiagram. Entities are table names (@@map). */
function readErDiagram(markdown: string): Map<string, string[]> {
  const diagram = mermaidBlocks(markdown).find((block) => block.trimStart().startsWith('erDiagram'));
  if (!diagram) throw new Error('docs/erd.md has no erDiagram');
  const entities = new Map<string, string[]>();
  let attributes: string[] | undefined;
  for (const line of diagram.split('\n').map((text) => text.replace(/"[^"]*"/g, '').trim())) {
    const opening = /^([\w-]+)\s*\{$/.exec(line);
    if (opening) entities.set(opening[1]!, (attributes = []));
    else if (line === '}') attributes = undefined;
    else if (attributes && line) attributes.push(line.split(/\s+/)[1]!);
  }
  return entities;
}

/** Heading text → the Markdown under it, for the page's `## ` sections. */
function sections(markdown: string): Map<string, string> {
  const parts = markdown.split(/^## /m).slice(1);
  return new Map(parts.map((part) => [part.slice(0, part.indexOf('\n')).trim(), part]));
}

describe('docs/erd.md', () => {
  const tables = readPrismaSchema();
  const entities = readErDiagram(read('docs/erd.md'));

  it.each(tables.map((table) => [table.name, table] as const))(
    'draws %s with exactly the columns of its model',
    (name, table) => {
      expect(entities.has(name)).toBe(true);
      expect([...entities.get(name)!].sort()).toEqual(table.columns.map((column) => column.name).sort());
    },
  );

  it('draws no table that prisma/schema.prisma lacks', () => {
    expect([...entities.keys()].sort()).toEqual(tables.map((table) => table.name).sort());
  });
});

/** Feature folders under src/ and the name the module table gives each in backticks. */
const FEATURES: Record<string, string> = {
  auth: 'auth',
  concerts: 'concerts',
  queue: 'queue',
  points: 'points',
  reservations: 'reservations',
  payments: 'payments',
  expiry: 'expiry',
  'common/idempotency': 'idempotency',
};

/** The other features a feature's code (not its tests) imports anything from. */
function importedFeatures(feature: string): string[] {
  const folderOf = (path: string) =>
    Object.keys(FEATURES)
      .filter((folder) => path === folder || path.startsWith(`${folder}/`))
      .sort((a, b) => b.length - a.length)[0];
  const used = new Set<string>();
  const files = readdirSync(join('src', feature), { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'));
  for (const file of files) {
    const path = join('src', feature, file);
    for (const [, specifier] of read(path).matchAll(/from '(\.[^']+)'/g)) {
      const target = folderOf(relative('src', join(dirname(path), specifier!)));
      if (target && target !== feature) used.add(FEATURES[target]!);
    }
  }
  return [...used].sort();
}

describe('docs/architecture.md', () => {
  const table = sections(read('docs/architecture.md')).get('Feature modules') ?? '';
  /** Module name → its "Uses" cell. */
  const uses = new Map(
    table
      .split('\n')
      .filter((line) => /^\| `/.test(line))
      .map((line) => {
        const cells = line.split('|').map((cell) => cell.trim());
        return [cells[1]!.replace(/`/g, ''), cells.at(-2)!] as const;
      }),
  );

  it('has a row for every feature module', () => {
    expect([...uses.keys()].sort()).toEqual(Object.keys(FEATURES).sort());
  });

  it.each(Object.keys(FEATURES))('names in backticks exactly the features %s imports', (feature) => {
    const named = [...(uses.get(feature) ?? '').matchAll(/`([^`]+)`/g)]
      .map((match) => match[1]!)
      .filter((name) => Object.values(FEATURES).includes(name));
    expect([...new Set(named)].sort()).toEqual(importedFeatures(feature));
  });
});

describe('docs/flows.md', () => {
  const flows = sections(read('docs/flows.md'));

  it.each(FLOWS)('has a sequence diagram under "%s"', (heading) => {
    const diagrams = mermaidBlocks(flows.get(heading) ?? '');
    expect(diagrams.some((diagram) => diagram.trimStart().startsWith('sequenceDiagram'))).toBe(true);
  });

  it('shows a payment succeeding, failing with 402 and failing with 410', () => {
    const [diagram] = mermaidBlocks(flows.get('Paying') ?? '');
    expect(diagram).toMatch(/200 \{paymentId/);
    expect(diagram).toMatch(/402 INSUFFICIENT_POINTS/);
    expect(diagram).toMatch(/410 RESERVATION_EXPIRED/);
  });
});

describe('README.md', () => {
  it.each(PAGES)('links %s, which exists', (page) => {
    expect(read('README.md')).toContain(`](${page})`);
    expect(existsSync(page)).toBe(true);
  });
});
