# syntax=docker/dockerfile:1
# Multi-stage build: compile ticketd (release) in the Rust image, run it from a small
# Debian image as an unprivileged user.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# The toolchain file pins 1.95.0 and the wasm32 target (for the admin app).
COPY rust-toolchain.toml ./
RUN rustup show active-toolchain
COPY . .
# The admin app (Leptos → wasm) is built first: the release binary embeds frontend/dist.
# build-frontend.sh installs wasm-bindgen-cli at the Cargo.lock version; wasm-opt is
# optional (npm is not in this image, so it is skipped).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    ./scripts/build-frontend.sh \
 && cargo build --release -p ticketd && cp target/release/ticketd /usr/local/bin/ticketd

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /var/lib/ticketd --create-home ticketd
COPY --from=build /usr/local/bin/ticketd /usr/local/bin/ticketd
USER ticketd
WORKDIR /var/lib/ticketd
# MALLOC_ARENA_MAX=2: glibc's per-thread arenas (one per SQLite or pool worker thread)
# otherwise hold a third more resident memory (bench/RESULTS.md, "CSV export").
ENV TICKETD_BIND=0.0.0.0:8080 \
    RUST_LOG=info \
    TICKETD_LOG_FORMAT=json \
    MALLOC_ARENA_MAX=2
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["ticketd"]
CMD ["serve"]
