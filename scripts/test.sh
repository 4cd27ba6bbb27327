#!/usr/bin/env bash
# The whole test suite: formatting, lints, unused dependencies (cargo-machete; .ci/run
# installs it), the wasm build of the shared API types, every
# unit and integration test on SQLite and PostgreSQL, a bounded Schemathesis fuzzing pass
# over the OpenAPI document (needs python3; the script installs Schemathesis in a virtualenv),
# then the admin app built for real and driven in headless Chromium (needs `chromium` and
# `chromium-driver`; .ci/run installs them).
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres); set TEST_DATABASE_URL to use another
# server (an admin URL: tests create and drop a database of their own each).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "no unused dependencies (cargo machete; false positives go in a crate's [package.metadata.cargo-machete] ignored, with the reason)"
cargo machete

step "api-types builds for wasm32 (the admin app shares it)"
cargo build -p api-types --target wasm32-unknown-unknown

step "admin app: clippy for wasm32"
cargo clippy --target wasm32-unknown-unknown -p frontend -- -D warnings

step "tests (SQLite and PostgreSQL; the admin app's logic natively)"
cargo test --workspace

step "API fuzzing: a bounded Schemathesis pass against a real ticketd (scripts/schemathesis.sh)"
./scripts/schemathesis.sh

step "build the admin app"
./scripts/build-frontend.sh
# rust-embed copies frontend/dist into the binary at compile time, and the binary the tests
# above built saw no app yet: make cargo rebuild the embedding crate.
touch crates/api/src/spa.rs

step "browser tests (ticketd + headless Chromium)"
cargo build -p ticketd
cargo test -p e2e -- --ignored
