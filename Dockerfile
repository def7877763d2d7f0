# The AskProAI service image. Build: docker build -t ghcr.io/askproai/askproai-monitoring:0.1.0 .
# Run:   docker run -p 8080:8080 -v /path/to/secrets:/run/secrets:ro ghcr.io/askproai/askproai-monitoring:0.1.0
#        (the service runs as uid 1000, which must be able to read the secret files: docs/deploy.md)
# Secrets are read from files (*_FILE, Docker/Kubernetes secrets under /run/secrets); none is baked in.
# The base images are pinned by exact tag; pin them by digest too where your registry policy asks for it.

# 1. Compile TypeScript to dist/. tsc needs no native addon, so install scripts are skipped here.
FROM node:20.20.2-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.js scripts/build.js
COPY src src
RUN npm run build
# An empty folder for the runtime stage's embedded SQLite database, owned by the runtime user there.
RUN mkdir -p data

# 2. Production dependencies only, with better-sqlite3's native addon built (prebuilt download, or compiled:
#    this full image has python3, make and g++).
FROM node:20.20.2-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
RUN npm rebuild better-sqlite3
# The runtime needs only the addon: not better-sqlite3's SQLite and C++ sources, nor (when it was compiled
# here) the object files and the test extension.
RUN cd node_modules/better-sqlite3 && mv build/Release/better_sqlite3.node . && rm -rf build deps src \
 && mkdir -p build/Release && mv better_sqlite3.node build/Release/

# 3. The runtime: compiled JavaScript and production dependencies, run as the unprivileged `node` user.
FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    METRICS_AUTH_TOKEN_FILE=/run/secrets/metrics_token \
    RETELL_API_KEY_FILE=/run/secrets/retell_api_key \
    CALCOM_WEBHOOK_SECRET_FILE=/run/secrets/calcom_webhook_secret \
    SESSION_SECRET_FILE=/run/secrets/session_secret
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY bin bin
# The embedded SQLite database (when DATABASE_URL is unset) lives in /app/data; mount a volume there.
COPY --from=build --chown=node:node /app/data data
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/api/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/askproai.js", "serve"]
