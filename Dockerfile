# One image for the three SpikeSweep services; docker-compose.yml picks the entry by command,
# e.g. `node --import tsx services/worker/main.ts`. TypeScript runs through tsx (no build step).
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
RUN npm ci --omit=dev && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY shared ./shared
COPY services ./services

USER node
CMD ["node", "bin/spikesweep.js", "--help"]
