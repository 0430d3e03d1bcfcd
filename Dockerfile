# chatd as a container: the single compiled binary on a slim base, running as an unprivileged user.
# Build: docker build -t chatd .      Run: docker run -p 8080:8080 -v chatd-data:/data chatd
# Both base images are pinned: Bun to the version in package.json, Debian to a point release (the one
# the build machines run), so a rebuild gets the same system underneath.

FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production
COPY tsconfig.json ./
COPY migrations ./migrations
COPY src ./src
# The web app and the SDK it is built on: bundled into the binary by the HTML import.
COPY web ./web
COPY clients/js/src ./clients/js/src
RUN bun build --compile --minify src/main.ts --outfile /out/chatd

FROM debian:12.11-slim
RUN useradd --system --uid 10001 --home-dir /data chatd \
 && mkdir -p /data && chown chatd /data
COPY --from=build /out/chatd /usr/local/bin/chatd
USER chatd
ENV DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8080
VOLUME ["/data"]
EXPOSE 8080
# Healthy when GET /readyz answers 200 (every backend reachable); the binary asks it itself, no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/chatd", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/chatd"]
CMD ["serve"]
