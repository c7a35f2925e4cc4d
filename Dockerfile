# One image for the three SpikeSweep services; docker-compose.yml picks the entry by command,
# e.g. `node dist/services/worker/main.js`. A build stage compiles the TypeScript to dist/
# (`npm run build`), so the services start without transpiling at run time.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/cli/package.json services/cli/
COPY services/scheduler/package.json services/scheduler/
COPY services/worker/package.json services/worker/
COPY services/results/package.json services/results/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY infra/build.js ./infra/build.js
COPY shared ./shared
COPY services ./services
RUN node infra/build.js

FROM node:20-slim
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app

# Dependencies first (cached until the lockfile or a workspace manifest changes).
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/cli/package.json services/cli/
COPY services/scheduler/package.json services/scheduler/
COPY services/worker/package.json services/worker/
COPY services/results/package.json services/results/
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY infra ./infra
COPY shared ./shared
COPY services ./services
# After the sources, so the build stamp is newer than every source file.
COPY --from=build /app/dist ./dist

USER node
CMD ["node", "bin/spikesweep.js", "--help"]
