#!/usr/bin/env bash
# Runs every loom model, each in a process of its own, and reports each result.
#
# One process per model because a loom deadlock ends in a panic inside a destructor, which
# aborts the whole test binary: run together, one failing model would hide every result
# after it. Builds the crate once with `--cfg corun_loom` (its own target dir, so the
# normal build stays cached), then runs the test binary once per model with `--exact`.
#
#   bash loom-tests/run.sh                     # every model, LOOM_MAX_PREEMPTIONS=3
#   LOOM_MAX_PREEMPTIONS=2 bash loom-tests/run.sh task_   # models whose name has task_
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTFLAGS="--cfg corun_loom"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"
# A model that runs longer than this is reported as hung.
limit="${LOOM_MODEL_TIMEOUT:-300}"
filter="${1:-}"

binary=$(cargo test --release --lib --target-dir target/loom --no-run --message-format=json \
    | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
if [ -z "$binary" ]; then
    echo "loom-tests/run.sh: could not find the loom test binary" >&2
    exit 1
fi

mapfile -t models < <("$binary" --list --format terse | sed -n 's/: test$//p' | grep -F -- "$filter")
failed=()
for model in "${models[@]}"; do
    started=$SECONDS
    if output=$(timeout "$limit" "$binary" --exact "$model" 2>&1); then
        printf 'ok      %-90s %3ds\n' "$model" $((SECONDS - started))
    else
        status=$?
        printf 'FAILED  %-90s %3ds (exit %d)\n' "$model" $((SECONDS - started)) "$status"
        printf '%s\n' "$output" | grep -E 'panicked at|deadlock|assert|Model exceeded' \
            | head -n 5 | sed 's/^/        /'
        failed+=("$model")
    fi
done

echo "models run one per process at LOOM_MAX_PREEMPTIONS=$LOOM_MAX_PREEMPTIONS"
echo "loom: $((${#models[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
    printf 'failed: %s\n' "${failed[@]}"
    exit 1
fi
