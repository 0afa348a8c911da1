# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with dev dependencies.
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: compiled output and production dependencies only.
FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/tripbench
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY scenarios ./scenarios
RUN ln -s /opt/tripbench/bin/tripbench.js /usr/local/bin/tripbench
USER node
WORKDIR /home/node
ENTRYPOINT ["tripbench"]
CMD ["version"]
