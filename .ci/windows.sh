#!/usr/bin/env bash
# Sets up cross-testing for x86_64-pc-windows-gnu under Wine on Debian, then exports what cargo
# needs. Source it (`. .ci/windows.sh`) so the exports reach the caller; running it only installs.
#
#   rustup target x86_64-pc-windows-gnu, apt gcc-mingw-w64-x86-64 (linker) and wine64 (runner),
#   a Wine prefix (created by the first start), and bcryptprimitives.dll built from
#   tests/peers/windows/bcryptprimitives.c: since Rust 1.78 std imports ProcessPrng from it and
#   Wine 8 has no such DLL, so without the shim every test binary fails to start (exit 53);
#   and the raw Win32 peer programs tests/peers/windows/raw_*.c, built into
#   target/windows-peers/ for the CLI tests.
#
# Configuration goes through environment variables, not a committed .cargo/config.toml: the
# variables only matter to `cargo ... --target x86_64-pc-windows-gnu`, and a runner setting in a
# config file would point every developer's Windows-target runs (including real Windows hosts)
# at a Wine path that does not exist there.
# Strict mode while it runs (a failure stops the caller too, which is what CI wants); the
# caller's own errexit, nounset and pipefail come back at the end. (Not through
# `$(set +o)`: a command substitution runs without errexit, so restoring its output would
# switch errexit off in a caller that had it, and .ci/run would go on past failing steps.)
_pf_e=0; case $- in *e*) _pf_e=1 ;; esac
_pf_u=0; case $- in *u*) _pf_u=1 ;; esac
_pf_p=0; if shopt -qo pipefail; then _pf_p=1; fi
set -euo pipefail
_pf_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

rustup target add x86_64-pc-windows-gnu >/dev/null 2>&1 || rustup target add x86_64-pc-windows-gnu

_pf_need=()
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || _pf_need+=(gcc-mingw-w64-x86-64)
dpkg -s wine64 >/dev/null 2>&1 || _pf_need+=(wine64)
if [ "${#_pf_need[@]}" -gt 0 ]; then
  _pf_sudo=""
  [ "$(id -u)" -eq 0 ] || _pf_sudo="sudo"
  $_pf_sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $_pf_sudo apt-get install -y -qq --no-install-recommends "${_pf_need[@]}"
fi

# Debian's wine64 package puts no `wine` on PATH; the runner lives in Wine's library folder.
_pf_wine="$(dpkg -L wine64 | grep -E '/wine64$' | grep -v '^/usr/share' | head -n1)"
if [ -z "$_pf_wine" ] || [ ! -x "$_pf_wine" ]; then
  echo "error: no wine64 runner binary found in 'dpkg -L wine64'" >&2
  exit 1
fi

export WINEDEBUG=-all
export WINEPREFIX="${WINEPREFIX:-$HOME/.wine-pipeframe}"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$_pf_wine"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc

# The first start creates the prefix (a minute or so); later starts take about a second.
if [ ! -d "$WINEPREFIX/drive_c/windows/system32" ]; then
  "$_pf_wine" cmd /c exit >/dev/null 2>&1 || true
  "$(dirname "$_pf_wine")/wineserver" -w 2>/dev/null || true
fi
if [ ! -d "$WINEPREFIX/drive_c/windows/system32" ]; then
  echo "error: Wine did not create its prefix at $WINEPREFIX" >&2
  exit 1
fi

_pf_dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
_pf_src="$_pf_root/tests/peers/windows/bcryptprimitives.c"
if [ ! -f "$_pf_dll" ] || [ "$_pf_src" -nt "$_pf_dll" ]; then
  x86_64-w64-mingw32-gcc -O2 -shared -o "$_pf_dll" "$_pf_src" -ladvapi32
fi

# Raw Win32 peer programs for the CLI tests (cli/tests/windows_cli.rs finds them here).
_pf_peers="$_pf_root/target/windows-peers"
mkdir -p "$_pf_peers"
for _pf_c in "$_pf_root"/tests/peers/windows/raw_*.c; do
  _pf_exe="$_pf_peers/$(basename "$_pf_c" .c).exe"
  if [ ! -f "$_pf_exe" ] || [ "$_pf_c" -nt "$_pf_exe" ]; then
    x86_64-w64-mingw32-gcc -O2 -Wall -o "$_pf_exe" "$_pf_c"
  fi
done

echo "windows target: runner $CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER, prefix $WINEPREFIX, $("$_pf_wine" --version)"
[ "$_pf_e" = 1 ] || set +e
[ "$_pf_u" = 1 ] || set +u
[ "$_pf_p" = 1 ] || set +o pipefail
unset _pf_root _pf_need _pf_sudo _pf_wine _pf_dll _pf_src _pf_peers _pf_c _pf_exe _pf_e _pf_u _pf_p
