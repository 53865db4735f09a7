#!/usr/bin/env bash
# A Python newer than the machine's (Debian 12 has 3.11, whose multiprocessing.connection
# speaks only the legacy HMAC-MD5 handshake): CPython 3.13 from Debian 13's packages, for the
# {sha256} authkey handshake in tests/interop_authkey.rs. Idempotent.
#
# The packages are fetched with apt-get from Debian's archive using a private apt state in
# .python-new/apt (the system's sources and package database are not touched), unpacked with
# dpkg-deb into .python-new/root, and run through Debian 13's own dynamic loader and C
# library from that root (its python3.13 needs glibc 2.38; Debian 12 has 2.36). The wrapper
# .python-new/python3 runs it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$here/.python-new"
wrapper="$dir/python3"

if [ -x "$wrapper" ] && "$wrapper" -c 'import sys, multiprocessing.connection as c; assert sys.version_info >= (3, 12); c._create_response' 2>/dev/null; then
    exit 0
fi

apt_dir="$dir/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$dir/debs"
echo "deb http://deb.debian.org/debian trixie main" >"$apt_dir/sources.list"
: >"$apt_dir/status"
apt_opts=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=/nonexistent"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::State::Status=$apt_dir/status"
    -o "Dir::Cache=$apt_dir/cache"
    -o "Debug::NoLocking=1"
    -o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" -qq update
(cd "$dir/debs" && apt-get "${apt_opts[@]}" -qq download \
    python3.13-minimal libpython3.13-minimal libpython3.13-stdlib \
    libc6 libssl3t64 libexpat1 zlib1g libffi8)
rm -rf "$dir/root"
for deb in "$dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$dir/root"
done

cat >"$wrapper" <<'WRAP'
#!/bin/sh
# CPython 3.13 from Debian 13, unpacked by tests/peers/setup_python_new.sh.
root="$(cd "$(dirname "$0")" && pwd)/root"
lib="$root/usr/lib/x86_64-linux-gnu"
PYTHONHOME="$root/usr" exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$root/usr/bin/python3.13" "$@"
WRAP
chmod +x "$wrapper"
"$wrapper" -c 'import sys; print("setup_python_new.sh: python", sys.version.split()[0])'
