#!/usr/bin/env bash
# Builds the admin app (frontend/, Leptos CSR) into frontend/dist/, which ticketd embeds at
# build time (or serves from TICKETD_STATIC_DIR). Idempotent: installs what is missing —
# the wasm32 target, wasm-bindgen-cli at exactly the version in Cargo.lock, and (optional)
# wasm-opt 132 from npm into tools/node — then builds. No network once those are there.
#
# Never use Debian's wasm-opt (binaryen 108): it writes modules that fail in the browser.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

# The one place the wasm-bindgen version lives is Cargo.lock: the CLI must match it.
lock_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$lock_version" ]; then
    echo "error: no wasm-bindgen in Cargo.lock" >&2
    exit 1
fi

step "wasm32 target"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

step "wasm-bindgen-cli $lock_version"
installed=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$installed" != "$lock_version" ]; then
    # Not --locked: the CLI's own lockfile pins a webpki-roots the registry mirror lacks.
    cargo install wasm-bindgen-cli --version "$lock_version"
fi
installed=$(wasm-bindgen --version | awk '{ print $2 }')
if [ "$installed" != "$lock_version" ]; then
    echo "error: wasm-bindgen $installed on PATH, Cargo.lock has $lock_version" >&2
    exit 1
fi

step "wasm-opt (optional)"
wasm_opt=tools/node/node_modules/.bin/wasm-opt
if [ ! -x "$wasm_opt" ] && command -v npm >/dev/null 2>&1; then
    npm install --silent --no-audit --no-fund --prefix tools/node binaryen@132.0.0 \
        || echo "warning: npm could not install binaryen; building without wasm-opt"
fi
[ -x "$wasm_opt" ] || echo "no wasm-opt: the wasm stays unoptimised (bigger, still correct)"

step "cargo build (wasm32, release)"
cargo build --release --target wasm32-unknown-unknown -p frontend

step "wasm-bindgen → frontend/dist"
dist=frontend/dist
mkdir -p target
tmp=$(mktemp -d target/frontend-dist.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$tmp" target/wasm32-unknown-unknown/release/frontend.wasm
if [ -x "$wasm_opt" ]; then
    "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-mutable-globals --enable-reference-types \
        "$tmp/frontend_bg.wasm" -o "$tmp/frontend_bg.wasm"
fi
cp frontend/static/index.html frontend/static/boot.js frontend/static/style.css "$tmp/"
# Swap in the new build in one step, so a running server never sees half of it.
rm -rf "$dist.old"
[ -d "$dist" ] && mv "$dist" "$dist.old"
mv "$tmp" "$dist"
chmod 755 "$dist"
rm -rf "$dist.old"
trap - EXIT

size=$(wc -c < "$dist/frontend_bg.wasm")
gz=$(gzip -9 -c "$dist/frontend_bg.wasm" | wc -c)
printf '\nbuilt %s: frontend_bg.wasm %s bytes, %s gzipped\n' "$dist" "$size" "$gz"
