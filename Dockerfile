# tripbench container image. Build: scripts/build-image.sh (buildah), or
#   docker build -t tripbench .
# Layout inside the image:
#   /opt/tripbench/            the app: dist/ (compiled JS), node_modules/ (production only), bin/
#   /opt/tripbench/scenarios/  the scenarios shipped with tripbench (TRIPBENCH_SCENARIOS)
#   /opt/tripbench/schema/     scenario JSON Schema (read at run time by the scenario loader)
#   /home/node                 working directory; `tripbench run` writes reports/ below it
# Runs as uid/gid 1000 (the base image's `node` user), numeric so Kubernetes can enforce
# runAsNonRoot. No HEALTHCHECK: a load generator has no steady state to probe.
ARG NODE_IMAGE=node:22-bookworm-slim

# Production dependencies alone, installed from the lockfile without install scripts (none of
# the runtime dependencies needs one), so no build tool or dev package reaches the final image.
# Behind a TLS-intercepting proxy, pass its CA bundle as the build secret `ca-certificates`
# (scripts/build-image.sh passes the build host's): it is mounted for npm only, never stored.
FROM ${NODE_IMAGE} AS deps
ENV npm_config_update_notifier=false
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca-certificates --mount=type=cache,target=/root/.npm \
    if [ -s /run/secrets/ca-certificates ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca-certificates; fi \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error

# Compile TypeScript with the dev dependencies.
FROM ${NODE_IMAGE} AS build
ENV npm_config_update_notifier=false
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca-certificates --mount=type=cache,target=/root/.npm \
    if [ -s /run/secrets/ca-certificates ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca-certificates; fi \
 && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle.mjs ./scripts/
# tsc's dist/ (the library) and the CLI's bundle, dist/bundle/ (scripts/bundle.mjs). Declarations
# and source maps point at sources the image does not ship.
RUN npm run build \
 && find dist \( -name '*.d.ts' -o -name '*.map' \) -delete

# Runtime: compiled output and production dependencies only.
FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="tripbench" \
      org.opencontainers.image.description="fortio-compatible load tester with Istio circuit-breaker rehearsal and trip-ratio verdicts" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    TRIPBENCH_SCENARIOS=/opt/tripbench/scenarios
WORKDIR /opt/tripbench
COPY --chown=0:0 package.json ./
COPY --chown=0:0 --from=deps /src/node_modules ./node_modules
COPY --chown=0:0 --from=build /src/dist ./dist
COPY --chown=0:0 bin ./bin
COPY --chown=0:0 schema ./schema
COPY --chown=0:0 scenarios ./scenarios
RUN chmod 0755 bin/tripbench.js \
 && ln -s /opt/tripbench/bin/tripbench.js /usr/local/bin/tripbench \
 && tripbench version
USER 1000:1000
WORKDIR /home/node
ENTRYPOINT ["tripbench"]
CMD ["version"]
