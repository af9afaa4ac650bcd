# syntax=docker/dockerfile:1
# Switchyard release bot. TypeScript is run directly with tsx (a runtime
# dependency), so there is no build step: install production deps, copy src.
FROM node:20-slim

WORKDIR /app
RUN chown node:node /app

# Dependencies first so this layer is cached until package*.json changes.
COPY --chown=node:node package.json package-lock.json ./
USER node
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

COPY --chown=node:node tsconfig.json ./
COPY --chown=node:node src/ ./src/

ENV NODE_ENV=production PORT=3000
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then(r => process.exit(r.ok ? 0 : 1)).catch(() => process.exit(1))"]

# Exec form without npm in between, so SIGTERM from `docker stop` reaches node
# itself. As PID 1 node only reacts to signals it handles, so src/main.ts should
# handle SIGTERM/SIGINT (or run with `docker run --init` / compose `init: true`).
CMD ["node", "--import", "tsx", "src/main.ts"]
