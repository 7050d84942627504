/**
 * The `default` of an exhaustive `switch` over what a database function answered. The
 * compiler proves it unreachable while every outcome has a case; the outcome sets themselves
 * are kept equal to the functions' sources by `function-outcomes.spec.ts`. Reaching it at
 * run time means the database runs a definition this build does not know: a bug, so a 500.
 */
export function unexpectedOutcome(functionName: string, outcome: never): never {
  throw new Error(`${functionName} answered ${JSON.stringify(outcome)}`);
}
