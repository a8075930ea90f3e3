#!/usr/bin/env bash
# fuzz.sh runs every Fuzz target of the module for FUZZTIME each (default 10s): a smoke run that
# the targets still build, their seeds pass and a short fuzzing finds nothing. A failing input is
# written to the package's testdata/fuzz/ by `go test`, as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
FUZZTIME=${FUZZTIME:-10s}

failed=()
n=0
while read -r dir pkg; do
	for f in $(grep -hoE '^func Fuzz[A-Za-z0-9_]+' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		n=$((n + 1))
		echo "== $pkg $f ($FUZZTIME)"
		out=$(go test -run '^$' -fuzz "^$f\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1) && { echo "$out" | tail -n 1; continue; }
		echo "$out"
		# The fuzzing engine can report "context deadline exceeded" when the time runs out while a
		# worker is busy (no failing input is written then): that is no finding, so run it again.
		if grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
			echo "== $pkg $f: engine timeout, not a finding; once more"
			go test -run '^$' -fuzz "^$f\$" -fuzztime "$FUZZTIME" "$pkg" && continue
		fi
		failed+=("$pkg $f")
	done
done < <(go list -f '{{.Dir}} {{.ImportPath}}' ./...)

echo "fuzz: $n targets, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
	printf '  %s\n' "${failed[@]}"
	exit 1
fi
