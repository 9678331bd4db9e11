#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang, -DSW_FUZZ=ON, in their own build dir) and run each
# for a bounded time, FUZZ_JOBS at once. Any crash, leak, undefined behaviour, wrong answer
# (a harness's own check), timeout or memory blow-up fails the run; the input that did it is
# kept in $build/fuzz-artifacts/<harness>/ and the command that replays it is printed.
#
#   test/fuzz/run.sh [PATTERN]     the harnesses whose name holds PATTERN (all by default)
#
#   FUZZ_SECONDS       seconds each. Unset (CI): 30, or less when the harnesses would take
#                      more than FUZZ_BUDGET seconds of fuzzing at FUZZ_JOBS at a time (10
#                      harnesses on 2 cores: 30 s each, 2.5 min). FUZZ_SECONDS=600 by hand.
#   FUZZ_SEED          libFuzzer's -seed (the default run of scripts/test sets 1)
#   FUZZ_RUNS          inputs each harness runs, instead of a time, so that how far a run
#                      gets does not depend on the machine's load: with FUZZ_SEED, an empty
#                      corpus (a clean clone), no address randomisation and jansson's hash
#                      seed fixed, most harnesses run the very same inputs every time (a few
#                      still drift a little). The default run of scripts/test sets 200000
#                      (about 2 min for all 10 on 2 cores); the seconds are then only a cap
#                      (FUZZ_SECONDS, else 240).
#   FUZZ_BUDGET=180    the fuzzing time the unset FUZZ_SECONDS is cut to fit (the build and
#                      the seeds add about half a minute: the whole step stays under 4 min)
#   FUZZ_JOBS=nproc    harnesses running at once
#   SW_FUZZ_BUILD_DIR=build-fuzz
#
# Each harness starts from its seeds, which test/fuzz/make_seeds.py writes before each run
# from the unit tests' inputs and test/data ($build/fuzz-seeds/<harness>/, read only), and
# from what earlier runs in this build dir found ($build/fuzz-corpus/<harness>/), where new
# inputs go. Neither is kept in the tree: a crash's input becomes a unit test case.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

build=${SW_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${FUZZ_JOBS:-$(nproc)}
budget=${FUZZ_BUDGET:-180}
pattern=${1:-}

if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz: clang is missing (scripts/install-deps installs it)"; exit 1
fi
echo "== fuzz build ($build)"
CC=clang cmake -S . -B "$build" -DSW_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target sw_fuzz -j"$(nproc)" -- --no-print-directory >"$build/fuzz-build.log" 2>&1 || {
  grep -E 'error|Error' "$build/fuzz-build.log" | head -40; echo "fuzz: the build failed ($build/fuzz-build.log)"; exit 1
}

python3 test/fuzz/make_seeds.py "$build/fuzz-seeds" >"$build/fuzz-seeds.log" || {
  echo "fuzz: test/fuzz/make_seeds.py failed"; exit 1
}

# The dictionary a harness uses, if any.
dict_of() {
  case "$1" in
    fuzz_api_json|fuzz_engine_input) echo test/fuzz/json.dict ;;
    *) [ -f "test/fuzz/$1.dict" ] && echo "test/fuzz/$1.dict" || true ;;
  esac
}

harnesses=()
for exe in "$build"/fuzz/fuzz_*; do
  h=$(basename "$exe")
  [ -z "$pattern" ] || [[ "$h" == *$pattern* ]] || continue
  harnesses+=("$h")
done
if [ ${#harnesses[@]} -eq 0 ]; then
  echo "fuzz: no harness matches '$pattern'"; exit 1
fi

# One harness, its output in $build/fuzz-logs/<harness>.log; the exit status is libFuzzer's.
run_one() {
  local h=$1 corpus="$build/fuzz-corpus/$1" artifacts="$build/fuzz-artifacts/$1" dict
  local args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -use_value_profile=1
              -print_final_stats=1 -artifact_prefix="$artifacts/")
  dict=$(dict_of "$h")
  [ -z "$dict" ] || args+=(-dict="$dict")
  [ -z "${FUZZ_SEED:-}" ] || args+=(-seed="$FUZZ_SEED")   # the same mutations again (CI)
  [ -z "${FUZZ_RUNS:-}" ] || args+=(-runs="$FUZZ_RUNS" -reload=0)   # ... as many of them, no timed re-reads
  mkdir -p "$corpus" "$artifacts"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "${fixed[@]}" "$build/fuzz/$h" "${args[@]}" "$corpus" "$build/fuzz-seeds/$h" >"$build/fuzz-logs/$h.log" 2>&1
}

# With FUZZ_RUNS, the harnesses run without address randomisation: value profiles and
# hashes see addresses, and the same inputs need the same addresses.
fixed=()
if [ -n "${FUZZ_RUNS:-}" ] && setarch "$(uname -m)" -R true 2>/dev/null; then
  fixed=(setarch "$(uname -m)" -R)
fi

# Seconds each: FUZZ_SECONDS, or 30 cut so that the rounds of FUZZ_JOBS fit in FUZZ_BUDGET.
rounds=$(( (${#harnesses[@]} + jobs - 1) / jobs ))
secs=${FUZZ_SECONDS:-$(( budget / rounds < 30 ? budget / rounds : 30 ))}
[ -z "${FUZZ_RUNS:-}" ] || secs=${FUZZ_SECONDS:-240}
[ "$secs" -ge 1 ] || secs=1

mkdir -p "$build/fuzz-logs"
if [ -n "${FUZZ_RUNS:-}" ]; then
  echo "== fuzz: ${#harnesses[@]} harnesses, $FUZZ_RUNS inputs each (at most ${secs}s), $jobs at a time"
else
  echo "== fuzz: ${#harnesses[@]} harnesses, ${secs}s each, $jobs at a time"
fi
start=$SECONDS
failed=()
declare -A pid_of=()
report() {   # harness, exit status
  local h=$1 rc=$2 log="$build/fuzz-logs/$1.log" execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    echo "-- ok $h (${execs:-?} runs, corpus $(find "$build/fuzz-corpus/$h" -type f | wc -l))"
    return
  fi
  failed+=("$h")
  echo "-- FAILED $h (exit $rc)"
  grep -E 'ERROR: |runtime error|wrong answer|SUMMARY|#[0-9]+ 0x[0-9a-f]+ in (sw_|fuzz|LLVMFuzzer|[a-z_]+ /)' "$log" |
    grep -v 'in fuzzer::' | head -25 | sed 's/^/   /'
  for a in "$build/fuzz-artifacts/$h"/*; do
    [ -f "$a" ] && echo "   input kept: $a (replay: $build/fuzz/$h $a)"
  done
  echo "   whole log: $log"
}
running=0
reap() {   # wait for the next harness to end, and report it
  local done_pid rc=0
  wait -n -p done_pid || rc=$?
  report "${pid_of[$done_pid]}" "$rc"
  running=$((running - 1))
}
for h in "${harnesses[@]}"; do
  [ "$running" -lt "$jobs" ] || reap
  run_one "$h" &
  pid_of[$!]=$h
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  reap
done

echo "== fuzz: ${#harnesses[@]} harnesses in $((SECONDS - start))s, ${#failed[@]} failed${failed:+: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]
