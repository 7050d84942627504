import type { ApiHeaderOptions } from '@nestjs/swagger';

/** The optional header of PATCH /points/charge and POST /payment (see IdempotencyService). */
export const IDEMPOTENCY_KEY_HEADER: ApiHeaderOptions = {
  name: 'idempotency-key',
  required: false,
  description:
    'Optional Idempotency-Key: 1–255 printable ASCII characters, a new one per operation (a UUID is ideal). ' +
    'A retry with the same key and body returns the first result without repeating the effect; the same key ' +
    'with another body is 422 IDEMPOTENCY_KEY_REUSED. Keys are kept for 24 hours.',
  schema: { type: 'string', maxLength: 255, example: '5f0c7d2e-charge-1' },
};
