# twemu in a container: Node 20 on Debian (bookworm). One image for both roles:
#   docker run -p 8080:8080 ... twemu                   a whole site (the default command)
#   docker compose up                                   a multi-server site, each server on its own
#                                                       host name and the documented ports (docker-compose.yml)
# No test here builds it (no container engine in CI): test/deploy/dockerfile.test.ts parses this file
# and runs the equivalent of each instruction on the host (docs/deployment.md).
FROM node:20-bookworm

WORKDIR /opt/twemu

# Sources and lock file; `npm ci` builds better-sqlite3 (bookworm has python3, make, g++)
# and the `prepare` script compiles the TypeScript into dist/ and bundles the CLI (scripts/bundle.mjs).
COPY package.json package-lock.json tsconfig.json ./
COPY emulator ./emulator
COPY protocols ./protocols
COPY scenarios ./scenarios
COPY bench ./bench
COPY scripts ./scripts
RUN npm ci && npm prune --omit=dev

# The site's data (endpoints.json, admin-token, the servers' databases) lives in /data.
VOLUME /data
# control API, then each server's POP3/IMAP/web at the default layout of a single site;
# `serve --only` containers listen on the documented ports 110, 143, 80.
EXPOSE 7070 1110 1143 1587 1993 1995 8080 110 143 587 993 995 80

HEALTHCHECK --interval=5s --timeout=3s --retries=12 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TWEMU_CONTROL_PORT || 7070) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "dist/emulator/twemu.js"]
CMD ["serve", "--host", "0.0.0.0", "--data", "/data"]
