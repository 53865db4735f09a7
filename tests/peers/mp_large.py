"""The >2 GiB header form of multiprocessing.connection, without 2 GiB of data.

    mp_large.py send N    Connection(1)._send_bytes (Python's own header logic) of an object
                          whose len() is N but which holds only 5 real bytes, b"tail!": the
                          wire gets Python's header for N, then those 5 bytes.
    mp_large.py recv      Connection(0)._recv_bytes() (Python's own header parsing) on what we
                          send; prints the sizes it asks the stream for ("4 8 N"), stopping
                          before it would read a payload over 1 MiB.
"""
import sys
from multiprocessing.connection import Connection


class Claimed:
    """len() says N; only `real` goes on the wire."""

    def __init__(self, n, real):
        self.n, self.real = n, real

    def __len__(self):
        return self.n


class Stop(Exception):
    pass


def main():
    if sys.argv[1] == "send":
        conn = Connection(1, readable=False)
        real_send = conn._send

        def send(buf):
            real_send(buf.real if isinstance(buf, Claimed) else buf)

        conn._send = send
        conn._send_bytes(Claimed(int(sys.argv[2]), b"tail!"))
        conn.close()
    elif sys.argv[1] == "recv":
        conn = Connection(0, writable=False)
        real_recv = conn._recv
        asked = []

        def recv(size):
            asked.append(size)
            if size > 1 << 20:
                raise Stop
            return real_recv(size)

        conn._recv = recv
        try:
            conn._recv_bytes()
        except Stop:
            pass
        sys.stdout.write(" ".join(map(str, asked)) + "\n")


if __name__ == "__main__":
    main()
