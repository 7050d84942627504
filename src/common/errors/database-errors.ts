import type { ErrorCode } from './error-codes.js';

interface DatabaseErrorClass {
  code: ErrorCode;
  message: string;
}

/** SQLSTATEs that are the system working as designed under contention or outage. */
const BY_SQLSTATE: Record<string, DatabaseErrorClass> = {
  '40001': {
    code: 'CONCURRENT_UPDATE',
    message: 'The request conflicted with a concurrent update; retry it',
  },
  '40P01': {
    code: 'CONCURRENT_UPDATE',
    message: 'The request conflicted with a concurrent update; retry it',
  },
  '23505': { code: 'CONFLICT', message: 'The resource already exists or conflicts with another one' },
  // Constraints are the last line of defence: a request that reaches one changed nothing.
  '23514': { code: 'CONFLICT', message: 'The request conflicts with the current state' },
  '23503': { code: 'NOT_FOUND', message: 'A referenced resource does not exist' },
  '22P02': { code: 'BAD_REQUEST', message: 'A value in the request has the wrong format' },
  '22003': { code: 'BAD_REQUEST', message: 'A number in the request is out of range' },
  '57014': { code: 'SERVICE_UNAVAILABLE', message: 'The database is busy; retry shortly' },
  '55P03': { code: 'CONCURRENT_UPDATE', message: 'The resource is locked by another request; retry it' },
  '57P01': { code: 'SERVICE_UNAVAILABLE', message: 'The database is restarting; retry shortly' },
  '57P03': { code: 'SERVICE_UNAVAILABLE', message: 'The database is starting up; retry shortly' },
  '53300': { code: 'SERVICE_UNAVAILABLE', message: 'The database has too many connections; retry shortly' },
};

const BY_PRISMA_CODE: Record<string, DatabaseErrorClass> = {
  P2002: BY_SQLSTATE['23505']!,
  P2034: BY_SQLSTATE['40001']!,
  P2025: { code: 'NOT_FOUND', message: 'The resource does not exist' },
  P1001: { code: 'SERVICE_UNAVAILABLE', message: 'The database is unreachable; retry shortly' },
  P1017: { code: 'SERVICE_UNAVAILABLE', message: 'The database closed the connection; retry shortly' },
  P2024: { code: 'SERVICE_UNAVAILABLE', message: 'No database connection was free in time; retry shortly' },
  P2028: {
    code: 'SERVICE_UNAVAILABLE',
    message: 'The transaction could not complete in time; retry shortly',
  },
};

const UNAVAILABLE: DatabaseErrorClass = {
  code: 'SERVICE_UNAVAILABLE',
  message: 'The database is unavailable; retry shortly',
};
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/**
 * pg's and pg-pool's own errors for a connection that was lost or could not be had in time.
 * They carry no code, and the driver adapter passes them on unchanged: a connection the
 * server dropped mid-transaction answers the next statement with "… is not queryable".
 */
const CONNECTION_LOST =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|is not queryable|Can't reach database|ECONNREFUSED/i;

/**
 * Connection failures as the driver adapter names them (DriverAdapterError `kind`). A raw
 * query whose connection the server closed arrives as P2010 with one of these inside.
 */
const BY_ADAPTER_KIND: Record<string, DatabaseErrorClass> = {
  DatabaseNotReachable: BY_PRISMA_CODE.P1001!,
  ConnectionClosed: BY_PRISMA_CODE.P1017!,
  SocketTimeout: UNAVAILABLE,
  TooManyConnections: BY_SQLSTATE['53300']!,
};

/** Maps Prisma, driver-adapter and pg errors to an API error, or undefined for a real bug. */
export function classifyDatabaseError(error: unknown): DatabaseErrorClass | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const sqlState = findNested(error, sqlStateOf);
  if (sqlState && BY_SQLSTATE[sqlState]) return BY_SQLSTATE[sqlState];
  const kind = findNested(error, (record) => (typeof record.kind === 'string' ? record.kind : undefined));
  if (kind && BY_ADAPTER_KIND[kind]) return BY_ADAPTER_KIND[kind];
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === 'string' && BY_PRISMA_CODE[code]) return BY_PRISMA_CODE[code];
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return UNAVAILABLE;
  if (name === 'PrismaClientInitializationError') return UNAVAILABLE;
  if (typeof message === 'string' && CONNECTION_LOST.test(message)) return UNAVAILABLE;
  return undefined;
}

/** A statement cancelled by `statement_timeout` (or an operator's cancel): SQLSTATE 57014. */
export function isStatementTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && findNested(error, sqlStateOf) === '57014';
}

/** The adapter nests the server's SQLSTATE (or its own error kind) a few levels down; look breadth-first. */
function findNested(
  error: object,
  pick: (record: Record<string, unknown>) => string | undefined,
): string | undefined {
  const queue: unknown[] = [error];
  for (let depth = 0; queue.length && depth < 20; depth++) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null) continue;
    const record = current as Record<string, unknown>;
    const found = pick(record);
    if (found) return found;
    queue.push(record.cause, record.meta, record.driverAdapterError);
  }
  return undefined;
}

function sqlStateOf(record: Record<string, unknown>): string | undefined {
  for (const key of ['originalCode', 'code']) {
    const value = record[key];
    if (typeof value === 'string' && /^[0-9A-Z]{5}$/.test(value) && !value.startsWith('P')) return value;
  }
  return undefined;
}
