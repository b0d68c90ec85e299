#!/usr/bin/env bash
# Runs a subset of the integration tests under valgrind's memcheck; fails if memcheck
# reports any error (invalid read or write, use of uninitialised memory, a bad free) or
# any *definitely lost* block at exit, or if a test fails under valgrind.
#
# What it checks: the unsafe code (src/task: the raw task, its vtable, wakers, join
# handles; the bits in combinators and group) frees each task once and never touches it
# afterwards, and a dropped runtime leaves no allocation behind, even when it is dropped
# with tasks queued, sleeping, blocked or mid-spawn (tests/leak.rs counts bytes, but only
# memcheck can say *which* allocation leaked, and it also sees frees of the wrong size or
# twice). "Possibly lost" and "still reachable" blocks are not errors: std's and
# crossbeam-epoch's per-thread state, and the test harness's, is legitimately kept until
# exit (or freed lazily), and no suppressions file is needed for the subset below.
#
# Why this subset (measured on 2 cores; valgrind runs a program ~20-50x slower, and one
# thread at a time): the binaries that drive the task lifecycle, shutdown and unsafe
# code, ~1.5 min in all under valgrind, so the step stays well under 5 minutes:
#   leak shutdown join_handle callback_panics spawn blocking builder group timer
#   shield dump time combinators yield_fairness net_errors net_udp net_unix net_fd
#   async_fd
# (the net binaries: sockets registered, dropped, and outliving their runtime, ~20 s;
# async_fd: descriptors made non-blocking by `fcntl`, a MiB through a pipe)
# Left out: net_tcp (a 64 MiB transfer and 1 000 connections: minutes under valgrind,
# and its lifecycles are net_errors'), stress (millions of wakes: hours under valgrind), memory (its counts are
# the point, and leak covers giving memory back), compile_fail (trybuild runs cargo
# and rustc, not corun).
# Skipped tests: none (the `skips` table below takes `binary -> test names` if one must be).
# The watchdog (tests/common LIMIT, 60 s per test): the slowest test here takes ~10 s
# under valgrind (spawn::hundred_thousand_tasks_spawned_from_a_task), so none needs
# skipping for it; a watchdog abort shows up as "aborted (SIGABRT)" below.
#
# Debug build, not release: CI's `cargo test` step has already built exactly these
# binaries (same profile, same target dir), so nothing is rebuilt here, and debug builds
# carry the debug assertions and full line info for memcheck's stack traces. (A release
# build of the subset costs ~50 s and saves ~20 s of valgrind time.)
#
# valgrind options: --fair-sched=yes because valgrind runs one thread at a time, and its
# default lock lets a busy thread (a worker polling yield loops) win it again and again:
# without it tests/leak.rs took 7-36 s and tripped the watchdog in 2 runs of 12; with it,
# 7-12 s in 12 of 12 (and yield_fairness dropped from 17 s to 2 s); RUST_TEST_THREADS=1 so each test gets the
# whole (serialised) CPU and the watchdog margin is the one measured above.
# --gen-suppressions=all writes a ready suppression after each error in the log, should
# a false positive ever need one; a file .ci/valgrind.supp is used if present.
#
# Installs valgrind with apt-get if it is missing (needs root, as in CI). Works from any
# directory. Logs: target/valgrind/<binary>.{test,memcheck}.log. Environment knobs:
# CARGO_TARGET_DIR as for cargo; VALGRIND_TIMEOUT (seconds per binary, default 600);
# VALGRIND_TESTS="leak spawn" to run only those test binaries.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The binaries to run, and the tests to skip in each (space-separated, see above).
binaries=(leak shutdown join_handle callback_panics spawn blocking builder group timer
    shield dump time combinators yield_fairness net_errors net_udp net_unix net_fd async_fd)
if [[ -n ${VALGRIND_TESTS:-} ]]; then
    read -r -a binaries <<<"$VALGRIND_TESTS"
fi
declare -A skips=()
per_binary_timeout=${VALGRIND_TIMEOUT:-600}

die() {
    printf 'valgrind.sh: error: %s\n' "$*" >&2
    exit 1
}

# --- valgrind itself -------------------------------------------------------------------
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind is not installed; installing it with apt-get"
    [[ $(id -u) -eq 0 ]] ||
        die "valgrind is missing and this is not root, so it cannot be installed: install it (apt-get install valgrind) or run as root"
    command -v apt-get >/dev/null 2>&1 ||
        die "valgrind is missing and there is no apt-get to install it with"
    apt_log=$(mktemp)
    if ! { apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind; } \
        >"$apt_log" 2>&1; then
        cat "$apt_log" >&2
        die "could not install valgrind with apt-get (output above)"
    fi
    rm -f "$apt_log"
    command -v valgrind >/dev/null 2>&1 || die "apt-get installed valgrind, but it is not on PATH"
fi
echo "using $(valgrind --version)"

# --- build, and find each test binary --------------------------------------------------
test_args=()
for name in "${binaries[@]}"; do
    test_args+=(--test "$name")
done
cargo test --no-run "${test_args[@]}"

# The executable of the test target `$1`, from cargo's JSON messages (the build above
# made it, so this is only a lookup): the one artifact with a non-null "executable".
executable_of() {
    local found
    found=$(cargo test --no-run --test "$1" --message-format=json-render-diagnostics 2>/dev/null |
        grep -o '"executable":"[^"]*"' | cut -d'"' -f4) || true
    [[ -n $found && $(wc -l <<<"$found") -eq 1 && -x $found ]] ||
        die "could not find the test binary of --test $1 (cargo said: '${found}')"
    printf '%s\n' "$found"
}

log_dir=${CARGO_TARGET_DIR:-target}/valgrind
mkdir -p "$log_dir"
log_dir=$(cd "$log_dir" && pwd)

valgrind_args=(
    --tool=memcheck
    --leak-check=full
    --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite
    --error-exitcode=99
    --fair-sched=yes
    --num-callers=30
    --gen-suppressions=all
)
if [[ -f .ci/valgrind.supp ]]; then
    valgrind_args+=(--suppressions=.ci/valgrind.supp)
fi

# Prints memcheck's error records and "definitely lost" leak records from log $1, each cut
# to its first frames, without the suppression templates, the "indirectly"/"possibly
# lost" records (each hangs off a definite one, or is not an error) and the banner.
print_errors() {
    awk '
        function flush(   i) {
            if (n > 0 && rec[0] !~ /^Memcheck, a memory error detector/ &&
                rec[0] !~ /(indirectly|possibly) lost in loss record/ &&
                rec[0] !~ /^(Reachable blocks|For lists of detected|For counts of detected)/) {
                for (i = 0; i < n && i < 24; i++) print rec[i]
                if (n > 24) print "   ... (" n - 24 " more frames in the log)"
                print ""
            }
            n = 0
        }
        /^\{$/ { supp = 1 }
        supp { if ($0 ~ /^\}$/) supp = 0; next }
        { line = $0; sub(/^==[0-9]+== ?/, "", line) }
        line == "" { flush(); next }
        { rec[n++] = line }
        END { flush() }
    ' "$1" | head -n 600
}

# --- run each under memcheck -----------------------------------------------------------
failed=()
start_all=$SECONDS
for name in "${binaries[@]}"; do
    exe=$(executable_of "$name")
    test_log=$log_dir/$name.test.log
    vg_log=$log_dir/$name.memcheck.log
    harness_args=()
    for skip in ${skips[$name]:-}; do
        harness_args+=(--skip "$skip")
    done
    printf '\n--- %s under memcheck%s\n' "$name" \
        "${skips[$name]:+ (skipping: ${skips[$name]})}"
    started=$(date +%s.%N)
    rc=0
    RUST_TEST_THREADS=1 timeout --kill-after=30 "$per_binary_timeout" \
        valgrind "${valgrind_args[@]}" --log-file="$vg_log" \
        "$exe" "${harness_args[@]}" >"$test_log" 2>&1 || rc=$?
    took=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

    errors=$(grep -o 'ERROR SUMMARY: [0-9,]* errors from [0-9,]* contexts' "$vg_log" | tail -n 1) || true
    lost=$(grep -o 'definitely lost: .*' "$vg_log" | tail -n 1) || true
    # No LEAK SUMMARY at all when nothing was allocated at exit.
    [[ -n $lost ]] || lost="definitely lost: 0 bytes (all heap blocks freed)"
    result=$(grep -o 'test result: .*' "$test_log" | tail -n 1) || true
    printf '%s: %ss; %s; %s\n' "$name" "$took" "${errors:-no ERROR SUMMARY}" "$lost"
    printf '%s: %s\n' "$name" "${result:-no test result}"

    # Why it failed, if it did: memcheck's verdict and the tests' are separate (status 99
    # from memcheck hides the harness's 101, so a failed test is also read off its output).
    why=""
    if [[ -z $errors ]]; then
        why="no ERROR SUMMARY from memcheck"
    elif [[ ! $errors =~ ^'ERROR SUMMARY: 0 errors' ]]; then
        why="memcheck reported errors"
    fi
    case $rc in
        0 | 99) [[ $result != *FAILED* ]] || why="${why:+$why; }a test failed under valgrind" ;;
        101) why="${why:+$why; }a test failed under valgrind" ;;
        124 | 137) why="${why:+$why; }still running after ${per_binary_timeout}s (killed)" ;;
        134) why="${why:+$why; }aborted (SIGABRT: the tests' watchdog, or an abort in a test)" ;;
        *) why="${why:+$why; }exited with status $rc" ;;
    esac
    if [[ -n $why ]]; then
        failed+=("$name ($why)")
        printf '%s: FAILED: %s\n' "$name" "$why"
        printf '%s\n' "--- $name: test output ($test_log), the end:"
        tail -n 60 "$test_log"
        printf '%s\n' "--- $name: memcheck's errors and definite leaks ($vg_log):"
        print_errors "$vg_log"
    fi
done

printf '\nmemcheck: %d binaries in %ds\n' "${#binaries[@]}" "$((SECONDS - start_all))"
if ((${#failed[@]})); then
    printf 'memcheck FAILED:\n' >&2
    printf '  %s\n' "${failed[@]}" >&2
    printf 'logs in %s\n' "$log_dir" >&2
    exit 1
fi
echo "memcheck passed: no errors, nothing definitely lost"
