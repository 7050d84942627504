import { createHash } from 'node:crypto';

/**
 * SHA-256 of the scope and the request as canonical JSON (object keys sorted at every
 * level), so a retry matches however its client orders the fields.
 */
export function hashRequest(scope: string, request: unknown): string {
  return createHash('sha256').update(canonicalJson({ scope, request })).digest('hex');
}

export function canonicalJson(value: unknown): string {
  // The JSON round trip applies toJSON, drops undefined and turns DTO instances into plain objects.
  const plain: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
  return JSON.stringify(sortKeys(plain));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, sortKeys(record[key])]),
  );
}
