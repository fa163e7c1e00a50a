#!/usr/bin/env bash
# The C interface's test suite, run by `make test-cabi` against an installation made with
# `make install PREFIX=...`:
#   1. hookwire.h includes only <stddef.h>, <stdint.h>, <stdbool.h> and compiles alone as C99,
#      C11, C++11 and C++17 with -Wall -Wextra -Werror -pedantic;
#   2. the library's soname, dependencies and exported symbols match the header;
#   3. abi_test.c (every status code, NULL arguments, released handles, threads, plugins,
#      signatures, server and client) passes;
#   4. the C and C++ examples run, and run under valgrind with no definite leak and no invalid
#      read or write.
#   usage: run.sh PREFIX
set -euo pipefail
prefix=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
header="$prefix/include/hookwire.h"
library="$prefix/lib/libhookwire.so.1"
work=$(mktemp -d /tmp/hookwire-cabi.XXXXXX)
trap 'rm -rf "$work"' EXIT
pkg() { PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config "$@"; }

echo "== header"
includes=$(sed -n 's/^#include *\(.*\)$/\1/p' "$header" | sort | tr '\n' ' ')
if [ "$includes" != "<stdbool.h> <stddef.h> <stdint.h> " ]; then
    echo "hookwire.h includes $includes; only <stddef.h>, <stdint.h> and <stdbool.h> are allowed"
    exit 1
fi
cat > "$work/header_only.c" <<'CODE'
#include <hookwire.h>
/* Every initialiser macro, so that -Wmissing-field-initializers checks them. */
int main(void) {
    hw_engine_options engine = HW_ENGINE_OPTIONS_INIT;
    hw_caller caller = HW_CALLER_INIT;
    hw_webhook_result result = HW_WEBHOOK_RESULT_INIT;
    hw_webhook_filter filter = HW_WEBHOOK_FILTER_INIT;
    hw_event event = HW_EVENT_INIT;
    hw_publish_result published = HW_PUBLISH_RESULT_INIT;
    hw_server_options server = HW_SERVER_OPTIONS_INIT;
    hw_client_options client = HW_CLIENT_OPTIONS_INIT;
    hw_verify_options verify = HW_VERIFY_OPTIONS_INIT;
    (void)engine; (void)caller; (void)result; (void)filter; (void)event; (void)published;
    (void)server; (void)client; (void)verify;
    return HW_VERSION_NUMBER > 0 ? 0 : 1;
}
CODE
cp "$work/header_only.c" "$work/header_only.cpp"
for standard in c99 c11; do
    cc -std=$standard -Wall -Wextra -Werror -pedantic -I"$prefix/include" -c "$work/header_only.c" -o "$work/h.o"
    echo "compiles as $standard"
done
for standard in c++11 c++17; do
    c++ -std=$standard -Wall -Wextra -Werror -pedantic -I"$prefix/include" -c "$work/header_only.cpp" -o "$work/h.o"
    echo "compiles as $standard"
done

echo "== library"
soname=$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libhookwire.so.1" ] || { echo "soname is '$soname', expected libhookwire.so.1"; exit 1; }
echo "soname $soname"
if readelf -d "$library" | grep NEEDED | grep -q swift; then
    echo "the library needs a Swift runtime library:"; readelf -d "$library" | grep NEEDED; exit 1
fi
readelf -d "$library" | grep -q NODELETE || { echo "the library is not marked NODELETE"; exit 1; }
echo "needs: $(readelf -d "$library" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
"$here/check-exports.sh" "$library" "$header" "$root/mk/libhookwire.map"

echo "== abi_test"
cc -std=c99 -Wall -Wextra -Werror -pedantic -g -o "$work/abi_test" "$here/abi_test.c" \
    $(pkg --cflags hookwire) $(pkg --libs hookwire) -lpthread -Wl,-rpath,"$(pkg --variable=libdir hookwire)"
# From here on every stage runs even when an earlier one failed, and the run fails at the end.
failed=()
run_stage() {
    local name=$1
    shift
    if ! "$@"; then
        echo "FAILED: $name"
        failed+=("$name")
    fi
}

mkdir -p "$work/abi"
run_stage abi_test timeout 300 "$work/abi_test" "$work/abi"

echo "== examples"
mkdir -p "$work/c" "$work/cpp"
run_stage c-host timeout 120 "$root/build/examples/c-host" "$work/c/hooks.db"
run_stage cpp-host timeout 120 "$root/build/examples/cpp-host" "$work/cpp/hooks.db"

echo "== examples under valgrind"
valgrind_flags=(--quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --suppressions="$here/valgrind.supp")
rm -rf "$work/c" "$work/cpp" && mkdir -p "$work/c" "$work/cpp"
run_stage "c-host under valgrind" timeout 600 valgrind "${valgrind_flags[@]}" "$root/build/examples/c-host" "$work/c/hooks.db"
run_stage "cpp-host under valgrind" \
    timeout 600 valgrind "${valgrind_flags[@]}" "$root/build/examples/cpp-host" "$work/cpp/hooks.db"

if [ "${#failed[@]}" -gt 0 ]; then
    echo "test-cabi: failed: ${failed[*]}"
    exit 1
fi
echo "test-cabi: all passed"
