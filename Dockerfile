# LocalEx Storage: container images of the deployable apps (deploy/README.md explains every setting).
#
#   docker build --target http -t localex-storage-http .     # the HTTP API (also the default target)
#   docker build --target cli  -t localex-storage-cli .      # the CLI, e.g. for one-off clean-ups
#   docker build --target cron -t localex-storage-cron .     # the checklist jobs' scheduler
#
# The `build` stage's RUN lines are exactly what tooling/release-check/test/deploy.test.ts runs in a
# clean copy of the workspace (then it starts the result from a scratch folder with only Node);
# `pnpm test` also lints this file (dockerfile-utils). Adding an app: a deploy line in `build`, a
# stage of its own below, and an entry in tooling/release-check/src/apps.mjs.

ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS toolchain
# The pnpm the workspace pins (package.json "packageManager").
RUN npm install --global pnpm@10.34.9 && npm cache clean --force

FROM toolchain AS build
WORKDIR /workspace
ENV TURBO_TELEMETRY_DISABLED=1
COPY . .
RUN pnpm install --frozen-lockfile
RUN pnpm turbo run build --output-logs=errors-only
RUN pnpm --filter @localex/http deploy --prod out/http
RUN pnpm --filter @localex/cli deploy --prod out/cli
RUN pnpm --filter @localex/cron deploy --prod out/cron

# What every app image shares: Node only, a non-root user, the fs driver's data folder as a volume.
# The app folder belongs to root and is never written to, so the image runs with a read-only root
# filesystem (docker run --read-only --tmpfs /tmp -v localex-data:/data …).
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
RUN mkdir -p /data && chown node:node /data
VOLUME /data
WORKDIR /app

FROM runtime AS cli
COPY --from=build /workspace/out/cli /app
ENV LOCALEX_STORAGE_FS_ROOT=/data/files
USER node
ENTRYPOINT ["node", "/app/dist/bin.js"]
CMD ["--help"]

# One runner per job at a time (leases in the store), so several replicas are safe.
FROM runtime AS cron
COPY --from=build /workspace/out/cron /app
ENV LOCALEX_CRON_HOST=0.0.0.0 \
    LOCALEX_CRON_PORT=9464 \
    LOCALEX_STORAGE_FS_ROOT=/data/files
USER node
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.LOCALEX_CRON_PORT}/health`, { signal: AbortSignal.timeout(5000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/bin.js", "start"]

FROM runtime AS http
COPY --from=build /workspace/out/http /app
ENV LOCALEX_HTTP_HOST=0.0.0.0 \
    LOCALEX_HTTP_PORT=8080 \
    LOCALEX_STORAGE_FS_ROOT=/data/files \
    LOCALEX_HTTP_STATE_DIR=/data/http
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.LOCALEX_HTTP_PORT}/health`, { signal: AbortSignal.timeout(5000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
