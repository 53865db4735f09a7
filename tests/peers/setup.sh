#!/usr/bin/env bash
# Installs the real peers that tests/interop_*.rs talk to. Idempotent and quick when they are
# already there; run it once on a clean machine before `cargo test` (CI: from .ci/run).
#
#   python3 (stdlib multiprocessing)     must be on PATH already
#   node (IPC channel)                   must be on PATH already
#   tests/peers/.venv                    python-lsp-jsonrpc (pylsp_jsonrpc.streams)
#   tests/peers/.venv-dotnet             the .NET Core 3.1 runtime (PyPI dotnetcore2) and
#                                        pythonnet, which dotnet_peer.py drives System.IO.Pipes with
#   tests/peers/node/node_modules        vscode-jsonrpc, from package-lock.json
#   erl / escript                        Debian package erlang-base (ports with {packet, N})
#   tests/peers/.python-new              CPython 3.13 from Debian 13's packages, for the
#                                        {sha256} authkey handshake (setup_python_new.sh)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

for tool in python3 node npm; do
    command -v "$tool" >/dev/null || { echo "setup.sh: $tool is not installed" >&2; exit 1; }
done

# Python: a venv next to the peer scripts, so the user's site-packages stay untouched.
if ! "$here/.venv/bin/python" -c 'import pylsp_jsonrpc.streams' 2>/dev/null; then
    python3 -m venv "$here/.venv"
    "$here/.venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        'python-lsp-jsonrpc==1.1.2'
fi

# .NET: the runtime from PyPI's dotnetcore2 wheel (no SDK, no compiler), loaded into Python by
# pythonnet; the check loads the runtime for real (dotnet_peer.py version).
dotnet_py="$here/.venv-dotnet/bin/python"
if ! DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$dotnet_py" "$here/dotnet_peer.py" version >/dev/null 2>&1; then
    python3 -m venv "$here/.venv-dotnet"
    "$dotnet_py" -m pip install --quiet --disable-pip-version-check \
        'dotnetcore2==3.1.23' 'pythonnet==3.2.1' 'clr_loader==0.3.1'
fi

# Node: exactly what package-lock.json says.
if [ ! -f "$here/node/node_modules/vscode-jsonrpc/package.json" ]; then
    (cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Erlang: only the runtime (erl, escript), no GUI or docs.
if ! command -v escript >/dev/null; then
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends erlang-base >/dev/null
fi

# A Python whose multiprocessing speaks the {sha256} authkey handshake (3.12+).
bash "$here/setup_python_new.sh"

# grpcio, curl, the gRPC stubs (interop_grpc, interop_http).
bash "$here/setup_grpc.sh"

# `dotnet_peer.py version` prints the runtime version and its NewLine; the summary keeps the
# version only.
echo "setup.sh: interop peers ready (python3 $(python3 -c 'import sys; print(sys.version.split()[0])'), node $(node --version), vscode-jsonrpc, python-lsp-jsonrpc, .NET $(DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$dotnet_py" "$here/dotnet_peer.py" version | cut -d' ' -f1), erlang $(erl -noshell -eval 'io:put_chars(erlang:system_info(otp_release)), halt().'))"
