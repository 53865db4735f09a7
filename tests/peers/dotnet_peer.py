"""A real .NET peer for tests/interop_dotnet_runtime.rs: drives the System.IO.Pipes classes of
the .NET Core 3.1 runtime (PyPI `dotnetcore2`) from Python through pythonnet, so no SDK and no
C# compiler are needed. Run with tests/peers/.venv-dotnet/bin/python (setup.sh makes it).

    dotnet_peer.py ROLE [options]

Roles (NAME is a .NET pipe name: the socket is $TMPDIR/CoreFxPipe_NAME on Unix):

    lp-server NAME        NamedPipeServerStream, BinaryReader/BinaryWriter frames
    lp-client NAME        NamedPipeClientStream(...).Connect(--timeout ms), the same frames
    line-server NAME      NamedPipeServerStream, StreamReader.ReadLine / StreamWriter.WriteLine
    line-client NAME      NamedPipeClientStream, the same lines
    anon-parent -- CMD... AnonymousPipeServerStream x2 (Out, In); starts CMD with the client
                          handle strings in PIPEFRAME_IN / PIPEFRAME_OUT, calls
                          DisposeLocalCopyOfClientHandle, then sends --greet frames, one at a
                          time, checking each echo; closes, waits for CMD and exits as it did
    anon-child IN OUT     AnonymousPipeClientStream(In, IN) and (Out, OUT): echoes frames

Options:
    --greet K       send K frames first: frame k is k*37 % 1000 bytes (or --big for the last),
                    byte i of frame k = (i + k) % 251 (lines: the text "greeting k")
    --big N         the last greeting frame is N bytes
    --write B64     (line roles) StreamWriter.Write(this UTF-8 text) first, then flush
    --bom           (line roles) new StreamWriter(stream, Encoding.UTF8): writes a BOM
    --cuo           PipeOptions.CurrentUserOnly
    --timeout MS    (client roles) Connect(MS); default 10000
    --first-try     (client roles) first a Connect(0), one attempt, which must find no server

After the greeting every role echoes: each frame (line) read is written back unchanged until
end of stream; then it prints "echoed N frames B bytes" on stdout and exits 0. "ready" is
printed on stdout when a server exists or right before a client connects (with --first-try,
once that first attempt found no server). Any .NET exception
is printed on stderr with exit status 1.
"""

import base64
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")

import clr_loader  # noqa: E402
import dotnetcore2  # noqa: E402
import pythonnet  # noqa: E402

_root = os.path.join(os.path.dirname(dotnetcore2.__file__), "bin")
_cfg = os.path.join(
    tempfile.gettempdir(), "pipeframe-dotnet-peer-%d.runtimeconfig.json" % os.getuid()
)
with open(_cfg + ".tmp%d" % os.getpid(), "w") as f:
    json.dump(
        {
            "runtimeOptions": {
                "tfm": "netcoreapp3.1",
                "framework": {"name": "Microsoft.NETCore.App", "version": "3.1.23"},
            }
        },
        f,
    )
os.replace(_cfg + ".tmp%d" % os.getpid(), _cfg)
pythonnet.set_runtime(clr_loader.get_coreclr(runtime_config=_cfg, dotnet_root=_root))

import clr  # noqa: E402

clr.AddReference("System.IO.Pipes")
from System import Array, Byte, Convert, Int32, TimeoutException  # noqa: E402
from System.IO import (  # noqa: E402
    BinaryReader,
    BinaryWriter,
    EndOfStreamException,
    HandleInheritability,
    StreamReader,
    StreamWriter,
)
from System.IO.Pipes import (  # noqa: E402
    AnonymousPipeClientStream,
    AnonymousPipeServerStream,
    NamedPipeClientStream,
    NamedPipeServerStream,
    PipeDirection,
    PipeOptions,
    PipeTransmissionMode,
)
from System.Text import Encoding, UTF8Encoding  # noqa: E402


def to_net(data):
    """Python bytes -> System.Byte[] (one call, not one per byte)."""
    if not data:
        return Array.CreateInstance(Byte, 0)
    return Convert.FromBase64String(base64.b64encode(data).decode("ascii"))


def from_net(arr):
    return base64.b64decode(Convert.ToBase64String(arr))


def pattern(n, k):
    return bytes((i + k) % 251 for i in range(n))


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Opts:
    def __init__(self, argv):
        self.greet = 0
        self.big = None
        self.write = None
        self.bom = False
        self.cuo = False
        self.timeout = 10000
        self.first_try = False
        self.rest = []
        it = iter(argv)
        for a in it:
            if a == "--":  # the rest is a command line (anon-parent)
                self.rest.extend(it)
                break
            if a == "--greet":
                self.greet = int(next(it))
            elif a == "--big":
                self.big = int(next(it))
            elif a == "--write":
                self.write = base64.b64decode(next(it)).decode("utf-8")
            elif a == "--bom":
                self.bom = True
            elif a == "--cuo":
                self.cuo = True
            elif a == "--timeout":
                self.timeout = int(next(it))
            elif a == "--first-try":
                self.first_try = True
            else:
                self.rest.append(a)

    def pipe_options(self):
        return PipeOptions.CurrentUserOnly if self.cuo else getattr(PipeOptions, "None")

    def greeting_sizes(self):
        sizes = [k * 37 % 1000 for k in range(self.greet)]
        if self.big is not None and sizes:
            sizes[-1] = self.big
        return sizes


def write_frame(w, data):
    # The articles' protocol: writer.Write(message.Length); writer.Write(message);
    w.Write.Overloads[Int32](Int32(len(data)))
    w.Write.Overloads[Array[Byte]](to_net(data))


def read_frame(r):
    """One frame, or None at end of stream (ReadInt32 throws EndOfStreamException)."""
    try:
        n = r.ReadInt32()
    except EndOfStreamException:
        return None
    arr = r.ReadBytes(n)
    if arr.Length != n:
        raise RuntimeError("stream ended inside a frame: %d of %d bytes" % (arr.Length, n))
    return arr


def lp_session(rstream, wstream, opts):
    r = BinaryReader(rstream)
    w = BinaryWriter(wstream)
    for k, n in enumerate(opts.greeting_sizes()):
        write_frame(w, pattern(n, k))
    w.Flush()
    frames = total = 0
    while True:
        arr = read_frame(r)
        if arr is None:
            break
        w.Write.Overloads[Int32](Int32(arr.Length))
        w.Write.Overloads[Array[Byte]](arr)
        w.Flush()
        frames += 1
        total += arr.Length
    say("echoed %d frames %d bytes" % (frames, total))


def line_session(stream, opts):
    if opts.bom:
        w = StreamWriter(stream, Encoding.UTF8)
    else:
        w = StreamWriter(stream)  # UTF-8, no byte order mark
    r = StreamReader(stream)
    if opts.write is not None:
        w.Write.Overloads[str](opts.write)
    for k in range(opts.greet):
        w.WriteLine.Overloads[str]("greeting %d" % k)
    w.Flush()
    frames = total = 0
    while True:
        line = r.ReadLine()
        if line is None:
            break
        w.WriteLine.Overloads[str](line)
        w.Flush()
        frames += 1
        total += len(line)
    say("echoed %d frames %d chars" % (frames, total))


def named_server(name, opts):
    s = NamedPipeServerStream(
        name, PipeDirection.InOut, 1, PipeTransmissionMode.Byte, opts.pipe_options()
    )
    say("ready")
    s.WaitForConnection()
    return s


def named_client(name, opts):
    c = NamedPipeClientStream(".", name, PipeDirection.InOut, opts.pipe_options())
    if opts.first_try:
        try:
            c.Connect(0)
        except TimeoutException:
            pass
        else:
            raise RuntimeError("Connect(0) found a server before the test made one")
    say("ready")
    c.Connect(opts.timeout)
    return c


def anon_parent(opts):
    to_child = AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.Inheritable)
    from_child = AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable)
    h_in = to_child.GetClientHandleAsString()
    h_out = from_child.GetClientHandleAsString()
    env = dict(os.environ, PIPEFRAME_IN=h_in, PIPEFRAME_OUT=h_out)
    # The child's stdout is not ours to report on: only its exit status and stderr count.
    child = subprocess.Popen(
        opts.rest, env=env, pass_fds=(int(h_in), int(h_out)), stdout=subprocess.DEVNULL
    )
    # Without these the parent's copies keep the pipes open and nobody sees end of stream.
    to_child.DisposeLocalCopyOfClientHandle()
    from_child.DisposeLocalCopyOfClientHandle()
    w = BinaryWriter(to_child)
    r = BinaryReader(from_child)
    sizes = opts.greeting_sizes()
    for k, n in enumerate(sizes):
        data = pattern(n, k)
        write_frame(w, data)
        w.Flush()
        echo = read_frame(r)
        if echo is None:
            raise RuntimeError("child closed before echoing frame %d" % k)
        if from_net(echo) != data:
            raise RuntimeError("echo of frame %d (%d bytes) differs" % (k, n))
    w.Dispose()  # the child reads end of stream
    if read_frame(r) is not None:
        raise RuntimeError("child sent a frame after the last echo")
    code = child.wait()
    say("echoed %d frames %d bytes" % (len(sizes), sum(sizes)))
    return code


def main():
    role = sys.argv[1]
    opts = Opts(sys.argv[2:])
    try:
        if role == "lp-server":
            s = named_server(opts.rest[0], opts)
            lp_session(s, s, opts)
            s.Dispose()
        elif role == "lp-client":
            c = named_client(opts.rest[0], opts)
            lp_session(c, c, opts)
            c.Dispose()
        elif role == "line-server":
            s = named_server(opts.rest[0], opts)
            line_session(s, opts)
            s.Dispose()
        elif role == "line-client":
            c = named_client(opts.rest[0], opts)
            line_session(c, opts)
            c.Dispose()
        elif role == "anon-parent":
            return anon_parent(opts)
        elif role == "anon-child":
            rx = AnonymousPipeClientStream(PipeDirection.In, opts.rest[0])
            tx = AnonymousPipeClientStream(PipeDirection.Out, opts.rest[1])
            lp_session(rx, tx, opts)
            tx.Dispose()
            rx.Dispose()
        elif role == "version":
            from System import Environment

            say("%s %r" % (Environment.Version, Environment.NewLine))
        else:
            raise SystemExit("unknown role " + role)
    except Exception as e:  # .NET exceptions arrive as Python exceptions
        sys.stderr.write("%s: %s: %s\n" % (role, type(e).__name__, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
