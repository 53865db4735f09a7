#!/usr/bin/env python3
"""The transport targets, worked out from `pipeframe bench --json` runs.

Usage: python3 benches/targets.py [--all] [--sizes] RUN.json [RUN.json ...]

Every figure in a run has one sample per round, and rounds are interleaved (every measurement
once per round, raw and framed side by side), so every ratio here is worked out round by
round: each round's figure over the same round's other figure, then the median of those
per-round ratios. That is one run's value of a target. Given several runs, this prints the
median over the runs, each run's value, and the spread across runs (largest over smallest,
minus one: the figure the 5% goal is about).

Where a target runs into something pipeframe cannot move, the "floor" is the same ratio for
raw transfers measured in the same run: raw transfers of a 64 KiB frame's wire size (65,540
bytes with lp32le: `pipeframe bench` measures those raw rows beside every size of 64 KiB and
up) against raw 64 KiB, or the runtime's own raw transport against blocking raw. Such a target
is then also set against its floor: framed over the floor's raw figure, in the same flavour,
>= 0.98 (a round trip: <= 1/0.98).

`--all` also prints, across the runs given, the spread of every ratio the bench table shows
(f/raw, f/tcp, f/blk, rtt f/r): how many are within 5%, and the widest.

`--sizes` also prints framed/raw throughput by frame size, one row per transport and flavour
(peers included), the median over the runs of each run's paired ratio.

A target whose rows a run lacks (a transport or flavour left out) is shown as "-" for that run.
Exit status 0 either way: this reports, it does not judge a build.
"""

import json
import statistics
import sys

KIB64 = 65536
WIRE64K = KIB64 + 4
PEER_BASE = {"tokio-util": "tokio", "asynchronous-codec": "smol"}
STREAMS = ["pipe", "pipe-64k", "unix", "tcp"]
FLAVOURS = ["blocking", "tokio", "smol"]


def find(rows, transport, flavour, size, metric, raw=False):
    """The row; `raw` picks the flavour's raw baseline (a peer's: its base flavour's)."""
    base = PEER_BASE.get(flavour, flavour)
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
            return r
    return None


def paired(a, b, scale=1.0):
    """Median over rounds of scale * a[i] / b[i]; None if a row is missing."""
    if a is None or b is None:
        return None
    ratios = [scale * x / y for x, y in zip(a["samples"], b["samples"]) if y > 0]
    return statistics.median(ratios) if ratios else None


def R(transport, flavour, size, metric, raw=False):
    """A row selector."""
    return (transport, flavour, size, metric, raw)


def ratio(num, den, scale=1.0):
    return lambda rows: paired(find(rows, *num), find(rows, *den), scale)


def tp(t, f, size=KIB64, raw=False):
    return R(t, f, size, "bytes_per_s", raw)


def rtt(t, f, size=KIB64, raw=False):
    return R(t, f, size, "rtt_ns", raw)


def fps(t, f, size):
    return R(t, f, size, "msgs_per_s")


# (name, goal, at_least, value, floor, against_floor)
#   value, floor, against_floor: functions of one run's rows (floor and against_floor None
#   where the target does not run into a floor). against_floor's goal is 0.98 (>=) or 1/0.98
#   (<=), the direction of the target.
TARGETS = [
    ("pipe 64 KiB blocking framed/raw throughput", 0.98, True,
     ratio(tp("pipe", "blocking"), tp("pipe", "blocking", raw=True)),
     ratio(tp("pipe", "blocking", WIRE64K, True), tp("pipe", "blocking", raw=True)),
     ratio(tp("pipe", "blocking"), tp("pipe", "blocking", WIRE64K, True))),
    *[
        (f"pipe 64 KiB {f} framed/raw round trip", 1.05, False,
         ratio(rtt("pipe", f), rtt("pipe", f, raw=True)),
         ratio(rtt("pipe", f, WIRE64K, True), rtt("pipe", f, raw=True)),
         ratio(rtt("pipe", f), rtt("pipe", f, WIRE64K, True)))
        for f in FLAVOURS
    ],
    ("pipe-64k 64 KiB blocking framed/raw", 0.95, True,
     ratio(tp("pipe-64k", "blocking"), tp("pipe-64k", "blocking", raw=True)),
     ratio(tp("pipe-64k", "blocking", WIRE64K, True), tp("pipe-64k", "blocking", raw=True)),
     ratio(tp("pipe-64k", "blocking"), tp("pipe-64k", "blocking", WIRE64K, True))),
    ("pipe / tcp framed 64 KiB blocking", 1.5, True,
     ratio(tp("pipe", "blocking"), tp("tcp", "blocking")), None, None),
    # Framed 64 B frames carry a 4-byte header: lp32le, the bench's default framing (runs
    # made with another --framing need this changed).
    ("64 B pipe framed wire B/s / raw 64 KiB B/s", 0.45, True,
     ratio(fps("pipe", "blocking", 64), tp("pipe", "blocking", raw=True), 68.0), None, None),
    *[
        (f"{f} / blocking 64 KiB {t}", 0.9, True,
         ratio(tp(t, f), tp(t, "blocking")),
         ratio(tp(t, f, raw=True), tp(t, "blocking", raw=True)),
         ratio(tp(t, f), tp(t, f, raw=True)))
        for t in ["pipe", "unix"]
        for f in ["tokio", "smol"]
    ],
    *[
        (f"{f} / {peer} {what} {t}", goal, True, ratio(m(t, f), m(t, peer)), None, None)
        for f, peer in [("tokio", "tokio-util"), ("smol", "asynchronous-codec")]
        for what, goal, m in [
            ("64 B frames/s", 2.0, lambda t, f: fps(t, f, 64)),
            ("64 KiB", 1.0, lambda t, f: tp(t, f)),
        ]
        for t in ["pipe", "unix"]
    ],
]


def sweep(rows):
    """Per stream transport and pipeframe flavour: the smallest framed/raw over the sizes in
    the run (and framed over raw transfers of the frame's wire size, where the run measured
    them: sizes of 64 KiB and up), and the largest fall of framed throughput from one size to the next larger, with
    raw's own fall over the same step (the transport's, which framing cannot undo)."""
    out = {}
    sizes = sorted({r["size"] for r in rows if r["framing"] != "raw"})
    for t in STREAMS:
        for f in FLAVOURS:
            ratios, falls, prev = [], [], None
            for s in sizes:
                fr, raw = find(rows, *tp(t, f, s)), find(rows, *tp(t, f, s, True))
                if fr is None or raw is None:
                    continue
                # Against raw transfers of the frame's wire size, where the run has them.
                wire = find(rows, *tp(t, f, s + 4, True))
                ratios.append((paired(fr, raw), s, paired(fr, wire) if wire else None))
                if prev is not None:
                    fall = 1 - fr["value"] / prev[0]["value"]
                    raw_fall = 1 - raw["value"] / prev[1]["value"]
                    falls.append((fall, prev[2], s, raw_fall))
                prev = (fr, raw, s)
            if ratios:
                out[(t, f)] = (min(ratios), max(falls) if falls else None)
    return out


def fmt_runs(vals):
    return " ".join("-" if v is None else f"{v:.2f}" for v in vals)


def summary(vals):
    have = [v for v in vals if v is not None]
    if not have:
        return None, None
    spread = max(have) / min(have) - 1 if len(have) > 1 else 0.0
    return statistics.median(have), spread


def table_ratios(rows):
    """Every ratio the bench table prints, keyed by (transport, flavour, size, column)."""
    idx = {}
    for r in rows:
        idx[(r["transport"], r["flavour"], r["framing"] == "raw", r["size"], r["metric"])] = r
    out = {}
    for (t, f, raw, s, m), r in idx.items():
        if raw:
            continue
        base = PEER_BASE.get(f, f)
        if m in ("bytes_per_s", "rtt_ns"):
            col = "f/raw" if m == "bytes_per_s" else "rtt f/r"
            out[(t, f, s, col)] = paired(r, idx.get((t, base, True, s, m)))
        if m == "bytes_per_s" and t != "tcp":
            out[(t, f, s, "f/tcp")] = paired(r, idx.get(("tcp", f, False, s, m)))
        if m == "bytes_per_s" and f != "blocking":
            out[(t, f, s, "f/blk")] = paired(r, idx.get((t, "blocking", False, s, m)))
    return {k: v for k, v in out.items() if v is not None}


def size_name(z):
    if z % (1 << 20) == 0:
        return f"{z >> 20} MiB"
    if z % 1024 == 0:
        return f"{z >> 10} KiB"
    return f"{z} B"


def main(args):
    all_ratios = "--all" in args
    by_size = "--sizes" in args
    paths = [a for a in args if a not in ("--all", "--sizes")]
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    runs = [json.load(open(p)) for p in paths]
    print("| target | goal | median (each run) | spread | | floor | against the floor |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, goal, at_least, value, floor, against in TARGETS:
        sign = ">=" if at_least else "<="
        got = [value(rows) for rows in runs]
        med, spread = summary(got)
        fl_text = against_text = ""
        if floor is not None:
            fl = [floor(rows) for rows in runs]
            fl_med, _ = summary(fl)
            if fl_med is not None:
                fl_text = f"{fl_med:.3f} ({fmt_runs(fl)})"
            ag = [against(rows) for rows in runs]
            ag_med, ag_spread = summary(ag)
            if ag_med is not None:
                ag_goal = 0.98 if at_least else 1 / 0.98
                ok = ag_med >= ag_goal if at_least else ag_med <= ag_goal
                against_text = (
                    f"{sign} {ag_goal:.2f}: {ag_med:.3f} ({fmt_runs(ag)}), spread "
                    f"{ag_spread:.1%}, {'met' if ok else 'missed'}"
                )
        if med is None:
            print(f"| {name} | {sign} {goal} | - ({fmt_runs(got)}) | - | not measured | {fl_text} | {against_text} |")
            continue
        met = med >= goal if at_least else med <= goal
        print(
            f"| {name} | {sign} {goal} | {med:.3f} ({fmt_runs(got)}) | {spread:.1%} | "
            f"{'met' if met else 'missed'} | {fl_text} | {against_text} |"
        )

    sweeps = [sweep(rows) for rows in runs]
    keys = [k for k in sweeps[0] if all(k in s for s in sweeps)]
    if keys:
        print()
        print("| transport, flavour | smallest framed/raw (size), each run | largest fall to the next size (raw's fall there), each run |")
        print("| --- | --- | --- |")
        for k in keys:
            lows = " ".join(
                f"{s[k][0][0]:.2f} ({s[k][0][1]}"
                + ("" if s[k][0][2] is None else f"; {s[k][0][2]:.2f} of raw at the wire size")
                + ")"
                for s in sweeps
            )
            falls = " ".join(
                "-"
                if s[k][1] is None
                else f"{s[k][1][0]:.0%} ({s[k][1][1]}->{s[k][1][2]}; raw {s[k][1][3]:.0%})"
                for s in sweeps
            )
            print(f"| {k[0]}, {k[1]} | {lows} | {falls} |")

    if by_size:
        per_run = [table_ratios(rows) for rows in runs]
        sizes = sorted({k[2] for r in per_run for k in r if k[3] == "f/raw"})
        pairs = []
        for r in runs[0]:
            key = (r["transport"], r["flavour"])
            if r["framing"] != "raw" and key not in pairs:
                pairs.append(key)
        print()
        print("| transport, flavour | " + " | ".join(size_name(z) for z in sizes) + " |")
        print("| --- |" + " ---: |" * len(sizes))
        for t, f in pairs:
            cells = []
            for z in sizes:
                vals = [r[(t, f, z, "f/raw")] for r in per_run if (t, f, z, "f/raw") in r]
                cells.append(f"{statistics.median(vals):.2f}" if vals else "-")
            print(f"| {t}, {f} | " + " | ".join(cells) + " |")

    if all_ratios and len(runs) > 1:
        per_run = [table_ratios(rows) for rows in runs]
        keys = set.intersection(*(set(r) for r in per_run))
        spreads = sorted(
            ((max(r[k] for r in per_run) / min(r[k] for r in per_run) - 1, k) for k in keys),
            reverse=True,
        )
        within = sum(1 for s, _ in spreads if s <= 0.05)
        print()
        print(
            f"{len(spreads)} table ratios across {len(runs)} runs: {within} within 5%, "
            f"median spread {statistics.median(s for s, _ in spreads):.1%}; the widest:"
        )
        for s, k in spreads[:15]:
            vals = " ".join(f"{r[k]:.3f}" for r in per_run)
            print(f"  {s:6.1%}  {k[0]} {k[1]} {k[2]} {k[3]}: {vals}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
