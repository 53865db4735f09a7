#!/usr/bin/env python3
"""The issue-14 transport targets, worked out from `pipeframe bench --quick --json` runs.

Usage: python3 benches/targets.py RUN.json [RUN.json ...]

Every target is a ratio inside one run (absolute figures drift between runs on shared
machines); this prints, for each target, the median over the runs given, each run's ratio, and
whether the median meets the goal. Where the runs hold the rows for it, a "floor" column shows
the same ratio for what the target runs into without pipeframe: raw transfers of the frame's
wire size (run with `--sizes 64,64k,65540` for the 64 KiB round trips: 65,540 bytes is a
64 KiB payload plus its 4-byte header), or the runtime's own raw transport against blocking raw
(for the async / blocking targets). A target whose rows a run lacks (a transport or flavour left
out with --transports/--flavours) is shown as "-" for that run. Exit status 0 either way: this
reports, it does not judge a build.
"""

import json
import statistics
import sys

KIB64 = 65536


def value(rows, transport, flavour, size, metric, raw=False):
    """The row's value; `raw` picks the flavour's raw baseline instead of its framed row."""
    base = {"tokio-util": "tokio", "asynchronous-codec": "smol"}.get(flavour, flavour)
    for r in rows:
        if (
            r["transport"] == transport
            and r["size"] == size
            and r["metric"] == metric
            and (
                (raw and r["flavour"] == base and r["framing"] == "raw")
                or (not raw and r["flavour"] == flavour and r["framing"] != "raw")
            )
        ):
            return r["value"]
    return None


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def framed_over_raw(t, f, size=KIB64):
    return lambda rows: ratio(
        value(rows, t, f, size, "bytes_per_s"), value(rows, t, f, size, "bytes_per_s", raw=True)
    )


def rtt_framed_over_raw(t, f, size=KIB64):
    return lambda rows: ratio(
        value(rows, t, f, size, "rtt_ns"), value(rows, t, f, size, "rtt_ns", raw=True)
    )


def flavour_over(t, f, g, size, metric):
    return lambda rows: ratio(value(rows, t, f, size, metric), value(rows, t, g, size, metric))


def transport_over(t, u, f, size):
    return lambda rows: ratio(
        value(rows, t, f, size, "bytes_per_s"), value(rows, u, f, size, "bytes_per_s")
    )


def wire_64_over_raw_64k(t):
    # Framed 64 B frames carry a 4-byte header: lp32le, the bench's default framing (runs
    # made with another --framing need this changed).
    def f(rows):
        frames = value(rows, t, "blocking", 64, "msgs_per_s")
        raw = value(rows, t, "blocking", KIB64, "bytes_per_s", raw=True)
        return None if frames is None else ratio(frames * 68, raw)

    return f


def raw_over_raw(t, f, size, g, size2, metric):
    """A floor: raw `f` at `size` over raw `g` at `size2`."""
    return lambda rows: ratio(
        value(rows, t, f, size, metric, raw=True), value(rows, t, g, size2, metric, raw=True)
    )


WIRE64K = KIB64 + 4


# (name, goal, at_least, function of one run's rows[, floor: the same for raw transfers])
TARGETS = [
    ("pipe 64 KiB blocking framed/raw throughput", 0.98, True, framed_over_raw("pipe", "blocking"), raw_over_raw("pipe", "blocking", WIRE64K, "blocking", KIB64, "bytes_per_s")),
    ("pipe 64 KiB blocking framed/raw round trip", 1.05, False, rtt_framed_over_raw("pipe", "blocking"), raw_over_raw("pipe", "blocking", WIRE64K, "blocking", KIB64, "rtt_ns")),
    ("pipe / tcp framed 64 KiB blocking", 1.5, True, transport_over("pipe", "tcp", "blocking", KIB64)),
    ("pipe-64k 64 KiB blocking framed/raw", 0.95, True, framed_over_raw("pipe-64k", "blocking"), raw_over_raw("pipe-64k", "blocking", WIRE64K, "blocking", KIB64, "bytes_per_s")),
    ("64 B pipe framed wire B/s / raw 64 KiB B/s", 0.45, True, wire_64_over_raw_64k("pipe")),
    ("tokio / blocking 64 KiB pipe", 0.9, True, flavour_over("pipe", "tokio", "blocking", KIB64, "bytes_per_s"), raw_over_raw("pipe", "tokio", KIB64, "blocking", KIB64, "bytes_per_s")),
    ("smol / blocking 64 KiB pipe", 0.9, True, flavour_over("pipe", "smol", "blocking", KIB64, "bytes_per_s"), raw_over_raw("pipe", "smol", KIB64, "blocking", KIB64, "bytes_per_s")),
    ("tokio / blocking 64 KiB unix", 0.9, True, flavour_over("unix", "tokio", "blocking", KIB64, "bytes_per_s"), raw_over_raw("unix", "tokio", KIB64, "blocking", KIB64, "bytes_per_s")),
    ("smol / blocking 64 KiB unix", 0.9, True, flavour_over("unix", "smol", "blocking", KIB64, "bytes_per_s"), raw_over_raw("unix", "smol", KIB64, "blocking", KIB64, "bytes_per_s")),
    ("tokio 64 KiB pipe framed/raw round trip", 1.05, False, rtt_framed_over_raw("pipe", "tokio"), raw_over_raw("pipe", "tokio", WIRE64K, "tokio", KIB64, "rtt_ns")),
    ("smol 64 KiB pipe framed/raw round trip", 1.05, False, rtt_framed_over_raw("pipe", "smol"), raw_over_raw("pipe", "smol", WIRE64K, "smol", KIB64, "rtt_ns")),
    ("tokio / tokio-util 64 B frames/s pipe", 2.0, True, flavour_over("pipe", "tokio", "tokio-util", 64, "msgs_per_s")),
    ("tokio / tokio-util 64 B frames/s unix", 2.0, True, flavour_over("unix", "tokio", "tokio-util", 64, "msgs_per_s")),
    ("tokio / tokio-util 64 KiB pipe", 1.0, True, flavour_over("pipe", "tokio", "tokio-util", KIB64, "bytes_per_s")),
    ("tokio / tokio-util 64 KiB unix", 1.0, True, flavour_over("unix", "tokio", "tokio-util", KIB64, "bytes_per_s")),
    ("smol / asynchronous-codec 64 B pipe", 2.0, True, flavour_over("pipe", "smol", "asynchronous-codec", 64, "msgs_per_s")),
    ("smol / asynchronous-codec 64 B unix", 2.0, True, flavour_over("unix", "smol", "asynchronous-codec", 64, "msgs_per_s")),
]


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    runs = [json.load(open(p)) for p in paths]
    print("| target | goal | median (each run) | | floor: median (each run) |")
    print("| --- | --- | --- | --- | --- |")
    for name, goal, at_least, f, *floor in TARGETS:
        got = [f(rows) for rows in runs]
        fl = [floor[0](rows) for rows in runs] if floor else []
        fl_have = [x for x in fl if x is not None]
        fl_text = (
            f"{statistics.median(fl_have):.2f} ({' '.join('-' if x is None else f'{x:.2f}' for x in fl)})"
            if fl_have
            else ""
        )
        have = [g for g in got if g is not None]
        each = " ".join("-" if g is None else f"{g:.2f}" for g in got)
        if not have:
            print(f"| {name} | {'>=' if at_least else '<='} {goal} | - ({each}) | not measured | {fl_text} |")
            continue
        med = statistics.median(have)
        met = med >= goal if at_least else med <= goal
        sign = ">=" if at_least else "<="
        print(f"| {name} | {sign} {goal} | {med:.3f} ({each}) | {'met' if met else 'missed'} | {fl_text} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
