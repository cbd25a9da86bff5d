#!/usr/bin/env bash
# Regenerates crates/iac-provider-plugin/src/proto/*.rs from proto/*.proto
# with a vendored protoc (no system protoc needed). The generated files are
# committed so that building iac never runs protoc or prost-build.
set -euo pipefail
cd "$(dirname "$0")"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}" cargo run --quiet --release
