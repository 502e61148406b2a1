#!/usr/bin/env bash
# Build benchmark: time per document and documents per second for every example QMS and for
# a generated QMS of 200 procedures, the no-op rebuild, `check` over all examples, and the
# typst compiler alone on the same generated sources (`procdoc build --emit-typst`).
#
#   bench/build.sh            # needs the Rust toolchain; python3 + pip for the typst comparison
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
bin=target/release/procdoc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }
count_docs() { find "$1" -maxdepth 1 -name '*.pdf' ! -name 'master-list.pdf' | wc -l; }

echo "== check, all five examples"
start=$(now)
for qms in specs/*/; do
    [ -f "$qms/procdoc.yaml" ] || continue
    "$bin" check --deny-warnings "$qms" 2>/dev/null >/dev/null
done
printf 'check of all examples: %.3f s\n' "$(elapsed "$start" "$(now)")"

echo "== build, every example (forced)"
for qms in specs/*/; do
    [ -f "$qms/procdoc.yaml" ] || continue
    name=$(basename "$qms")
    start=$(now)
    "$bin" build "$qms" -o "$work/$name" --force 2>/dev/null
    t=$(elapsed "$start" "$(now)")
    docs=$(count_docs "$work/$name")
    files=$(find "$work/$name" -name '*.pdf' | wc -l)
    printf '%-16s %2d documents, %3d PDFs: %.3f s, %.3f s per document\n' "$name" "$docs" "$files" "$t" "$(div "$t" "$docs")"
done

echo "== generated QMS of 200 procedures"
gen="$work/gen200"
mkdir -p "$gen"
sed 's/^# yaml-language-server.*//' specs/red-maple/procdoc.yaml > "$gen/procdoc.yaml"
for i in $(seq -w 1 200); do
    sed -e "s/^id: CS-P-001/id: GEN-P-$i/" -e "s/CS-F-/GEN-$i-F-/" -e 's/^# yaml-language-server.*//' \
        specs/red-maple/CS-P-001.yaml > "$gen/gen-$i.yaml"
done
start=$(now)
"$bin" build "$gen" -o "$work/out200" --force 2>/dev/null
full=$(elapsed "$start" "$(now)")
pdfs=$(find "$work/out200" -name '*.pdf' | wc -l)
printf 'full build: 200 documents (%d PDFs) in %.2f s = %.1f documents/s, %.1f PDFs/s\n' \
    "$pdfs" "$full" "$(div 200 "$full")" "$(div "$pdfs" "$full")"
start=$(now)
"$bin" build "$gen" -o "$work/out200" 2>/dev/null
printf 'no-op rebuild of 200 procedures: %.3f s\n' "$(elapsed "$start" "$(now)")"

echo "== typst compiler alone on the same sources"
"$bin" build "$gen" -o "$work/emit" --emit-typst --force 2>/dev/null
if python3 -c 'import typst' 2>/dev/null || python3 -m pip install --quiet typst==0.15.0 2>/dev/null; then
    python3 - "$work/emit/typst" fonts <<'PY'
import pathlib, sys, time, typst
root, fonts = pathlib.Path(sys.argv[1]), sys.argv[2]
sources = sorted(root.rglob("*.typ"))
start = time.time()
for src in sources:
    typst.compile(str(src), output=str(src.with_suffix(".pdf")), root=str(root),
                  font_paths=[fonts], ignore_system_fonts=True, pdf_standards="a-2b")
t = time.time() - start
print(f"typst (python binding of the typst 0.15 compiler), {len(sources)} sources one by one: "
      f"{t:.2f} s = {len(sources) / t:.1f} PDFs/s")
PY
else
    echo "python typst package not available: comparison skipped"
fi
