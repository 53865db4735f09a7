#!/usr/bin/env bash
# Line coverage of the codec core (src/codec) and the engine (src/engine) reached by the
# committed corpora: `cargo fuzz coverage` replays corpus/<target> through a build with
# -Cinstrument-coverage for every target (or FUZZ_TARGETS), the profiles are merged, and
# llvm-cov (from the nightly's llvm-tools-preview component, whose LLVM matches the
# compiler's) reports over all the target binaries at once. A target without a committed
# corpus replays the generated seeds (what CI starts from) instead. Prints a Markdown table:
# the total per directory, then per file.
#
#   bash fuzz/coverage.sh
#   FUZZ_TARGETS="writers sync_reader" bash fuzz/coverage.sh
#
# The HTML report of the same data: coverage/html/index.html.
set -euo pipefail
cd "$(dirname "$0")"

if ! rustup +nightly component list --installed | grep -q '^llvm-tools'; then
  rustup component add llvm-tools-preview --toolchain nightly >&2
fi
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
tools=$(rustc +nightly --print sysroot)/lib/rustlib/$host/bin
targets=${FUZZ_TARGETS:-$(cargo fuzz list | grep -vx seeds)}
src=$(cd .. && pwd)/src

mkdir -p coverage
rm -rf coverage/seeds
profiles=()
objects=()
from_seeds=()
for t in $targets; do
  dir=corpus/$t
  if [ -z "$(ls -A "$dir" 2>/dev/null)" ]; then
    # No committed corpus: the generated seeds, as CI starts from.
    if [ ! -d coverage/seeds ]; then
      seeds=target/$host/release/seeds
      [ -x "$seeds" ] || cargo +nightly fuzz build -O seeds >&2
      "$seeds" coverage/seeds >/dev/null
    fi
    dir=coverage/seeds/$t
    from_seeds+=("$t")
  fi
  if [ -z "$(ls -A "$dir" 2>/dev/null)" ]; then
    echo "($t: no inputs, left out)" >&2
    continue
  fi
  echo "--- coverage of $t ($(ls "$dir" | wc -l) inputs in $dir)" >&2
  rm -f coverage/"$t"/coverage.profdata
  cargo +nightly fuzz coverage "$t" "$dir" -- -rss_limit_mb=2048 -timeout=10 \
    >coverage/"$t".log 2>&1 || echo "($t: coverage run failed, see fuzz/coverage/$t.log)" >&2
  if [ -f coverage/"$t"/coverage.profdata ]; then
    profiles+=(coverage/"$t"/coverage.profdata)
    objects+=(-object "target/$host/coverage/$host/release/$t")
  fi
done
[ ${#profiles[@]} -gt 0 ] || { echo "no coverage profile made" >&2; exit 1; }
"$tools"/llvm-profdata merge -sparse "${profiles[@]}" -o coverage/merged.profdata

files=("$src"/codec/*.rs "$src"/engine/*.rs)
# `llvm-cov` takes the first binary as is and the others after -object.
export_json() {
  "$tools"/llvm-cov export -summary-only -instr-profile=coverage/merged.profdata \
    "${objects[1]}" "${objects[@]:2}" "$@"
}
export_json "${files[@]}" >coverage/summary.json
"$tools"/llvm-cov show -format=html -output-dir=coverage/html \
  -instr-profile=coverage/merged.profdata "${objects[1]}" "${objects[@]:2}" "${files[@]}" \
  >/dev/null 2>&1 || true

echo "Line coverage reached by the corpora of: $(tr '\n' ' ' <<<"$targets")"
if [ ${#from_seeds[@]} -gt 0 ]; then
  echo "(generated seeds only, no committed corpus: ${from_seeds[*]})"
fi
echo
echo "| source | lines | covered | line coverage |"
echo "| --- | ---: | ---: | ---: |"
for dir in codec engine; do
  jq -r --arg d "$src/$dir/" '
    [.data[0].files[] | select(.filename | startswith($d)) | .summary.lines]
    | {count: (map(.count) | add), covered: (map(.covered) | add)}
    | "| **src/'"$dir"'** | \(.count) | \(.covered) | **\((.covered * 1000 / .count | floor) / 10)%** |"
  ' coverage/summary.json
done
jq -r --arg s "$src/" '
  .data[0].files[]
  | "| \(.filename | ltrimstr($s) | "src/" + .) | \(.summary.lines.count) | \(.summary.lines.covered) | \((.summary.lines.percent * 10 | floor) / 10)% |"
' coverage/summary.json
