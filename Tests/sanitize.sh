#!/usr/bin/env bash
# libstylize under sanitizers, built from the sources with them (the objects
# once per mode, Tests/fuzz/modules.sh), run by the C ABI suite and the hosts:
#
#   Tests/sanitize.sh [address|thread|thread-full]...  -> last line "N passed, M failed"
#
#   address  AddressSanitizer (+ LeakSanitizer) in the library, the C tests
#            and the vips module; UndefinedBehaviorSanitizer in the C (the
#            test, the module). Swift has no -sanitize=undefined: the library
#            is built -O instead of the release build's -Ounchecked, so an
#            integer overflow, a bad conversion or an index out of bounds is a
#            trap and fails the run. Runs:
#            - Tests/c/test_abi.c, the whole C ABI suite (two threads sharing
#              one model handle included);
#            - Plugins/vips/test.sh, every vips and pyvips check, against the
#              module built with ASan + UBSan and this library: `vips` and
#              `python3` preload the ASan runtime. Leaks are checked in the vips
#              processes (libvips' and GLib's own lasting allocations are
#              suppressed by name in Tests/sanitize-hosts.supp, none of ours);
#              in python only memory errors: CPython leaves its objects at exit
#              and has no frame pointers to tell its stacks from ours (the soak
#              measures our leaks in a pyvips process).
#   thread   ThreadSanitizer in the library and Tests/soak/soak.c run short
#            (8 calls, layers relu1_1..relu2_2): four threads sharing one model
#            handle, each with its own option mix, must give the bytes of the
#            same call made alone. The CI's TSan run (about a minute: the
#            threads are what TSan is for).
#   thread-full  by hand: the whole C ABI suite (Tests/c/test_abi.c, its two
#            threads on one handle and the per-thread last error included)
#            under TSan, then the soak at full depth with its 200 calls: about
#            5 + 9 minutes here (most of it the first use of each instrumented
#            layer). Shares thread's build.
# Default: address and thread. Any sanitizer report fails the mode (halt_on_error), as does a
# failed check. Needs $STYLIZE_MODEL (default: the installed model), clang,
# and for the vips suite libvips-dev and pyvips (in PYTHONPATH or /usr/local).
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
REPORT='^==[0-9]+==ERROR|^WARNING: ThreadSanitizer|runtime error:|^SUMMARY: [A-Za-z]+Sanitizer'
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

# run_c NAME LOG PROGRAM ARGS...: a C test program; its "N passed, M failed" and no report.
run_c() {
    local name="$1" log="$2"; shift 2
    local start=$SECONDS rc line reports
    "$@" >"$log" 2>&1
    rc=$?
    line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)"
    reports="$(grep -cE "$REPORT" "$log")"
    if [ -n "$line" ] && [ "$rc" = 0 ] && [ "$reports" = 0 ] && [ "${line#*passed, }" = "0 failed" ]; then
        ok "$name $line, no sanitizer report ($((SECONDS - start)) s)"
    else
        bad "$name exit $rc, ${line:-no result line}, $reports sanitizer report(s); log $log:"
        grep -E -A 25 "$REPORT" "$log" | head -n 60
        grep -E '^FAIL' "$log" | head -n 20
    fi
}

# vips_suite B: Plugins/vips/test.sh against B's library and an ASan + UBSan module.
vips_suite() {
    local B="$1" V="$1/vips" rt start=$SECONDS
    rt="$(clang -print-file-name=libclang_rt.asan-x86_64.so)"
    rm -rf "$V" && mkdir -p "$V/include" "$V/modules" "$V/home" "$V/bin" "$V/reports"
    ln -s ../lib "$V/lib"
    cp "$REPO/Sources/Stylize/include/stylize.h" "$V/include/"
    # As Plugins/vips/build.sh builds it, with the sanitizers.
    # shellcheck disable=SC2046
    if ! clang -std=gnu11 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
            -Wall -Wextra -Wno-unused-parameter -Werror -fPIC -shared -fvisibility=hidden \
            $(pkg-config --cflags vips) -I "$V/include" "$REPO/Plugins/vips/stylize.c" \
            -o "$V/modules/vips-stylize.so" -L "$B/lib" -Wl,-rpath,"$B/lib" -lstylize $(pkg-config --libs vips) -lm \
            2> >(quiet) || [ ! -f "$rt" ]; then
        bad "address: vips module build (runtime: $rt)"; return
    fi
    # Only the vips and python processes get the runtime (bash, awk... would report their own leaks).
    # VIPSHOME: this vips loads no installed module, only --plugin's.
    local env=(VIPSHOME="$V/home" LD_PRELOAD="$rt"
               UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$V/reports/ubsan")
    local leaks="detect_leaks=1:suppressions=$REPO/Tests/sanitize-hosts.supp:print_suppressions=0"
    printf '#!/bin/sh\nexec env %s ASAN_OPTIONS="%s" /usr/bin/vips "$@"\n' \
        "${env[*]}" "halt_on_error=1:$leaks:log_path=$V/reports/vips" >"$V/bin/vips"
    printf '#!/bin/sh\nexec env %s ASAN_OPTIONS="%s" PYTHONMALLOC=malloc /usr/bin/python3 "$@"\n' \
        "${env[*]}" "halt_on_error=1:detect_leaks=0:log_path=$V/reports/python" >"$V/bin/python3"
    chmod +x "$V/bin/vips" "$V/bin/python3"
    # pyvips where install.sh puts it for PREFIX (/usr/local: a folder python3 reads anyway).
    local site
    site="${PREFIX:-/usr/local}/lib/$(/usr/bin/python3 -c 'import sys; print("python%d.%d" % sys.version_info[:2])')/site-packages"
    PATH="$V/bin:$PATH" VIPSHOME="$V/home" VIPS_MODULE_DIR="$V/modules" PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}" \
        bash "$REPO/Plugins/vips/test.sh" "$V" >"$V/test.log" 2>&1
    local rc=$? line reports
    line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$V/test.log" | tail -n 1)"
    reports="$(cat "$V"/reports/* 2>/dev/null | grep -cE "$REPORT")"
    if [ -n "$line" ] && [ "$rc" = 0 ] && [ "$reports" = 0 ] && [ "${line#*passed, }" = "0 failed" ]; then
        ok "address: vips module tests $line, no sanitizer report ($((SECONDS - start)) s)"
    else
        bad "address: vips module tests exit $rc, ${line:-no result line}, $reports sanitizer report(s); $V/test.log, $V/reports:"
        cat "$V"/reports/* 2>/dev/null | grep -E -A 25 "$REPORT" | head -n 60
        grep -E -A 3 '^FAIL' "$V/test.log" | head -n 30
    fi
}

# The modes' objects compile side by side: swiftc -wmo compiles a module on one core, and
# the modes' builds are independent (the loop below then finds them up to date).
start=$SECONDS; building=" "
for mode in "${modes[@]}"; do
    san="${mode%-full}"
    case "$mode" in address|thread|thread-full) ;; *) continue ;; esac
    case "$building" in *" $san "*) continue ;; esac
    building="$building$san "
    mkdir -p "$BUILD"
    bash "$REPO/Tests/fuzz/modules.sh" "$BUILD/$san" "$san" >"$BUILD/$san.build.log" 2>&1 &
done
wait
echo "objects for${building% } compiled side by side in $((SECONDS - start)) s"

for mode in "${modes[@]}"; do
    case "$mode" in
    address) cflags="-fsanitize=address,undefined -fno-sanitize-recover=all"; test=("$REPO/Tests/c/test_abi.c") ;;
    # The toolchain's TSan runtime intercepts libdispatch, so it needs the toolchain's dispatch and blocks.
    thread|thread-full) cflags="-fsanitize=thread -L$SWIFT_LIBS -Wl,-rpath,$SWIFT_LIBS -ldispatch -lBlocksRuntime"
            test=("$REPO/Tests/soak/soak.c") ;;
    *) bad "unknown mode $mode (address, thread or thread-full)"; continue ;;
    esac
    san="${mode%-full}"  # thread-full: thread's sanitizer and objects
    B="$BUILD/$san"
    prog="$B/$(basename "${test[0]}" .c)"
    start=$SECONDS
    # The library as build-lib.sh lays it out (SONAME, exports), with the sanitizer.
    # shellcheck disable=SC2086
    if bash "$REPO/Tests/fuzz/modules.sh" "$B" "$san" \
        && mkdir -p "$B/lib" \
        && swiftc -emit-library -sanitize="$san" "$B/Stylize.o" "$B/ModelStore.o" "$B/StyleTransfer.o" -lopenblas \
            -Xlinker -soname=libstylize.so.1 -Xlinker "--version-script=$REPO/Sources/Stylize/stylize.map" \
            -o "$B/lib/libstylize.so.1" 2> >(quiet) \
        && ln -sfn libstylize.so.1 "$B/lib/libstylize.so" \
        && clang -std=gnu11 -Wall -Wextra -Werror -O1 -g -fno-omit-frame-pointer $cflags \
            -I "$REPO/Sources/Stylize/include" "${test[@]}" -L "$B/lib" -lstylize \
            -Wl,-rpath,"$B/lib" -lpthread -lm -o "$prog" 2> >(quiet); then
        ok "$mode: library and $(basename "$prog") build ($((SECONDS - start)) s)"
    else
        bad "$mode: build"; continue
    fi
    case "$mode" in
    address)
        run_c "address: test_abi" "$B/test_abi.log" "$prog"
        vips_suite "$B" ;;
    thread)
        # 8 calls, 4 of them the warm-up: the threads' checks, not the soak's figures.
        STYLIZE_SOAK_SHALLOW=1 run_c "thread: soak, 4 threads sharing one model:" "$B/soak.log" "$prog" 8 4 ;;
    thread-full)
        if clang -std=gnu11 -Wall -Wextra -Werror -O1 -g -fno-omit-frame-pointer $cflags \
               -I "$REPO/Sources/Stylize/include" "$REPO/Tests/c/test_abi.c" -L "$B/lib" -lstylize \
               -Wl,-rpath,"$B/lib" -lpthread -lm -o "$B/test_abi" 2> >(quiet); then
            run_c "thread-full: test_abi" "$B/test_abi.log" "$B/test_abi"
        else bad "thread-full: test_abi build"; fi
        run_c "thread-full: soak, 200 calls from 4 threads sharing one model:" "$B/soak-full.log" "$prog" ;;
    esac
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
