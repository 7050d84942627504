import { readFileSync } from 'node:fs';

export interface SchemaColumn {
  name: string;
  /** PostgreSQL type as information_schema reports it (udt_name). */
  udtName: string;
  nullable: boolean;
}

export interface SchemaTable {
  model: string;
  name: string;
  columns: SchemaColumn[];
  primaryKey: string[];
  /** Column lists of full (non-partial) unique indexes, primary key excluded. */
  uniques: string[][];
}

const SCALAR_UDT: Record<string, string> = {
  String: 'text',
  Int: 'int4',
  BigInt: 'int8',
  Boolean: 'bool',
  DateTime: 'timestamp',
  Json: 'jsonb',
  Float: 'float8',
};

/**
 * Reads the tables Prisma expects from schema.prisma. A deliberately small parser for
 * the subset of the language this project uses: the Prisma CLI that could diff the
 * schema against a database needs a native engine we cannot download.
 */
export function readPrismaSchema(path = 'prisma/schema.prisma'): SchemaTable[] {
  const source = readFileSync(path, 'utf8').replace(/\/\/.*$/gm, '');
  const enums = new Set([...source.matchAll(/^enum\s+(\w+)\s*\{/gm)].map((match) => match[1]!));
  const blocks = [...source.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)];
  const models = new Set(blocks.map((match) => match[1]!));

  return blocks.map(([, model, body]) => {
    const lines = body!
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    const columnName = new Map<string, string>();
    const columns: SchemaColumn[] = [];
    let primaryKey: string[] = [];
    const uniques: string[][] = [];
    let table = model!;

    for (const line of lines) {
      if (line.startsWith('@@')) continue;
      const [name, rawType, ...rest] = line.split(/\s+/);
      const attributes = rest.join(' ');
      const type = rawType!.replace(/[?[\]]/g, '');
      if (models.has(type)) continue; // relation field, no column
      const dbName = /@map\("([^"]+)"\)/.exec(attributes)?.[1] ?? name!;
      columnName.set(name!, dbName);
      const native = /@db\.(\w+)/.exec(attributes)?.[1];
      const udtName = enums.has(type)
        ? type
        : native === 'Uuid'
          ? 'uuid'
          : native === 'Timestamptz'
            ? 'timestamptz'
            : native === 'SmallInt'
              ? 'int2'
              : SCALAR_UDT[type]!;
      columns.push({ name: dbName, udtName, nullable: rawType!.endsWith('?') });
      if (/@id\b/.test(attributes)) primaryKey = [dbName];
      if (/@unique\b/.test(attributes)) uniques.push([dbName]);
    }
    const fieldList = (list: string) =>
      list.split(',').map((field) => columnName.get(field.trim()) ?? field.trim());
    for (const line of lines) {
      const map = /^@@map\("([^"]+)"\)/.exec(line);
      if (map) table = map[1]!;
      const id = /^@@id\(\[([^\]]+)\]/.exec(line);
      if (id) primaryKey = fieldList(id[1]!);
      const unique = /^@@unique\(\[([^\]]+)\]/.exec(line);
      if (unique) uniques.push(fieldList(unique[1]!));
    }
    return { model: model!, name: table, columns, primaryKey, uniques };
  });
}
