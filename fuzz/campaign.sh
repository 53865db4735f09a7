#!/usr/bin/env bash
# The fuzzing campaign: every target (or FUZZ_TARGETS) for FUZZ_SECONDS (default 300) seconds,
# one at a time and one process each (the machine has 2 shared cores), with the settings of
# README.md (address sanitizer, debug assertions, -rss_limit_mb=2048 -malloc_limit_mb=256
# -timeout=10), starting from the committed corpus (corpus/<target>), the generated seeds
# and the regressions that pass. Then each corpus is minimised (cargo fuzz cmin) back into
# corpus/<target>, ready to commit, and coverage.sh measures the line coverage of src/codec
# and src/engine that all corpora reach.
#
# It writes campaign-logs/<target>.log and campaign-logs/summary.md (FUZZ_WORK below): a
# table of executions, coverage and corpus size per target, and the coverage table, to paste
# into README.md.
#
#   FUZZ_SECONDS=300 bash fuzz/campaign.sh
#   FUZZ_TARGETS="writers assembler" FUZZ_SECONDS=300 bash fuzz/campaign.sh
#   FUZZ_FORK=1 ...      # libFuzzer's fork mode with -ignore_crashes=1: fuzzing goes on past
#                        # a crash (for a target with a known open finding); crashes are
#                        # counted and kept under artifacts/<target>/
#   FUZZ_COVERAGE=0 ...  # skip coverage.sh
#   FUZZ_WORK=half1 ...  # work in half1-work/ and half1-logs/ instead of campaign-work/ and
#                        # campaign-logs/: two campaigns on disjoint targets can run at once
#                        # (one per core), each minimising into corpus/<target> as usual
#
# A target that crashes (outside fork mode) stops there; the campaign goes on with the next
# one, and the summary says so. The exit status is 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")"
secs=${FUZZ_SECONDS:-300}
fork=${FUZZ_FORK:-0}
name=${FUZZ_WORK:-campaign}
case $name in
  '' | */* | .*) echo "FUZZ_WORK must be a plain directory name" >&2; exit 2 ;;
esac

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi
targets=${FUZZ_TARGETS:-$(cargo fuzz list | grep -vx seeds)}

cargo +nightly fuzz build -O -a
bin=./target/x86_64-unknown-linux-gnu/release
limits=(-rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=10)

wdir=$name-work
ldir=$name-logs
rm -rf "$wdir" "$ldir"
mkdir -p "$wdir" "$ldir"
"$bin"/seeds "$wdir"/seeds >/dev/null
summary=$ldir/summary.md
{
  echo "Each target ran ${secs} seconds ($(date -u +%Y-%m-%d), $(rustup run nightly rustc --version)," \
    "main at $(git rev-parse --short HEAD 2>/dev/null || echo '?'), fork mode: $fork)."
  echo
  echo "| target | executions | exec/s | edges (cov) | features (ft) | corpus after cmin (files / bytes) | result |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
} >"$summary"

status=0
for t in $targets; do
  work=$wdir/$t
  mkdir -p "$work" corpus/"$t"
  cp corpus/"$t"/* "$work"/ 2>/dev/null || true
  cp "$wdir"/seeds/"$t"/* "$work"/ 2>/dev/null || true
  for f in regressions/"$t"/*; do
    [ -f "$f" ] || continue
    if "$bin/$t" -runs=0 "${limits[@]}" "$f" >/dev/null 2>&1; then
      cp "$f" "$work"/
    fi
  done
  log=$ldir/$t.log
  flags=(-max_total_time="$secs" "${limits[@]}" -print_final_stats=1)
  if [ "$fork" = 1 ]; then
    flags+=(-fork=1 -ignore_crashes=1)
  fi
  echo "--- fuzz $t for ${secs}s ($(ls "$work" | wc -l) inputs to start)"
  result=clean
  if ! cargo +nightly fuzz run -O -a "$t" "$work" -- "${flags[@]}" >"$log" 2>&1; then
    result="crashed: see $ldir/$t.log and artifacts/$t/"
    status=1
  fi
  if [ "$fork" = 1 ]; then
    # Fork mode's status lines: "#N: cov: C ft: F corp: K exec/s: E oom/timeout/crash: a/b/c".
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1 || true)
    execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
    crashes=$(sed -E 's/.*oom\/timeout\/crash: ([0-9\/]+).*/\1/' <<<"$last")
    if [ -n "$crashes" ] && [ "$crashes" != "0/0/0" ]; then
      result="oom/timeout/crash $crashes: see artifacts/$t/"
      status=1
    fi
  else
    execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
    last=$(grep -E ' cov: [0-9]+' "$log" | tail -n 1 || true)
  fi
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | awk '{print $2}' || true)
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | awk '{print $2}' || true)
  execs=${execs:-?}
  rate=$([ "$execs" != "?" ] && echo $((execs / secs)) || echo "?")

  echo "--- minimise the corpus of $t"
  cargo +nightly fuzz cmin -O -a "$t" "$work" -- "${limits[@]}" >>"$log" 2>&1 || true
  rm -rf corpus/"$t"
  mkdir -p corpus/"$t"
  cp "$work"/* corpus/"$t"/ 2>/dev/null || true
  files=$(find corpus/"$t" -type f | wc -l)
  bytes=$(find corpus/"$t" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
  row="| \`$t\` | $execs | $rate | ${cov:-?} | ${ft:-?} | $files / $bytes | $result |"
  echo "$row"
  echo "$row" >>"$summary"
done

if [ "${FUZZ_COVERAGE:-1}" != 0 ]; then
  echo "--- line coverage of src/codec and src/engine by the minimised corpora"
  {
    echo
    FUZZ_TARGETS=$(cargo fuzz list | grep -vx seeds | tr '\n' ' ') bash ./coverage.sh
  } >>"$summary"
fi
rm -rf "$wdir"
echo
cat "$summary"
exit $status
