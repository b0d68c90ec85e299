#!/usr/bin/env bash
# HTTP/1.1 hello-world throughput: corun's `examples/http_server.rs` against the same
# server on tokio (`benches/bin/http_tokio.rs`), both hyper 1.x, under `wrk`.
#
#   bash benches/http.sh              # 5 rounds per server and worker count
#   ROUNDS=3 bash benches/http.sh
#   PIN=1 WORKERS_LIST=1 bash benches/http.sh   # 1 worker: server on CPU 0, wrk on CPU 1
#
# For 1 and 2 worker threads, each round starts each server on a free port, runs
# `wrk -t1 -c50 -d4s --latency` against it, and stops it with SIGINT (its graceful
# shutdown). The servers take turns, in an order rotated every round, so that a drift of
# the machine's speed during the run is spread over both. Unless PIN=1 (1 worker only),
# nothing is pinned: wrk and the server share the machine's cores, and the scheduler's
# placement of the three threads adds to the tail. The table shows the median requests per second and
# the median p99 latency of the rounds, and corun's ratio to tokio (req/s above 1.0 and
# p99 below 1.0: corun is better). `wrk` is installed with apt-get if it is missing.
set -euo pipefail

ROUNDS="${ROUNDS:-5}"
WORKERS_LIST="${WORKERS_LIST:-1 2}"
DURATION="${DURATION:-4s}"
CONNECTIONS="${CONNECTIONS:-50}"
PIN="${PIN:-0}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
scratch="$(mktemp -d)"
server_pid=""
server_addr=""

cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

install_wrk() {
    command -v wrk >/dev/null && return
    echo "installing wrk" >&2
    local sudo=""
    if [[ "$(id -u)" != 0 ]]; then
        sudo="sudo"
    fi
    $sudo apt-get update -qq >&2
    $sudo apt-get install -y -qq wrk >&2
}

# The binary of server $1.
binary() {
    case "$1" in
        corun) echo "$target/release/examples/http_server" ;;
        tokio) echo "$target/release/http_tokio" ;;
    esac
}

# With PIN=1: the command prefix that keeps a process on CPU $1.
pinned() {
    if [[ "$PIN" == 1 ]]; then
        echo taskset -c "$1"
    fi
}

# Starts server $1 with $2 workers; sets server_pid and server_addr.
start_server() {
    local out="$scratch/$1.out"
    : >"$out"
    $(pinned 0) "$(binary "$1")" --workers "$2" --addr 127.0.0.1:0 >"$out" 2>"$scratch/$1.err" &
    server_pid=$!
    server_addr=""
    for _ in $(seq 100); do
        server_addr="$(sed -n 's|^listening on http://||p' "$out")"
        [[ -n "$server_addr" ]] && return
        sleep 0.1
    done
    echo "$1 did not start:" >&2
    cat "$scratch/$1.err" >&2
    exit 1
}

# Stops the running server with SIGINT, and with SIGKILL if it has not exited 10 s later.
stop_server() {
    kill -INT "$server_pid"
    for _ in $(seq 100); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
        echo "server $server_pid ignored SIGINT for 10 s; killed" >&2
        kill -KILL "$server_pid"
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# wrk's output on stdin -> "requests_per_second p99_microseconds".
parse_wrk() {
    awk '
        function micros(value) {
            if (value ~ /us$/) return value + 0
            if (value ~ /ms$/) return value * 1000
            if (value ~ /s$/) return value * 1000000
            return value + 0
        }
        /^Requests\/sec:/ { rps = $2 }
        $1 == "99%" { p99 = micros($2) }
        END {
            if (rps == "" || p99 == "") exit 1
            printf "%s %s\n", rps, p99
        }'
}

# The median of the numbers on stdin, one a line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

if [[ "$PIN" == 1 && "$WORKERS_LIST" != 1 ]]; then
    echo "PIN=1 needs WORKERS_LIST=1: two workers and wrk cannot each have a core of two" >&2
    exit 2
fi
install_wrk
echo "building the servers (release)" >&2
(cd "$root" && cargo build --release --quiet --features hyper --example http_server)
(cd "$root" && cargo build --release --quiet -p corun-benches --bin http_tokio)

servers=(corun tokio)
for workers in $WORKERS_LIST; do
    for round in $(seq 0 $((ROUNDS - 1))); do
        for i in "${!servers[@]}"; do
            server="${servers[$(((i + round) % ${#servers[@]}))]}"
            start_server "$server" "$workers"
            result="$($(pinned 1) wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "http://$server_addr/" | parse_wrk)"
            stop_server
            echo "$result" >>"$scratch/$server-$workers.results"
            echo "workers $workers, round $((round + 1))/$ROUNDS, $server: $result (req/s, p99 µs)" >&2
        done
    done
done

echo
pinning="not pinned"
if [[ "$PIN" == 1 ]]; then
    pinning="server on CPU 0, wrk on CPU 1"
fi
echo "wrk -t1 -c$CONNECTIONS -d$DURATION, $pinning, median of $ROUNDS rounds; ratios are corun's over tokio's"
echo
echo "| workers | corun req/s | tokio req/s | corun ÷ tokio | corun p99 | tokio p99 | corun ÷ tokio |"
echo "|---|---|---|---|---|---|---|"
for workers in $WORKERS_LIST; do
    corun_rps="$(cut -d' ' -f1 "$scratch/corun-$workers.results" | median)"
    tokio_rps="$(cut -d' ' -f1 "$scratch/tokio-$workers.results" | median)"
    corun_p99="$(cut -d' ' -f2 "$scratch/corun-$workers.results" | median)"
    tokio_p99="$(cut -d' ' -f2 "$scratch/tokio-$workers.results" | median)"
    awk -v w="$workers" -v cr="$corun_rps" -v tr="$tokio_rps" -v cp="$corun_p99" -v tp="$tokio_p99" \
        'BEGIN { printf "| %s | %.0f | %.0f | %.2f | %.0f µs | %.0f µs | %.2f |\n", w, cr, tr, cr / tr, cp, tp, cp / tp }'
done
