#!/usr/bin/env bash
# Runs ticketd with demo data and the admin app: builds the app first when frontend/dist
# is missing or older than the app's sources, then `ticketd serve --demo` (release build,
# which embeds frontend/dist). Extra arguments go to `ticketd serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

stale=0
if [ ! -f frontend/dist/index.html ] || [ ! -f frontend/dist/frontend_bg.wasm ]; then
    stale=1
elif [ -n "$(find frontend/src frontend/static frontend/Cargo.toml crates/api-types/src \
        -newer frontend/dist/frontend_bg.wasm -print -quit)" ]; then
    stale=1
fi
if [ "$stale" = 1 ]; then
    ./scripts/build-frontend.sh
    # rust-embed reads frontend/dist at compile time: make cargo rebuild the embedding crate.
    touch crates/api/src/spa.rs
fi
exec cargo run --release -p ticketd -- serve --demo "$@"
