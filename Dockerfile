# chatd as a container: the single compiled binary on a slim base, running as an unprivileged user.
# Build: docker build -t chatd .      Run: docker run -p 8080:8080 -v chatd-data:/data chatd

FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production
COPY tsconfig.json ./
COPY migrations ./migrations
COPY src ./src
RUN bun build --compile --minify src/main.ts --outfile /out/chatd

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /data chatd \
 && mkdir -p /data && chown chatd /data
COPY --from=build /out/chatd /usr/local/bin/chatd
USER chatd
ENV DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8080
VOLUME ["/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/chatd"]
CMD ["serve"]
