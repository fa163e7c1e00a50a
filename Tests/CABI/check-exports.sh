#!/usr/bin/env bash
# Checks that libhookwire.so exports exactly the functions declared in include/hookwire.h, and
# that the linker version script lists exactly those functions.
#   usage: check-exports.sh LIBRARY HEADER VERSION_SCRIPT
set -euo pipefail
library=$1 header=$2 version_script=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$here/header_functions.py" "$header" > "$work/header"
# Global dynamic symbols the library defines, without their version suffix; the version node
# itself (type A, HOOKWIRE_1) is not a symbol a host can call.
nm -D --defined-only --extern-only "$library" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u > "$work/exported"
sed -n 's/^ *\(hw_[a-z0-9_]*\);$/\1/p' "$version_script" | sort -u > "$work/script"

status=0
if ! diff -u "$work/header" "$work/exported" > "$work/diff"; then
    echo "check-exports: the library's exports differ from the header's functions (- header, + library):"
    cat "$work/diff"
    status=1
fi
if ! diff -u "$work/header" "$work/script" > "$work/diff"; then
    echo "check-exports: the version script differs from the header's functions (- header, + script):"
    cat "$work/diff"
    status=1
fi
if [ "$status" -eq 0 ]; then
    echo "check-exports: $(wc -l < "$work/header") functions, header = version script = exports"
fi
exit "$status"
