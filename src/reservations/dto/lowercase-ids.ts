import { Transform } from 'class-transformer';

const lower = (value: unknown): unknown => (typeof value === 'string' ? value.toLowerCase() : value);

/**
 * The database returns UUIDs in lower case and the services compare them as text, so
 * `A1B2…` and `a1b2…` must arrive as one id (and count as a duplicate). For a string or an array of them.
 */
export const LowercaseIds = () =>
  Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.map(lower) : lower(value)));
