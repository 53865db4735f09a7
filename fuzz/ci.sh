#!/usr/bin/env bash
# Fuzzing in CI: builds every fuzz target on the nightly toolchain, replays the committed
# regressions (each on its own, so a failing one is named), seeds the corpora (generated
# seeds plus the committed minimised corpus/), and runs each target for a short fixed budget.
# A crash (a failed invariant, a panic, a leak of memory past -malloc_limit_mb /
# -rss_limit_mb, a timeout) fails. The long campaign is campaign.sh; coverage, coverage.sh.
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

bin=./target/x86_64-unknown-linux-gnu/release
status=0

echo "--- seed corpora (from our encoders and the SPEC.md vectors, plus fuzz/corpus/)"
rm -rf ci-corpus
"$bin"/seeds ci-corpus

# Passing regressions join the corpus; a failing one is reported here and left out, so that
# its target is still fuzzed.
echo "--- replay the committed regressions (fuzz/regressions/<target>/)"
for t in $targets; do
  [ -d regressions/"$t" ] || continue
  for f in regressions/"$t"/*; do
    if "$bin/$t" -runs=0 -rss_limit_mb=2048 -malloc_limit_mb=256 "$f" >/dev/null 2>&1; then
      echo "$t: $(basename "$f") ok"
      mkdir -p ci-corpus/"$t"
      cp "$f" ci-corpus/"$t"/
    else
      echo "FAILED: $t: regression $f"
      "$bin/$t" -runs=0 -rss_limit_mb=2048 -malloc_limit_mb=256 "$f" 2>&1 \
        | grep -A3 -m1 panicked || true
      status=1
    fi
  done
done

for t in $targets; do
  mkdir -p ci-corpus/"$t"
  if [ -d corpus/"$t" ]; then
    cp corpus/"$t"/* ci-corpus/"$t"/ 2>/dev/null || true
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
