# syntax=docker/dockerfile:1
# The service image: build with the dev dependencies, ship only the production ones, run as a non-root user.
# Node >= 20.19 is required (NestJS 12 is ESM-only; our CommonJS output loads it with require(esm)).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 (the embedded stores) installs a prebuilt binary; the toolchain is the fallback for platforms
# without one. It stays in this stage only.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX: as `npm start` (package.json): glibc's per-thread malloc arenas kept growing under load.
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# DATA_DIR: the embedded stores (EVENT_STORE/READ_STORE=sqlite) and, with them, cluster.db. Unused with
# EventStoreDB + MongoDB, but writable either way.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM: the service stops taking requests, stops its workers, releases the worker lease and closes its stores.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
