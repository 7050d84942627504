// A typed client for the Sail API: openapi-fetch over the types generated from the OpenAPI
// document (schema.d.ts, `npm run client:generate`). Paths, bodies and answers are checked
// by TypeScript; nothing here is generated, so it survives regeneration.
import createClient, { type ClientOptions } from 'openapi-fetch';
import type { paths } from './schema.js';

export type { components, operations, paths } from './schema.js';

export type SailClient = ReturnType<typeof createClient<paths>>;

/** `createSailClient({ baseUrl: 'http://localhost:3000' })`; pass `fetch` to add tokens or retries. */
export function createSailClient(options: ClientOptions = {}): SailClient {
  return createClient<paths>(options);
}
