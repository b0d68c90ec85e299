#!/usr/bin/env python3
"""Turns criterion's terminal output into the BENCHMARKS.md table.

    cargo bench -p corun-benches --bench spawn 2>&1 | tee spawn.txt
    python3 benches/table.py spawn.txt timer.txt combinators.txt

Each row is one workload: the median time per runtime, and tokio's median divided by
corun's (above 1.0: corun is faster).
"""
import re
import sys

UNITS = {"ps": 1e-12, "ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
RUNTIMES = ["corun", "tokio", "async-executor"]


def parse(lines):
    medians = {}
    current = None
    for line in lines:
        head = re.match(r"^(\S+/\S+)", line)
        if head:
            current = head.group(1)
        time = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
        if time and current:
            medians[current] = float(time.group(1)) * UNITS[time.group(2)]
            current = None
    return medians


def show(seconds):
    for unit in ["s", "ms", "µs", "ns"]:
        value = seconds / UNITS[unit]
        if value >= 1:
            return f"{value:.3g} {unit}"
    return f"{seconds / UNITS['ps']:.3g} ps"


def main(paths):
    medians = {}
    for path in paths:
        with open(path, encoding="utf-8") as text:
            medians.update(parse(text))
    workloads = list(dict.fromkeys(key.split("/")[0] for key in medians))
    print("| workload | corun | tokio | async-executor | tokio ÷ corun |")
    print("|---|---|---|---|---|")
    for workload in workloads:
        times = [medians.get(f"{workload}/{runtime}") for runtime in RUNTIMES]
        cells = [show(t) if t else "—" for t in times]
        ratio = f"{times[1] / times[0]:.2f}" if times[0] and times[1] else "—"
        print(f"| {workload} | {' | '.join(cells)} | {ratio} |")


if __name__ == "__main__":
    main(sys.argv[1:])
