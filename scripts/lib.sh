# Shared set-up for scripts/test and scripts/demo: install what a fresh machine lacks.
# shellcheck shell=bash

sakk_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# apt-get install, only when a command is missing and we may use apt (root or sudo).
ensure_cmd() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    echo "==> installing $pkg (for $cmd)"
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$pkg" >/dev/null
  fi
  command -v "$cmd" >/dev/null 2>&1
}

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install Rust from https://rustup.rs" >&2
    exit 1
  fi
  rustup component add clippy rustfmt >/dev/null 2>&1 || true
}
