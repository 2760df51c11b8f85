#!/usr/bin/env bash
# Shared by scripts/dev.sh and scripts/test.sh (sourced, not run).

say() { echo "$(basename "$0"): $*" >&2; }

# diesel links against libpq; Debian ships the linker files in libpq-dev.
ensure_libpq_dev() {
  command -v dpkg-query >/dev/null 2>&1 || return 0 # not Debian-like: trust the toolchain
  if dpkg-query -W -f='${Status}' libpq-dev 2>/dev/null | grep -q 'install ok installed'; then
    return 0
  fi
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing libpq-dev"
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libpq-dev >&2
    export TOUCHPOINTS_APT_UPDATED=1 # ensure-postgres.sh need not update again
  else
    say "libpq-dev is missing (needed to link diesel). Install it with:"
    say "  sudo apt-get install libpq-dev"
    exit 1
  fi
}

# ensure_debian_packages CHECK PACKAGE [CHECK PACKAGE ...]: for each pair, installs the Debian
# package when the shell command CHECK fails (as root; otherwise says what to install).
ensure_debian_packages() {
  local missing=()
  while [[ $# -ge 2 ]]; do
    eval "$1" >/dev/null 2>&1 || missing+=("$2")
    shift 2
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]}"
    [[ -n "${TOUCHPOINTS_APT_UPDATED:-}" ]] || apt-get update >&2
    export TOUCHPOINTS_APT_UPDATED=1
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
  else
    say "missing: ${missing[*]}. Install them with:"
    say "  sudo apt-get install ${missing[*]}"
    exit 1
  fi
}

command -v cargo >/dev/null 2>&1 || {
  say "cargo not found; install Rust from https://rustup.rs"
  exit 1
}
