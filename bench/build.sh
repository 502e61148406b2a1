#!/usr/bin/env bash
# Build benchmark. Generates QMSs of N copies of the comm-service procedure (8 flows and 4
# forms each: 13 PDFs per procedure), then for each N: a full build (wall time, CPU time,
# peak memory), a no-op rebuild, and the typst compiler alone on the sources that
# `procdoc build --emit-typst` writes, compiled one by one as `typst compile --root DIR
# --font-path fonts --ignore-system-fonts` would (through typst's Python binding).
#
#   bench/build.sh                 # N = 50 and 200
#   bench/build.sh 20 50           # other sizes
#
# Needs the Rust toolchain and GNU time (/usr/bin/time); python3 + pip for the typst
# comparison. Run it on a quiet machine: the load average is printed first.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(50 200)
cargo build --release --quiet
bin=$PWD/target/release/procdoc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "load before: $(uptime)"

# `generate N DIR`: N copies of comm-service with their own ids and form numbers.
generate() {
    bench/generate.sh "$1" "$2"
}

# `measure LABEL CMD...`: wall s, CPU s (user + system) and peak resident MB of CMD.
measure() {
    local label=$1
    shift
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" 2>"$work/stderr" >/dev/null ||
        { cat "$work/stderr"; exit 1; }
    read -r wall user sys kb < "$work/time"
    awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v k="$kb" 'BEGIN {
        printf "%-34s %7.2f s wall %7.2f s CPU (%.2f x wall) %6.0f MB peak\n", l, w, u + s, (u + s) / (w > 0 ? w : 1), k / 1024 }'
}

have_typst=false
if python3 -c 'import typst' 2>/dev/null || python3 -m pip install --quiet typst==0.15.0 2>/dev/null; then
    have_typst=true
fi

for n in "${sizes[@]}"; do
    echo "== $n procedures"
    qms="$work/gen$n"
    generate "$n" "$qms"
    out="$work/out$n"
    measure "full build" "$bin" build "$qms" -o "$out"
    echo "  $(find "$out" -name '*.pdf' | wc -l) PDFs"
    measure "no-op rebuild" "$bin" build "$qms" -o "$out"
    if $have_typst; then
        emit="$work/emit$n"
        "$bin" build "$qms" -o "$emit" --emit-typst 2>/dev/null
        measure "typst, the same sources one by one" python3 - "$emit/typst" fonts <<'PY'
import pathlib, sys, typst
root, fonts = pathlib.Path(sys.argv[1]), sys.argv[2]
for src in sorted(root.rglob("*.typ")):
    typst.compile(str(src), output=str(src.with_suffix(".pdf")), root=str(root),
                  font_paths=[fonts], ignore_system_fonts=True, pdf_standards="a-2b")
PY
    else
        echo "python typst package not available: comparison skipped"
    fi
    rm -rf "$qms" "$out" "${emit:-}"
done
echo "load after: $(uptime)"
