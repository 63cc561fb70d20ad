#!/bin/sh
# make fuzz: each libFuzzer target in turn, for FUZZ_SECONDS or (if set) FUZZ_RUNS executions, on a working
# corpus in BUILD/fuzz/corpus/NAME that starts from the repository's seeds and keeps what earlier runs found.
# Afterwards the inputs that reached new coverage are merged, minimised, into tests/fuzz/corpus/NAME (libFuzzer's
# -merge=1 adds only inputs that cover something the repository's corpus does not), so the corpus in the
# repository grows with coverage and not with every mutation. One summary line per target goes to
# BUILD/fuzz/summary.txt: executions, executions per second, coverage (edges) and features, and seeds added.
# A crash stops the run with the input in BUILD/fuzz/NAME-crash-*.
# usage: scripts/fuzz.sh BUILD TARGET...   (env: FUZZ_SECONDS, FUZZ_RUNS, FUZZ_MAX_LEN, FUZZ_MERGE=0 to keep
# tests/ untouched)
set -u
build=$1
shift
summary=$build/fuzz/summary.txt
: >"$summary"
printf '%-22s %12s %9s %7s %7s %7s\n' target executions exec/s cov ft added | tee -a "$summary"
for t in "$@"; do
	work=$build/fuzz/corpus/$t
	seeds=tests/fuzz/corpus/$t
	mkdir -p "$work" "$seeds"
	cp -f "$seeds"/* "$work"/ 2>/dev/null
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict=-dict=tests/fuzz/$t.dict
	if [ -n "${FUZZ_RUNS:-}" ]; then budget=-runs=$FUZZ_RUNS; else budget=-max_total_time=${FUZZ_SECONDS:-60}; fi
	log=$build/fuzz/$t.log
	echo "fuzz: $t ($budget)" >&2
	# shellcheck disable=SC2086 # $dict is one word or none
	if ! "$build/fuzz/$t" $budget -max_len="${FUZZ_MAX_LEN:-4096}" -print_final_stats=1 $dict \
		-artifact_prefix="$build/fuzz/$t-" "$work" >"$log" 2>&1; then
		tail -n 40 "$log"
		echo "fuzz: $t crashed (log: $log, input: $build/fuzz/$t-*)" >&2
		exit 1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(sed -n 's/.*\(DONE\|INITED\|NEW\|REDUCE\|pulse\) *cov: \([0-9]*\) ft: \([0-9]*\).*/\2 \3/p' "$log" | tail -n 1)
	added=0
	if [ "${FUZZ_MERGE:-1}" = 1 ]; then
		before=$(find "$seeds" -type f | wc -l)
		"$build/fuzz/$t" -merge=1 -max_len="${FUZZ_MAX_LEN:-4096}" "$seeds" "$work" >"$log.merge" 2>&1 ||
			{ tail -n 20 "$log.merge"; exit 1; }
		added=$(($(find "$seeds" -type f | wc -l) - before))
	fi
	# shellcheck disable=SC2086 # cov is "EDGES FEATURES"
	printf '%-22s %12s %9s %7s %7s %7s\n' "$t" "$execs" "$rate" ${cov:-? ?} "$added" | tee -a "$summary"
done
