import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from '../auth/auth-user.js';
import type { AccessTokenVerifier } from '../auth/access-token-verifier.js';
import type { HttpErrorFilter } from '../errors/http-error.filter.js';

/** What a fast route answers: the status and a body, as JSON text or a value to serialize. */
export interface FastAnswer {
  status: number;
  body: unknown;
}

/**
 * One of the seat rush's requests (a seat page, a hold, a payment) answered in Fastify's
 * preHandler, before Nest's guards, pipes and handler: in the rush they cost the app more than
 * the request's own work (a seat page's app CPU 550-660 µs through Nest, 390 without, bench
 * request-costs). It takes only a request whose input is plainly valid, given in the form the
 * controller's DTO would give it; anything else goes on to the controller, which answers it in
 * full (and refuses what is invalid), so that validation keeps one source. A unit test checks
 * that whatever `parse` takes, the DTO accepts as the same value.
 */
export interface FastRoute<Input = unknown> {
  readonly method: 'GET' | 'POST';
  /** The route as Fastify declares it: the controller's path. */
  readonly url: string;
  /** The input, or undefined to leave the request to Nest. */
  parse(request: FastifyRequest): Input | undefined;
  /** The controller's answer for this caller and input: the same service call and response mapping. */
  handle(user: AuthUser, input: Input): Promise<FastAnswer>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The preHandler that answers FastRoutes. Authentication is AccessTokenVerifier's, the rule
 * JwtStrategy applies; a request without a valid access token goes to Nest, whose guard answers
 * 401. Errors are answered by HttpErrorFilter, as Nest would have. The security, CORS and
 * request-id headers come from hooks that ran before, the access log from the onResponse hook
 * every request passes.
 */
export class FastRoutes {
  private readonly routes = new Map<string, FastRoute>();

  constructor(
    private readonly tokens: AccessTokenVerifier,
    private readonly errors: HttpErrorFilter,
    routes: FastRoute[],
  ) {
    for (const route of routes) this.routes.set(`${route.method} ${route.url}`, route);
  }

  /** True when it took the request (and will answer it); false to let it go on to Nest. */
  answer(request: FastifyRequest, reply: FastifyReply): boolean {
    const route = this.routes.get(`${request.method} ${request.routeOptions.url}`);
    if (!route) return false;
    const user = this.tokens.verifyHeader(request.headers.authorization);
    if (!user) return false;
    const input = route.parse(request);
    if (input === undefined) return false;
    route.handle(user, input).then(
      ({ status, body }) =>
        void reply
          .code(status)
          .type(JSON_TYPE)
          .send(typeof body === 'string' ? body : JSON.stringify(body)),
      (error: unknown) => this.errors.answer(error, request, reply),
    );
    return true;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A UUID as the database writes them (lower case, a version and the RFC variant), or undefined. */
export function plainUuid(value: unknown): string | undefined {
  return typeof value === 'string' && UUID.test(value) ? value : undefined;
}

/** 1 to `max` distinct plain UUIDs, or undefined. */
export function plainUuidList(value: unknown, max: number): string[] | undefined {
  if (!Array.isArray(value) || value.length < 1 || value.length > max) return undefined;
  if (!value.every((id) => plainUuid(id) !== undefined)) return undefined;
  return new Set(value).size === value.length ? (value as string[]) : undefined;
}

/** A JSON object body with exactly these keys (a DTO's whitelist refuses any other), or undefined. */
export function plainObject<K extends string>(
  value: unknown,
  keys: readonly K[],
): Record<K, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const given = Object.keys(value);
  return given.length === keys.length && keys.every((key) => Object.hasOwn(value, key))
    ? (value as Record<K, unknown>)
    : undefined;
}

/** A whole number written plainly (no sign, no leading zero) from 1 to `max`, or undefined. */
export function plainPositiveInt(value: unknown, max: number): number | undefined {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,8}$/.test(value)) return undefined;
  const number = Number(value);
  return number <= max ? number : undefined;
}
