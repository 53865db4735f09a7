"""JSON-RPC over stdin/stdout with python-lsp-jsonrpc's JsonRpcStreamReader/Writer (the
framing python-lsp-server uses), for tests/interop_lsp.rs.

Sends one notification of its own, then answers every request {"id", "params": {"text"}}
with {"text", "len", "crc32"} of the text's UTF-8 bytes; exits at EOF on stdin.
"""
import sys
import zlib

from pylsp_jsonrpc.streams import JsonRpcStreamReader, JsonRpcStreamWriter

reader = JsonRpcStreamReader(sys.stdin.buffer)
# Non-ASCII as UTF-8 and "/" as is, so the test can predict the bytes.
writer = JsonRpcStreamWriter(sys.stdout.buffer, ensure_ascii=False, escape_forward_slashes=False)
writer.write({"jsonrpc": "2.0", "method": "hello", "params": {"text": "from pylsp h\u00e9llo \u2713 \U0001F680"}})


def answer(msg):
    data = msg["params"]["text"].encode("utf-8")
    writer.write({"jsonrpc": "2.0", "id": msg["id"],
                  "result": {"text": msg["params"]["text"], "len": len(data), "crc32": zlib.crc32(data)}})


reader.listen(answer)
