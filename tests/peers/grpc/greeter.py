"""grpcio's Greeter (helloworld.proto), as in grpc/grpc's examples/python/helloworld.

    greeter.py server unix:PATH        prints "listening", serves until killed
    greeter.py client unix:PATH NAME   prints the reply's message
"""
import os
import sys
from concurrent import futures

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".venv", "grpc_stubs"))

import grpc  # noqa: E402
import helloworld_pb2  # noqa: E402
import helloworld_pb2_grpc  # noqa: E402


class Greeter(helloworld_pb2_grpc.GreeterServicer):
    def SayHello(self, request, context):
        return helloworld_pb2.HelloReply(message="Hello " + request.name)


def main():
    mode, target = sys.argv[1], sys.argv[2]
    if mode == "server":
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        helloworld_pb2_grpc.add_GreeterServicer_to_server(Greeter(), server)
        server.add_insecure_port(target)
        server.start()
        print("listening", flush=True)
        server.wait_for_termination()
    else:
        # grpcio (C core >= 1.57) sends the URL-encoded socket path as :authority on unix:
        # targets, which h2 (tonic's HTTP/2) and Kestrel reject with RST_STREAM(PROTOCOL_ERROR);
        # name a host instead, as grpc-go does for Unix sockets.
        options = [("grpc.default_authority", "localhost")]
        with grpc.insecure_channel(target, options=options) as channel:
            stub = helloworld_pb2_grpc.GreeterStub(channel)
            reply = stub.SayHello(helloworld_pb2.HelloRequest(name=sys.argv[3]), timeout=20)
            print(reply.message, flush=True)


main()
