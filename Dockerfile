# One image for Strata's own services (API, scheduler, bronze writer, fixture API); docker-compose.yml picks the command.
# Node 24 LTS (Node 20 reached its end of life in April 2026); local mode still runs on Node ≥ 20.19.
FROM node:24-bookworm-slim
# Chromium renders the JavaScript pages of web sources (STRATA_CHROMIUM_PATH=/usr/bin/chromium).
RUN apt-get update && apt-get install -y --no-install-recommends chromium && rm -rf /var/lib/apt/lists/*
WORKDIR /app
RUN npm i -g pnpm
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
# The install compiles the project to dist/ (its prepare script); the compiler comes first, the sources after.
COPY bin/strata.mjs bin/
COPY core/build core/build/
RUN pnpm install --frozen-lockfile --prod=false
COPY . .
RUN node bin/strata.mjs build
ENV STRATA_DATA_DIR=/var/lib/strata
RUN mkdir -p /var/lib/strata && chown -R node:node /var/lib/strata dist
USER node
CMD ["pnpm", "serve"]
