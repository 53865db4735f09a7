"""Python multiprocessing.connection peer for tests/interop_python.rs.

    mp_peer.py listen PATH     Listener(PATH, family='AF_UNIX'), no authkey; prints "ready"
    mp_peer.py connect PATH    Client(PATH, family='AF_UNIX'), no authkey
    mp_peer.py pipe            Connection(0) to read, Connection(1) to write (inherited pipes)

Then, on the connection: first send_bytes of frames of the sizes in argv[3:] (or argv[2:]
for pipe), frame k holding bytes (i + k) % 251; then for every recv_bytes: send_bytes of
struct.pack("!QI", len, zlib.crc32(payload)), then send_bytes(payload) back; exit 0 at EOF.
"""
import struct
import sys
import zlib
from multiprocessing.connection import Client, Connection, Listener

BASE = bytes(range(251))


def peer_pattern(n, k):
    k %= 251
    return (BASE * (n // 251 + 2))[k:k + n]


def serve(rx, tx, sizes):
    for k, n in enumerate(sizes):
        tx.send_bytes(peer_pattern(n, k))
    while True:
        try:
            payload = rx.recv_bytes()
        except EOFError:
            return
        tx.send_bytes(struct.pack("!QI", len(payload), zlib.crc32(payload)))
        tx.send_bytes(payload)


def main():
    mode = sys.argv[1]
    if mode == "pipe":
        sizes = [int(s) for s in sys.argv[2:]]
        rx = Connection(0, writable=False)
        tx = Connection(1, readable=False)
        serve(rx, tx, sizes)
        return
    path, sizes = sys.argv[2], [int(s) for s in sys.argv[3:]]
    if mode == "listen":
        with Listener(path, family="AF_UNIX") as listener:
            print("ready", flush=True)
            with listener.accept() as conn:
                serve(conn, conn, sizes)
    elif mode == "connect":
        with Client(path, family="AF_UNIX") as conn:
            serve(conn, conn, sizes)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
