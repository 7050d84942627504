// Renders the published JavaScript client from an OpenAPI document: the document itself and
// its TypeScript types (openapi-typescript), which openapi-fetch turns into a typed client.
// Used by `npm run client:generate` and by the e2e test that fails when the committed files drift.
import openapiTS, { astToString } from 'openapi-typescript';

export const CLIENT_DIR = 'clients/js';

/** { relative path: content } of every generated file. */
export async function renderClientFiles(document) {
  const types = astToString(await openapiTS(document, { alphabetize: true }));
  return {
    [`${CLIENT_DIR}/openapi.json`]: `${JSON.stringify(document, null, 2)}\n`,
    [`${CLIENT_DIR}/schema.d.ts`]:
      '// Generated from openapi.json by `npm run client:generate`. Do not edit.\n\n' + types,
  };
}
