#!/usr/bin/env bash
# Generate a QMS of N copies of the comm-service procedure, each with its own id, form
# numbers and record names, for the benchmarks.
#
#   bench/generate.sh N DIR
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: bench/generate.sh N DIR" >&2; exit 2; }
mkdir -p "$2"
sed 's/^# yaml-language-server.*//' specs/comm-service/procdoc.yaml > "$2/procdoc.yaml"
# The registers the settings name (lists of customers and the like that steps refer to).
cp -r specs/comm-service/registers "$2/"
for i in $(seq -w 1 "$1"); do
    sed -e "s/^id: IC-CS-02/id: GEN-$i/" -e "s/\(form: \)\([A-Z]\)/\1G$i-\2/" -e "s/design-change-notice/design-change-notice-$i/g" \
        -e 's/^# yaml-language-server.*//' specs/comm-service/IC-CS-02.yaml > "$2/gen-$i.yaml"
done
