#!/usr/bin/env bash
# Runs the fuzz targets one after another, each for SECONDS (default 20) after replaying its
# committed corpus (fuzz/corpus/<target>/), and fails on the first crash, timeout or OOM.
# New inputs go to a scratch directory, so the committed corpus does not grow.
#
#   fuzz/run.sh [SECONDS] [TARGET...]        (all targets when none is named)
#
# Works on stable Rust: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags, and `-s none`
# builds without a sanitizer (every crate here forbids `unsafe`; libFuzzer still catches panics,
# timeouts and memory blow-ups). Installs cargo-fuzz if it is missing.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-20}"
shift || true
export RUSTC_BOOTSTRAP=1 CARGO_INCREMENTAL=0

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi

# Per-input time limits (seconds): screening must stay prompt for any name, and long names
# (up to the 4,096-byte cap) are tried from the start rather than grown into.
options_of() {
    case "$1" in
        screen_name) echo "-timeout=1 -max_len=4096 -len_control=0" ;;
        *) echo "-timeout=10" ;;
    esac
}

cargo fuzz build -s none -a -O
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in "${targets[@]}"; do
    printf '\n--> %s (%ss)\n' "$target" "$seconds"
    mkdir -p "$scratch/$target" "corpus/$target"
    start=$(date +%s)
    cargo fuzz run -s none -a -O "$target" "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" $(options_of "$target") -rss_limit_mb=2048 \
        -print_final_stats=1 2>"$scratch/$target.log" || {
        tail -n 60 "$scratch/$target.log"
        echo "fuzz target $target failed: see fuzz/artifacts/$target/" >&2
        exit 1
    }
    grep -E '^stat::number_of_executed_units|^Done' "$scratch/$target.log" || true
    echo "    $(( $(date +%s) - start ))s"
done
