/**
 * Every JWT secret value ever written in this repository: the app's development defaults, the
 * local values of docker-compose.yml (and the fallbacks it had before), and the examples of
 * .env.example. Anyone can read them, so production refuses each one (validateEnv).
 * test/e2e/published-secrets.e2e-spec.ts scans the repository's compose, env and Markdown files
 * and fails when a secret written there is missing from this list.
 */
export const DEVELOPMENT_SECRETS = {
  access: 'sail-development-access-secret-change-me-0000',
  refresh: 'sail-development-refresh-secret-change-me-000',
} as const;

/** docker-compose.yml runs in development mode with these; the production override requires real ones. */
export const COMPOSE_LOCAL_SECRETS = {
  access: 'local-development-only-access-secret-not-for-production',
  refresh: 'local-development-only-refresh-secret-not-for-production',
} as const;

export const PUBLISHED_SECRETS: readonly string[] = [
  ...Object.values(DEVELOPMENT_SECRETS),
  ...Object.values(COMPOSE_LOCAL_SECRETS),
  // docker-compose.yml's fallbacks until it ran in development mode.
  'compose-local-access-secret-replace-me-0000',
  'compose-local-refresh-secret-replace-me-000',
  // .env.example
  'change-me-to-32-or-more-random-characters-a',
  'change-me-to-32-or-more-random-characters-b',
];
