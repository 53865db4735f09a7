"""multiprocessing.connection with an authkey, for tests/interop_authkey.rs.

    mp_auth.py listen PATH KEYHEX N   Listener(PATH, 'AF_UNIX', authkey); prints "ready", then
                                      accepts N connections. For each it prints one line:
                                      "ok" after the handshake (then it echoes every message
                                      as b"py:" + message until EOF), or "refused: ERROR"
                                      when the handshake failed, and goes on with the next.
    mp_auth.py connect PATH KEYHEX    Client(PATH, 'AF_UNIX', authkey): prints "ok", sends
                                      b"hello from python", prints the reply and closes; or
                                      prints "refused: ERROR" and exits 3.

Everything is multiprocessing.connection's own code: Listener.accept() and Client() run
deliver_challenge / answer_challenge with hmac, as the Python running this script has them
(3.11 and earlier: HMAC-MD5 only; 3.12 and later: {sha256} challenges, both answers).
"""
import sys
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Listener


def say(*words):
    print(*words, flush=True)


def echo(conn):
    while True:
        try:
            msg = conn.recv_bytes()
        except EOFError:
            return
        conn.send_bytes(b"py:" + msg)


def main():
    mode, path, key = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
    if mode == "listen":
        count = int(sys.argv[4])
        with Listener(path, family="AF_UNIX", authkey=key) as listener:
            say("ready")
            for _ in range(count):
                try:
                    conn = listener.accept()
                except (AuthenticationError, OSError, EOFError) as e:
                    say("refused:", type(e).__name__, e)
                    continue
                say("ok")
                with conn:
                    echo(conn)
    elif mode == "connect":
        try:
            conn = Client(path, family="AF_UNIX", authkey=key)
        except (AuthenticationError, OSError, EOFError) as e:
            say("refused:", type(e).__name__, e)
            sys.exit(3)
        say("ok")
        with conn:
            conn.send_bytes(b"hello from python")
            say(conn.recv_bytes().decode())
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
