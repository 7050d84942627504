import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { STATUS_BY_CODE, type ErrorCode } from '../errors/error-codes.js';
import { ErrorResponse, exampleErrorBody } from '../errors/error-response.js';

/**
 * Documents the errors a route can answer with: one response per status, listing its
 * codes, with an example body for each. Codes, not statuses, so the document tells
 * clients exactly what to switch on.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const codesByStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = STATUS_BY_CODE[code];
    codesByStatus.set(status, [...(codesByStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...codesByStatus].map(([status, codesOfStatus]) =>
      ApiResponse({
        status,
        description: codesOfStatus.join(', '),
        type: ErrorResponse,
        examples: Object.fromEntries(
          codesOfStatus.map((code) => [code, { summary: code, value: exampleErrorBody(code) }]),
        ),
      }),
    ),
  );
}
