# syntax=docker/dockerfile:1
# roomchat: the Fastify chat backend. Multi-stage: compile TypeScript and the native modules
# (better-sqlite3, argon2) and the web app in a build stage, ship only production dependencies,
# dist/ and web/dist/.
#
#   docker build -t roomchat .
#   docker run -p 3000:3000 -v roomchat-data:/data roomchat            # embedded (SQLite)
#   docker compose up                                                  # scaled (see docker-compose.yml)

# Node.js 24 LTS (20 reached its end of life in April 2026); CI runs the suite on both.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------------------- build
FROM ${NODE_IMAGE} AS build
# Toolchain for the native modules where no prebuilt binary fits (better-sqlite3, argon2).
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app

COPY package.json package-lock.json ./
# The client package is an npm workspace: its manifest must be there for the lock to apply.
COPY packages/client/package.json ./packages/client/package.json
COPY web/package.json ./web/package.json
COPY scripts/build-web.mjs ./scripts/build-web.mjs
# `npm install --no-save` from the same lock covers a lock that `npm ci` rejects for missing
# optional platform entries (registries that do not serve every @biomejs/cli-* package).
RUN npm ci --no-audit --no-fund \
  || npm install --no-save --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
COPY packages/client ./packages/client
COPY web ./web
RUN npm run build \
  && test -f dist/src/server.js \
  && npm run build:web \
  && test -f web/dist/index.html \
  && npm prune --omit=dev --no-audit --no-fund \
  && npm cache clean --force

# -------------------------------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  HOST=0.0.0.0 \
  PORT=3000 \
  DATA_DIR=/data
WORKDIR /app

# Code and dependencies stay owned by root (read-only for the app); only /data is writable.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]

USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node runs as PID 1 and handles SIGTERM itself (graceful drain, see src/server.ts).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/server.js"]
