# syntax=docker/dockerfile:1
# Switchyard release bot, in two stages. `build` installs every dependency and bundles src/ into
# dist/ (npm run build: esbuild, scripts/build.mjs); the runtime stage has the production
# dependencies and dist/ only, and runs `node dist/main.js` as the non-root user `node`.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/ ./scripts/
COPY src/ ./src/
RUN npm run build

FROM node:20-slim
WORKDIR /app
RUN chown node:node /app

# Dependencies first so this layer is cached until package*.json changes. The bundle inlines
# nearly all of them; the one it leaves out (msgpackr-extract, native) is installed here.
COPY --chown=node:node package.json package-lock.json ./
USER node
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

# Owned by root: the bot reads its code, never writes it.
COPY --from=build /app/dist/ ./dist/

ENV NODE_ENV=production PORT=3000
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then(r => process.exit(r.ok ? 0 : 1)).catch(() => process.exit(1))"]

# Exec form without npm in between, so SIGTERM from `docker stop` reaches node itself, which
# handles SIGTERM/SIGINT (src/main.ts); compose also sets `init: true`.
CMD ["node", "dist/main.js"]
