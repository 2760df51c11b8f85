# syntax=docker/dockerfile:1
#
# Container image for touchpoints.
#   docker build -t touchpoints .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgres://... touchpoints
# or, with a database included: docker compose up --build
#
# Needs BuildKit (the default since Docker 23 and always used by
# `docker compose`) for the cache mounts below.

############################ build ############################
FROM rust:1-bookworm AS builder

# diesel links against libpq.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

# Dependency caching: the cargo registry and the target directory live in
# BuildKit cache mounts, so a rebuild after a source change only recompiles
# this crate (unlike the "dummy main.rs" trick, this keeps working whatever
# the crate layout is). The binary is copied out of the cache mount.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --bin touchpoints \
 && install -D -m 0755 target/release/touchpoints /out/touchpoints

############################ runtime ############################
FROM debian:bookworm-slim AS runtime

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 touchpoints \
 && useradd --system --uid 10001 --gid touchpoints --home-dir /app \
      --no-create-home --shell /usr/sbin/nologin touchpoints

WORKDIR /app
COPY --from=builder /out/touchpoints /usr/local/bin/touchpoints
# The demo registers (data/demo/registers.json) are compiled into the binary.

USER 10001:10001

ENV TOUCHPOINTS_BIND=0.0.0.0:8080 \
    RUST_LOG=info
EXPOSE 8080

# No HEALTHCHECK: the slim image has no curl/wget; let the orchestrator probe
# http://<container>:8080/health (liveness) and /ready (the database is reachable) instead.
CMD ["touchpoints", "serve", "--demo"]
