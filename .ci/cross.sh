#!/usr/bin/env bash
# The same edition, byte for byte, from the Windows and the ARM64 Linux builds: both targets are
# linted (tests included) and built with Debian's cross toolchains, run on the shipped data
# (Windows under Wine, ARM64 under qemu-user), and every file of their edition folders is
# compared with the native build's. Then the Windows build verifies and rebuilds an archive bag
# made on Linux. Called by .ci/run; runs alone too (`bash .ci/cross.sh`).
#
# Debug builds with the dependencies unoptimised too (opt-level 0, where the native debug build
# has 2): the bytes do not depend on optimisation, which this script proves by comparing them
# with the native build's, and the cross builds of the typst stack take less than half the time.
# Each target has its own target dir under target/, so a native build never waits for a cross one.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
start=$(date +%s)
stamp() { echo "== cross: $1 ($(( $(date +%s) - start )) s)"; }
export CARGO_TERM_COLOR=never NO_COLOR=1

stamp "toolchains"
rustup target add x86_64-pc-windows-gnu aarch64-unknown-linux-gnu
missing=()
for pkg in gcc-mingw-w64-x86-64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross wine64 qemu-user; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian puts the wine64 loader outside PATH.
WINE=$(command -v wine64 || echo /usr/lib/wine/wine64)
[ -x "$WINE" ] || { echo "wine64 not found"; exit 1; }

work="$repo/target/cross-check"
rm -rf "$work"
mkdir -p "$work"

stamp "native build"
cargo build --locked -q
# Where cargo put it: a CARGO_TARGET_DIR given to CI (a shared build folder) is honoured.
native="${CARGO_TARGET_DIR:-$repo/target}/debug/yearbook"

# Windows: the stand-in for the bcryptprimitives.dll that Debian's Wine lacks (test only), and a
# Wine prefix of our own inside target/.
export WINEPREFIX="$repo/target/wine-prefix" WINEDEBUG=-all
x86_64-w64-mingw32-gcc -O2 -shared -o "$work/bcryptprimitives.dll" tests/platforms/bcryptprimitives.c -ladvapi32

for pair in windows:x86_64-pc-windows-gnu arm64:aarch64-unknown-linux-gnu; do
  target=${pair#*:}
  dir="$repo/target/cross-${pair%%:*}"
  stamp "cargo clippy --all-targets --target $target"
  CARGO_TARGET_DIR="$dir" cargo clippy --locked --all-targets --target "$target" -- -D warnings
  stamp "cargo build --target $target"
  CARGO_TARGET_DIR="$dir" cargo build --locked --target "$target" --bin yearbook \
    --config 'profile.dev.package."*".opt-level=0'
done

win="$work/windows"
mkdir -p "$win"
cp "$repo/target/cross-windows/x86_64-pc-windows-gnu/debug/yearbook.exe" "$work/bcryptprimitives.dll" "$win/"
run_windows() { "$WINE" "$win/yearbook.exe" "$@"; }
run_arm64() { qemu-aarch64 -L /usr/aarch64-linux-gnu "$repo/target/cross-arm64/aarch64-unknown-linux-gnu/debug/yearbook" "$@"; }

# Every file of an edition folder with its sha256, paths relative to it.
hashes() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum); }

stamp "the shipped edition, native"
"$native" build -q --out "$work/native"
hashes "$work/native/2025" > "$work/native.sha256"
cat "$work/native.sha256"

status=0
for platform in windows arm64; do
  stamp "the shipped edition, $platform"
  "run_$platform" build -q --out "$work/$platform-out"
  hashes "$work/$platform-out/2025" > "$work/$platform.sha256"
  if diff -u "$work/native.sha256" "$work/$platform.sha256"; then
    echo "$platform: every file of the edition has the native build's bytes"
  else
    echo "$platform: the edition DIFFERS from the native build's (above)"
    status=1
  fi
done
for f in yearbook-2025.pdf yearbook-2025.xlsx; do
  printf '%-20s native %s  windows %s  arm64 %s\n' "$f" \
    "$(grep " ./$f\$" "$work/native.sha256" | cut -c1-16)" \
    "$(grep " ./$f\$" "$work/windows.sha256" | cut -c1-16)" \
    "$(grep " ./$f\$" "$work/arm64.sha256" | cut -c1-16)"
done

stamp "an archive bag made on Linux, verified and rebuilt by the Windows build"
"$native" archive -q --archive "$work/bags"
run_windows verify --rebuild "$work/bags/2025"

stamp "a Chinese message from the Windows build, redirected: UTF-8, with Windows paths"
cp -r data "$work/bad-data"
sed -i 's/^name = { zh = "三门峡市"/name = { zh = 三门峡市/' "$work/bad-data/2025/sanmenxia.toml"
if run_windows check --data target/cross-check/bad-data > "$work/check.out" 2> "$work/check.err"; then
  echo "check passed on broken data"; status=1
fi
cat "$work/check.err"
grep -q 'name = { zh = 三门峡市' "$work/check.err" || { echo "the Chinese source line is missing or not UTF-8"; status=1; }
grep -qF 'target\cross-check\bad-data\2025\sanmenxia.toml' "$work/check.err" \
  || { echo "the file is not named with Windows separators"; status=1; }

stamp "cross checks done"
exit "$status"
