#!/usr/bin/env bash
# Fuzzing in CI: builds every fuzz target on the nightly toolchain, seeds the corpora, replays
# the committed regressions, and runs each target for a short fixed budget. A crash (a failed
# invariant, a panic, a leak of memory past -malloc_limit_mb / -rss_limit_mb, a timeout) fails.
#
#   FUZZ_SECONDS=20 fuzz/ci.sh          # seconds per target (default 20)
#   FUZZ_TARGETS="netstring python" fuzz/ci.sh
set -euo pipefail
cd "$(dirname "$0")"
secs=${FUZZ_SECONDS:-20}

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi
rustup run nightly rustc --version
cargo fuzz --version

# Every [[bin]] but the seed generator is a fuzz target.
targets=${FUZZ_TARGETS:-$(cargo fuzz list | grep -vx seeds)}

echo "--- build (nightly, address sanitizer, debug assertions)"
cargo +nightly fuzz build -O -a

echo "--- seed corpora (from our encoders and the SPEC.md vectors)"
rm -rf ci-corpus
./target/x86_64-unknown-linux-gnu/release/seeds ci-corpus

status=0
for t in $targets; do
  mkdir -p ci-corpus/"$t"
  if [ -d regressions/"$t" ]; then
    cp regressions/"$t"/* ci-corpus/"$t"/ 2>/dev/null || true
  fi
  echo "--- fuzz $t for ${secs}s"
  log=$(mktemp)
  if cargo +nightly fuzz run -O -a "$t" ci-corpus/"$t" -- \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 \
      -print_final_stats=1 >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units' "$log" | sed "s/^/$t: /" || true
  else
    echo "FAILED: $t (last lines of its log below; the input is under fuzz/artifacts/$t/)"
    tail -n 40 "$log"
    status=1
  fi
  rm -f "$log"
done
rm -rf ci-corpus
exit $status
