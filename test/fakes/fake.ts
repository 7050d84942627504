/** The public surface of a class: what a fake has to implement. Private members are ignored. */
export type PublicOf<T> = { [K in keyof T]: T[K] };

/** Lets a fake stand in for the class it imitates (the type checker accepts its public surface). */
export function fake<T>(implementation: PublicOf<T>): T {
  return implementation;
}
