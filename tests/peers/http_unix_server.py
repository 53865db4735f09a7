"""An HTTP/1.1 server from Python's stdlib (http.server) on a Unix socket.

    http_unix_server.py PATH    prints "listening", serves until killed

GET /missing answers 404; any other GET 200 with "python saw GET <path> host=<Host>\n".
"""
import http.server
import socketserver
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        status = 404 if self.path == "/missing" else 200
        body = f"python saw GET {self.path} host={self.headers.get('Host')}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self):
        return "unix"  # a Unix socket peer has no (host, port)

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


with Server(sys.argv[1], Handler) as server:
    print("listening", flush=True)
    server.serve_forever()
