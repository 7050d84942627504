import { ApiFailure } from '../api.js';
import { fanMessage } from '../messages.js';

/** Operators read the API's own message (it names the field or the limit); fans get plainer words. */
export function adminMessage(error: unknown): string {
  if (!(error instanceof ApiFailure)) return fanMessage(error);
  if (error.code === 'FORBIDDEN') return 'This account is not an operator.';
  const fieldErrors = Array.isArray(error.details.errors)
    ? (error.details.errors as unknown[]).map((item) =>
        typeof item === 'string' ? item : ((item as { message?: string }).message ?? JSON.stringify(item)),
      )
    : [];
  return [error.message, ...fieldErrors.filter((text) => text !== error.message)].join(' · ');
}
