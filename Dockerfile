# picbot server image: `docker build -t picbot .` then see docs/deploy.md for `docker run`.
# The image runs `picbot serve` (production mode when MicrosoftAppId is set) as the non-root
# user `node`, keeps its SQLite file on the /data volume and reports health on /healthz.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
# npm ci also runs the package's prepare script (tsc); the explicit build keeps the step visible.
RUN npm ci --no-audit --no-fund
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=3978 \
    PICBOT_DB=/data/picbot.db
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY cards ./cards
# The server signs the SHA-256 of the shipped lync-ops.ps1 into every runner job.
COPY src/runner/scripts ./src/runner/scripts
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3978) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Not `npm run serve`: its preserve step rebuilds with tsc, which the pruned image does not have.
CMD ["node", "dist/bot/main.js", "serve"]
