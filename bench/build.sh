#!/usr/bin/env bash
# Build benchmark. Generates QMSs of N copies of the comm-service procedure (8 flows and 5
# forms each: 14 PDFs per procedure), then for each N prints the wall time, CPU time (user +
# system) and peak resident memory (GNU time's `-v` report) of a full build and of a no-op
# rebuild. When TYPST names a typst CLI (0.15.1, the version procdoc embeds), the sources
# that `procdoc build --emit-typst` writes are also compiled one by one with it, as
# `typst compile --root OUT/typst --font-path fonts --ignore-system-fonts
# --ignore-embedded-fonts --pdf-standard a-2b`
# (PDF/A-2b, as procdoc prints them), and that loop is measured the same way.
#
#   bench/build.sh                       # N = 50 and 200
#   bench/build.sh 20 50                 # other sizes
#   TYPST=path/to/typst bench/build.sh   # with the typst CLI comparison
#
# Needs the Rust toolchain and GNU time (/usr/bin/time). Other processes skew every figure:
# the load average is printed before and after, run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(50 200)
cargo build --release --quiet --bin procdoc
bin=$(realpath "${CARGO_TARGET_DIR:-target}")/release/procdoc
fonts=$PWD/fonts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "load before: $(uptime)"

# `generate N DIR`: N copies of comm-service with their own ids and form numbers.
generate() {
    bench/generate.sh "$1" "$2"
}

# `measure LABEL CMD...`: runs CMD under `/usr/bin/time -v` and prints its wall time, CPU
# time and peak resident memory; the figures are also left in $wall, $cpu and $mb.
measure() {
    local label=$1
    shift
    /usr/bin/time -v -o "$work/time" "$@" 2>"$work/stderr" >/dev/null ||
        { cat "$work/stderr"; exit 1; }
    read -r wall cpu mb < <(awk -F': ' '
        /User time/ { cpu += $2 }
        /System time/ { cpu += $2 }
        /Elapsed \(wall clock\)/ { n = split($2, p, ":"); wall = 0; for (i = 1; i <= n; i++) wall = wall * 60 + p[i] }
        /Maximum resident set size/ { mb = $2 / 1024 }
        END { printf "%.2f %.2f %.0f\n", wall, cpu, mb }' "$work/time")
    awk -v l="$label" -v w="$wall" -v c="$cpu" -v m="$mb" 'BEGIN {
        printf "%-36s %8.2f s wall %8.2f s CPU (%.2f x wall) %6d MB peak\n", l, w, c, c / (w > 0 ? w : 1), m }'
}

# `typst_one_by_one DIR`: compiles every emitted source under DIR with the typst CLI.
typst_one_by_one() {
    find "$1" -name '*.typ' -print0 | sort -z | while IFS= read -r -d '' src; do
        "$TYPST" compile --root "$1" --font-path "$fonts" --ignore-system-fonts --ignore-embedded-fonts \
            --pdf-standard a-2b "$src" "${src%.typ}.pdf" || exit 1
    done
}
export -f typst_one_by_one
export fonts TYPST="${TYPST:-}"

declare -A full_wall full_mb
for n in "${sizes[@]}"; do
    echo "== $n procedures"
    qms="$work/gen$n"
    generate "$n" "$qms"
    out="$work/out$n"
    measure "full build" "$bin" build "$qms" -o "$out"
    full_wall[$n]=$wall
    full_mb[$n]=$mb
    echo "  $(find "$out" -name '*.pdf' | wc -l) PDFs"
    measure "no-op rebuild" "$bin" build "$qms" -o "$out"
    if [ -n "$TYPST" ]; then
        emit="$work/emit$n"
        "$bin" build "$qms" -o "$emit" --emit-typst 2>/dev/null
        measure "typst CLI, the same sources 1 by 1" bash -c 'typst_one_by_one "$0"' "$emit/typst"
        echo "  $(find "$emit/typst" -name '*.pdf' | wc -l) PDFs"
    fi
    rm -rf "$qms" "$out" "${emit:-}"
done
if [ ${#sizes[@]} -ge 2 ]; then
    small=${sizes[0]} large=${sizes[-1]}
    awk -v s="$small" -v l="$large" -v ws="${full_wall[$small]}" -v wl="${full_wall[$large]}" \
        -v ms="${full_mb[$small]}" -v ml="${full_mb[$large]}" 'BEGIN {
        printf "%d against %d procedures (%.1f x the work): %.2f x the wall time, %.2f x the peak memory\n",
            l, s, l / s, wl / ws, ml / ms }'
fi
echo "load after: $(uptime)"
