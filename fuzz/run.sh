#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one after the other:
#
#   fuzz/run.sh 60
#
# Needs cargo-fuzz (installed with `cargo install cargo-fuzz` when missing). With a nightly
# toolchain installed (`rustup toolchain install nightly`) the targets build with
# AddressSanitizer; without one they build on stable with RUSTC_BOOTSTRAP=1 (cargo-fuzz
# passes nightly-only -Z flags) and `--sanitizer none`, which still finds panics, stack
# overflows, hangs (-timeout) and runaway memory (-rss_limit_mb), but not memory errors in
# unsafe code. Crashes land in fuzz/artifacts/<target>/; turn each into a regression test
# under tests/ (tests/it/hostile_inputs.rs holds the ones found so far) before fixing it.
set -euo pipefail

seconds="${1:-60}"
cd "$(dirname "$0")"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz
fi

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
    sanitizer=address
else
    toolchain=()
    sanitizer=none
    export RUSTC_BOOTSTRAP=1
fi

# Seed inputs: the repository's own checklists, sign-offs and ARM fixtures, and fuzz/seeds.
declare -A seeds=(
    [checklist_load]="../checklists ../tests/data/checklists ../tests/data/invalid-checklists ../tests/data/hostile/checklists"
    [signoff_parse]="seeds/signoff_parse ../tests/data/invalid-signoffs ../tests/data/hostile/signoffs ../tests/data/hostile/signoffs-accepted"
    [rule_eval]="seeds/rule_eval"
    [attest_render]=""
    [arm_parse]="seeds/arm_parse"
    [term_safe]=""
)

# Structured input starts empty; without this, libFuzzer keeps its inputs a few bytes long
# for most of a short run (each run renders a whole attestation, about 20 a second).
declare -A extra=(
    [attest_render]="-len_control=0 -max_len=4096"
)

targets=(checklist_load signoff_parse rule_eval attest_render arm_parse term_safe)

# Build everything first, so a compile error is not mistaken for a crash.
for target in "${targets[@]}"; do
    if ! cargo "${toolchain[@]}" fuzz build --sanitizer "$sanitizer" "$target"; then
        echo "!! $target does not build; nothing was fuzzed" >&2
        exit 2
    fi
done

status=0
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    echo "== $target: ${seconds} s (${sanitizer} sanitizer)"
    # shellcheck disable=SC2086 # the seed list is split on purpose
    if ! cargo "${toolchain[@]}" fuzz run --sanitizer "$sanitizer" "$target" \
        "corpus/$target" ${seeds[$target]} -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1 ${extra[$target]:-}; then
        echo "!! $target found a crash, a hang or a memory blow-up: see fuzz/artifacts/$target/"
        status=1
    fi
done
exit "$status"
