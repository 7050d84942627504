import { defineConfig } from 'prisma/config';

// Used by the Prisma CLI only (generate, studio, migrate deploy on an online machine).
// The app applies migrations with its own migrator: src/database/migrator.ts.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations', seed: 'node dist/src/database/seed.cli.js' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/sail' },
});
