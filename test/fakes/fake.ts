/** The public surface of a class: what a fake has to implement. Private members are ignored. */
export type PublicOf<T> = { [K in keyof T]: T[K] };

/** The one cast a fake needs to stand in for the class it imitates. */
export function fake<T>(implementation: PublicOf<T>): T {
  return implementation as T;
}
