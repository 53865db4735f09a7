#!/usr/bin/env bash
# The peers of tests/interop_{grpc,http,jsonrpc}.rs (issue 15), called from setup.sh after
# its venv exists. Idempotent and quick when done.
#
#   tests/peers/.venv                    grpcio + grpcio-tools (PyPI)
#   tests/peers/.venv/grpc_stubs         helloworld_pb2{,_grpc}.py from proto/helloworld.proto
#   curl                                 Debian package curl (--unix-socket, HTTP/2)
#   vscode-jsonrpc                       already in tests/peers/node/node_modules (setup.sh)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="$here/.venv/bin/python"
[ -x "$py" ] || python3 -m venv "$here/.venv"

if ! "$py" -c 'import grpc, grpc_tools' 2>/dev/null; then
    "$py" -m pip install --quiet --disable-pip-version-check 'grpcio==1.76.0' 'grpcio-tools==1.76.0'
fi

stubs="$here/.venv/grpc_stubs"
proto="$here/../../proto"
if [ ! -f "$stubs/helloworld_pb2_grpc.py" ] || [ "$proto/helloworld.proto" -nt "$stubs/helloworld_pb2_grpc.py" ]; then
    mkdir -p "$stubs"
    "$py" -m grpc_tools.protoc -I"$proto" --python_out="$stubs" --grpc_python_out="$stubs" \
        "$proto/helloworld.proto"
fi

if ! curl --version 2>/dev/null | grep -q HTTP2; then
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends curl >/dev/null
fi

echo "setup_grpc.sh: grpcio $("$py" -c 'import grpc; print(grpc.__version__)'), $(curl --version | head -1 | cut -d' ' -f1-2)"
