import { BadRequestException, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import type { ValidationError } from 'class-validator';

/** One broken rule, as clients get it in `details.errors`. */
export interface FieldError {
  /** A JSON pointer into the body (`/seatIds`, `/layout/rows/0/price`), or the query or path parameter's name. */
  field: string;
  /** For people: the rule in words, naming the field. */
  message: string;
  /** class-validator's name of the rule (`isInt`, `min`, `whitelistValidation`, …): stable, for code. */
  constraint: string;
}

/** Enough to fix a request; a hostile body with thousands of broken fields gets the first ones. */
const MAX_FIELD_ERRORS = 50;

/** What the pipe's exception factory throws, so that transform() can name where the input came from. */
class RawValidationErrors {
  constructor(readonly errors: ValidationError[]) {}
}

/**
 * The global ValidationPipe (whitelist, forbidNonWhitelisted, transform), answering
 * 400 VALIDATION_FAILED with `details.errors: [{field, message, constraint}]`.
 */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
      exceptionFactory: (errors) => new RawValidationErrors(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      return (await super.transform(value, metadata)) as unknown;
    } catch (error) {
      if (error instanceof RawValidationErrors) throw validationFailed(error.errors, metadata);
      throw error;
    }
  }
}

function validationFailed(errors: ValidationError[], metadata: ArgumentMetadata): BadRequestException {
  const fieldErrors = toFieldErrors(errors, metadata).slice(0, MAX_FIELD_ERRORS);
  return new BadRequestException({
    code: 'VALIDATION_FAILED',
    message: fieldErrors.map((error) => error.message).join('; '),
    details: { errors: fieldErrors },
  });
}

/** Flattens class-validator's tree of errors: one entry per broken rule, leaves named by their path. */
export function toFieldErrors(
  errors: ValidationError[],
  metadata: Pick<ArgumentMetadata, 'type' | 'data'>,
): FieldError[] {
  const result: FieldError[] = [];
  const visit = (error: ValidationError, path: string[]) => {
    // A body that is not an object at all (an array, a string) fails as a whole: the pointer to the whole document is "".
    const wholeValue = path.length === 0 && error.property === (metadata.data ?? metadata.type);
    const here = wholeValue ? [] : [...path, String(error.property)];
    for (const [constraint, text] of Object.entries(error.constraints ?? {})) {
      // Nested rules speak of their own property only ("price must be…"): say where it is.
      const message = here.length > 1 ? `${here.slice(0, -1).join('.')}.${text}` : text;
      result.push({ field: fieldName(here, metadata.type), message, constraint });
    }
    for (const child of error.children ?? []) {
      if (result.length >= MAX_FIELD_ERRORS) return;
      visit(child, here);
    }
  };
  for (const error of errors) visit(error, []);
  return result;
}

function fieldName(path: string[], type: ArgumentMetadata['type']): string {
  if (type !== 'body') return path.join('.');
  return path.map((segment) => `/${segment.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
