#!/usr/bin/env bash
# Check benchmark. Generates a QMS of N copies of the comm-service procedure (1,000 by
# default: about 20 MB of YAML, 8,000 flows) and runs `procdoc check` on it several times,
# printing wall time, CPU time (user + system) and peak resident memory of each run, as
# GNU time measures them.
#
#   bench/check.sh                 # N = 1000, 5 runs
#   bench/check.sh 2000 3          # other size and number of runs
#
# Needs the Rust toolchain and GNU time (/usr/bin/time). Run it on a quiet machine: the load
# average is printed first.
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-1000}
runs=${2:-5}
cargo build --release --quiet --bin procdoc
bin=$(realpath "${CARGO_TARGET_DIR:-target}")/release/procdoc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "load before: $(uptime)"
bench/generate.sh "$n" "$work/qms"
echo "== check of $n procedures ($(du -sh "$work/qms" | cut -f1) of YAML)"
for run in $(seq 1 "$runs"); do
    # `check` exits 1 when it finds errors; the copies have none, so any failure is real.
    /usr/bin/time -v "$bin" check "$work/qms" >/dev/null 2>"$work/time" ||
        { cat "$work/time"; exit 1; }
    awk -v run="$run" -F': ' '
        /Elapsed \(wall clock\)/ { n = split($2, t, ":"); wall = t[n] + (n > 1 ? t[n - 1] * 60 : 0) }
        /User time/ { user = $2 }
        /System time/ { sys = $2 }
        /Maximum resident/ { kb = $2 }
        END { printf "run %d: %6.2f s wall %6.2f s CPU (%.2f x wall) %6.0f MB peak\n",
              run, wall, user + sys, (user + sys) / (wall > 0 ? wall : 1), kb / 1024 }' "$work/time"
done
echo "load after: $(uptime)"
