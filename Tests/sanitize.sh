#!/usr/bin/env bash
# The C ABI suite (Tests/c/test_abi.c, two threads sharing one model handle
# included) under sanitizers, against a libstylize.so.1 built from the
# sources with them:
#
#   Tests/sanitize.sh [address|thread]...     -> last line "N passed, M failed"
#
#   address  AddressSanitizer (+ LeakSanitizer) in the library and the test;
#            UndefinedBehaviorSanitizer in the test's C. Swift has no
#            -sanitize=undefined: the library is built -O instead of the
#            release build's -Ounchecked, so an integer overflow, a bad
#            conversion or an index out of bounds is a trap and fails the run.
#   thread   ThreadSanitizer in the library and the test.
# Default: both. Any sanitizer report fails the mode (halt_on_error), as does a
# failed check of test_abi. Needs $STYLIZE_MODEL (default: the installed model).
# Build folders: $STYLIZE_SANITIZE_BUILD (default .build-sanitize).
set -u
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${STYLIZE_SANITIZE_BUILD:-$REPO/.build-sanitize}"
export PATH="/opt/swift/usr/bin:$PATH"
export STYLIZE_MODEL="${STYLIZE_MODEL:-/usr/local/share/stylize/vgg16.safetensors}"
export SWIFT_BACKTRACE=enable=no  # the sanitizer's report is the one wanted
unset STYLIZE_TEST_INSTALLED_MODEL
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(address thread)
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
SWIFT_LIBS="$(dirname "$(command -v swiftc)")/../lib/swift/linux"
quiet() { grep -v 'ld.gold: warning' >&2; }

for mode in "${modes[@]}"; do
    case "$mode" in
    address) cflags="-fsanitize=address,undefined -fno-sanitize-recover=all" ;;
    # The toolchain's TSan runtime intercepts libdispatch, so it needs the toolchain's dispatch and blocks.
    thread) cflags="-fsanitize=thread -L$SWIFT_LIBS -Wl,-rpath,$SWIFT_LIBS -ldispatch -lBlocksRuntime" ;;
    *) bad "unknown mode $mode (address or thread)"; continue ;;
    esac
    B="$BUILD/$mode"
    start=$SECONDS
    # The library as build-lib.sh lays it out (SONAME, exports), with the sanitizer.
    if bash "$REPO/Tests/fuzz/modules.sh" "$B" "$mode" \
        && mkdir -p "$B/lib" \
        && swiftc -emit-library -sanitize="$mode" "$B/Stylize.o" "$B/ModelStore.o" "$B/StyleTransfer.o" -lopenblas \
            -Xlinker -soname=libstylize.so.1 -Xlinker "--version-script=$REPO/Sources/Stylize/stylize.map" \
            -o "$B/lib/libstylize.so.1" 2> >(quiet) \
        && ln -sfn libstylize.so.1 "$B/lib/libstylize.so" \
        && clang -std=gnu11 -Wall -Wextra -Werror -O1 -g -fno-omit-frame-pointer $cflags \
            -I "$REPO/Sources/Stylize/include" "$REPO/Tests/c/test_abi.c" -L "$B/lib" -lstylize \
            -Wl,-rpath,"$B/lib" -lpthread -lm -o "$B/test_abi" 2> >(quiet); then
        ok "$mode: library and test_abi build ($((SECONDS - start)) s)"
    else
        bad "$mode: build"; continue
    fi
    log="$B/test_abi.log"
    start=$SECONDS
    ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
        "$B/test_abi" >"$log" 2>&1
    rc=$?
    line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)"
    reports="$(grep -cE '^==[0-9]+==ERROR|^WARNING: ThreadSanitizer|runtime error:|^SUMMARY: [A-Za-z]+Sanitizer' "$log")"
    if [ -n "$line" ] && [ "$rc" = 0 ] && [ "$reports" = 0 ] && [ "${line#*passed, }" = "0 failed" ]; then
        ok "$mode: test_abi $line, no sanitizer report ($((SECONDS - start)) s)"
    else
        bad "$mode: test_abi exit $rc, ${line:-no result line}, $reports sanitizer report(s); log $log:"
        grep -E -A 25 '^==[0-9]+==ERROR|^WARNING: ThreadSanitizer|runtime error:' "$log" | head -n 60
        grep -E '^FAIL' "$log" | head -n 20
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
