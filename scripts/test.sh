#!/usr/bin/env bash
# The whole test suite: formatting, lints, the wasm build of the shared API types, and
# every unit and integration test on SQLite and PostgreSQL.
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

step "api-types builds for wasm32 (the admin app shares it)"
cargo build -p api-types --target wasm32-unknown-unknown

step "tests (SQLite and PostgreSQL)"
cargo test --workspace
