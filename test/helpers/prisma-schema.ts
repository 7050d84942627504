import { readFileSync } from 'node:fs';

export interface SchemaColumn {
  name: string;
  /** PostgreSQL type as information_schema reports it (udt_name). */
  udtName: string;
  nullable: boolean;
  /** The column default as PostgreSQL prints it (pg_get_expr), null without one. */
  default: string | null;
}

export interface SchemaForeignKey {
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
}

/** An index, the primary key's included, as pg_index describes it. */
export interface SchemaIndex {
  name: string;
  primary: boolean;
  unique: boolean;
  columns: string[];
  /** The partial index's WHERE as PostgreSQL prints it (pg_get_expr), null for a full index. */
  where: string | null;
}

export interface SchemaCheck {
  name: string;
  /** As pg_get_constraintdef prints it: `CHECK ((price >= 0))`. */
  definition: string;
}

export interface SchemaTable {
  model: string;
  name: string;
  columns: SchemaColumn[];
  primaryKey: string[];
  /** Column lists of full (non-partial) unique indexes, primary key excluded. */
  uniques: string[][];
  foreignKeys: SchemaForeignKey[];
  /** Every index: the ones Prisma declares, and the `/// @index` lines above the model. */
  indexes: SchemaIndex[];
  /** The `/// @check` lines above the model. */
  checks: SchemaCheck[];
}

export interface SchemaEnum {
  name: string;
  values: string[];
}

export type ReferentialAction = 'Cascade' | 'Restrict' | 'NoAction' | 'SetNull' | 'SetDefault';

const SCALAR_UDT: Record<string, string> = {
  String: 'text',
  Int: 'int4',
  BigInt: 'int8',
  Boolean: 'bool',
  DateTime: 'timestamp',
  Json: 'jsonb',
  Bytes: 'bytea',
  Float: 'float8',
};

/**
 * What schema.prisma cannot say, said in `///` lines above a model (its documentation, so they
 * also reach the generated client), in PostgreSQL's own spelling so they compare exactly:
 *   /// @check <constraint name> CHECK (<expression>)
 *   /// @index <index name> [unique] (<column>, …) where <predicate>
 */
const CHECK_LINE = /^@check\s+(\w+)\s+(CHECK\s.+)$/;
const INDEX_LINE = /^@index\s+(\w+)\s+(unique\s+)?\(([^)]*)\)\s+where\s+(.+)$/;

interface ParsedModel {
  model: string;
  table: string;
  docs: string[];
  lines: string[];
  /** Field name → column name, scalar fields only. */
  columnOf: Map<string, string>;
}

/**
 * Reads the tables Prisma expects from schema.prisma. A deliberately small parser for
 * the subset of the language this project uses: the Prisma CLI that could diff the
 * schema against a database needs a native engine we cannot download.
 */
export function readPrismaSchema(path = 'prisma/schema.prisma'): SchemaTable[] {
  const raw = readFileSync(path, 'utf8');
  const source = raw.replace(/(?<!\/)\/\/(?!\/).*$/gm, '');
  const enums = new Set(readPrismaEnums(path).map((schemaEnum) => schemaEnum.name));
  const blocks = [...source.matchAll(/((?:^[ \t]*\/\/\/.*\n)*)^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)];
  const modelNames = new Set(blocks.map((match) => match[2]!));

  const models = new Map<string, ParsedModel>();
  for (const [, docBlock, model, body] of blocks) {
    const lines = body!
      .split('\n')
      .map((line) => line.replace(/\/\/.*$/, '').trim())
      .filter(Boolean);
    const columnOf = new Map<string, string>();
    for (const line of lines) {
      const [name, rawType, ...rest] = line.split(/\s+/);
      if (line.startsWith('@@') || modelNames.has(rawType!.replace(/[?[\]]/g, ''))) continue;
      columnOf.set(name!, /@map\("([^"]+)"\)/.exec(rest.join(' '))?.[1] ?? name!);
    }
    const table = lines.map((line) => /^@@map\("([^"]+)"\)/.exec(line)?.[1]).find(Boolean) ?? model!;
    const docs = docBlock!
      .split('\n')
      .map((line) => line.trim().replace(/^\/\/\/\s?/, ''))
      .filter(Boolean);
    models.set(model!, { model: model!, table, docs, lines, columnOf });
  }

  return [...models.values()].map(({ model, table, docs, lines, columnOf }) => {
    const columns: SchemaColumn[] = [];
    const foreignKeys: SchemaForeignKey[] = [];
    const indexes: SchemaIndex[] = [];
    let primaryKey: string[] = [];
    const uniques: string[][] = [];
    const fieldList = (list: string, of = columnOf) =>
      list.split(',').map((field) => of.get(field.trim()) ?? field.trim());

    for (const line of lines) {
      if (line.startsWith('@@')) continue;
      const [name, rawType, ...rest] = line.split(/\s+/);
      const attributes = rest.join(' ');
      const type = rawType!.replace(/[?[\]]/g, '');
      const relation = /@relation\(([^)]*)\)/.exec(attributes)?.[1];
      if (modelNames.has(type)) {
        const fields = /fields:\s*\[([^\]]+)\]/.exec(relation ?? '')?.[1];
        if (!fields) continue; // the other side of a relation: no column here
        const target = models.get(type)!;
        const columnsOfKey = fieldList(fields);
        foreignKeys.push({
          name: `${table}_${columnsOfKey.join('_')}_fkey`,
          columns: columnsOfKey,
          referencedTable: target.table,
          referencedColumns: fieldList(/references:\s*\[([^\]]+)\]/.exec(relation!)![1]!, target.columnOf),
          // Prisma's defaults: an optional relation sets null, a required one restricts.
          onDelete:
            referentialAction(relation!, 'onDelete') ?? (rawType!.endsWith('?') ? 'SetNull' : 'Restrict'),
          onUpdate: referentialAction(relation!, 'onUpdate') ?? 'Cascade',
        });
        continue;
      }
      const column = columnOf.get(name!)!;
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
      columns.push({
        name: column,
        udtName,
        nullable: rawType!.endsWith('?'),
        default: columnDefault(attributes, enums.has(type) ? type : null),
      });
      if (/@id\b/.test(attributes)) primaryKey = [column];
      if (/@unique\b/.test(attributes)) uniques.push([column]);
    }
    const indexNamed = (columnsOf: string[], suffix: string) => `${table}_${columnsOf.join('_')}_${suffix}`;
    for (const line of lines) {
      const id = /^@@id\(\[([^\]]+)\]/.exec(line);
      if (id) primaryKey = fieldList(id[1]!);
      const unique = /^@@unique\(\[([^\]]+)\]/.exec(line);
      if (unique) uniques.push(fieldList(unique[1]!));
      const index = /^@@index\(\[([^\]]+)\]/.exec(line);
      if (index) {
        const columnsOf = fieldList(index[1]!);
        indexes.push({
          name: /\bmap:\s*"([^"]+)"/.exec(line)?.[1] ?? indexNamed(columnsOf, 'idx'),
          primary: false,
          unique: false,
          columns: columnsOf,
          where: null,
        });
      }
    }
    indexes.push({ name: `${table}_pkey`, primary: true, unique: true, columns: primaryKey, where: null });
    for (const columnsOf of uniques) {
      indexes.push({
        name: indexNamed(columnsOf, 'key'),
        primary: false,
        unique: true,
        columns: columnsOf,
        where: null,
      });
    }

    const checks: SchemaCheck[] = [];
    for (const doc of docs) {
      const check = CHECK_LINE.exec(doc);
      if (check) checks.push({ name: check[1]!, definition: check[2]! });
      const partial = INDEX_LINE.exec(doc);
      if (partial) {
        indexes.push({
          name: partial[1]!,
          primary: false,
          unique: Boolean(partial[2]),
          columns: partial[3]!.split(',').map((column) => column.trim()),
          where: partial[4]!,
        });
      }
      if (/^@(check|index)\b/.test(doc) && !check && !partial) {
        throw new Error(`${path}, model ${model}: cannot read "/// ${doc}"`);
      }
    }
    return { model, name: table, columns, primaryKey, uniques, foreignKeys, indexes, checks };
  });
}

/** The enums of schema.prisma, values in their declared order. */
export function readPrismaEnums(path = 'prisma/schema.prisma'): SchemaEnum[] {
  const source = readFileSync(path, 'utf8').replace(/\/\/.*$/gm, '');
  return [...source.matchAll(/^enum\s+(\w+)\s*\{([^}]*)\}/gm)].map(([, name, body]) => ({
    name: name!,
    values: body!
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0]!)
      .filter(Boolean),
  }));
}

function referentialAction(relation: string, key: 'onDelete' | 'onUpdate'): ReferentialAction | undefined {
  return new RegExp(`${key}:\\s*(\\w+)`).exec(relation)?.[1] as ReferentialAction | undefined;
}

/** A Prisma `@default(…)` as PostgreSQL prints the default Prisma's migration would set. */
function columnDefault(attributes: string, enumType: string | null): string | null {
  const value = /@default\((.*?)\)(?=\s+@|\s*$)/.exec(attributes)?.[1];
  if (value === undefined) return null;
  const generated = /^dbgenerated\("(.*)"\)$/.exec(value);
  if (generated) return generated[1]!;
  if (value === 'now()') return 'CURRENT_TIMESTAMP';
  if (enumType) return `'${value}'::"${enumType}"`;
  if (/^".*"$/.test(value)) return `'${value.slice(1, -1)}'::text`;
  return value;
}
