#!/usr/bin/env bash
# Instructions per operation on a one-worker runtime, counted by callgrind, for corun,
# tokio and async-executor: the stable numbers behind BENCHMARKS.md's instruction table.
#
# Each (runtime, workload) runs twice, with N1 and N2 operations (benches/instructions.rs);
# (instructions(N2) - instructions(N1)) / (N2 - N1) is the cost of one operation, start-up,
# shutdown and the bench thread cancelling out. The count still moves by a few percent
# between runs: corun and tokio tune how often a busy worker looks outside its queue from
# the time its polls take, and under valgrind everything takes ~50x longer. So each value is
# the median of three such pairs. Installs valgrind if missing.
#
#   bash benches/instructions.sh                 # every workload
#   bash benches/instructions.sh spawn_join      # one
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi

# The bench's own executable: cargo also reports the package's binaries (http_*) it built.
binary=$(cargo bench -p corun-benches --bench instructions --no-run --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*"' | cut -d'"' -f4 | grep '/deps/instructions-' | tail -n 1)
[ -x "$binary" ] || { echo "instructions.sh: no bench binary" >&2; exit 1; }

n1=1000
n2=11000
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(spawn_join gather_child yield sleep_ready tcp_round_trip)

# Total instructions of one run (all threads).
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$binary" "$@" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

echo "| workload | corun | tokio | async-executor |"
echo "|---|---|---|---|"
# Instructions of one operation, from one pair of runs.
per_operation() {
    local small large
    small=$(count "$1" "$2" "$n1")
    large=$(count "$1" "$2" "$n2")
    # More operations must cost more: anything else means the binary ignored its arguments.
    if [ -z "$small" ] || [ -z "$large" ] || [ "$large" -le "$small" ]; then
        echo "instructions.sh: $binary $1 $2 counted ${small:-nothing} then ${large:-nothing}" >&2
        exit 1
    fi
    echo $(( (large - small) / (n2 - n1) ))
}

for workload in "${workloads[@]}"; do
    row="| $workload |"
    for runtime in corun tokio async-executor; do
        median=$(for _ in 1 2 3; do per_operation "$runtime" "$workload"; done | sort -n | sed -n 2p)
        row="$row $median |"
    done
    echo "$row"
done
