#!/usr/bin/env bash
# Builds the libFuzzer targets (address sanitizer, Swift's overflow and bounds
# checks on) and runs each for SECONDS:
#
#   Tests/fuzz/run.sh SECONDS [TARGET...]      -> last line "N passed, M failed"
#
# Targets (targets/*.swift, targets/*.c) and what they feed:
#   safetensors  arbitrary bytes to the model-file reader (Safetensors, ModelWeights)
#   onnx         arbitrary bytes to the ONNX importer (`stylize model import`)
#   options      the option-string parsers: layer lists, number lists, byte sizes, choices
#   cabi         stylize_image + stylize_options from bytes through stylize_check and,
#                for tiny admitted runs, stylize_with_model ($STYLIZE_MODEL, opened once)
# Each starts from corpus/TARGET (seeds and every input that once crashed: they
# are replayed first, so a fixed crash stays fixed); new inputs go to a scratch
# copy. A target fails on a crash, a trap, a leak, an input slower than its
# -timeout (a hang) or more than 2 GB; its input is kept in $STYLIZE_FUZZ_ARTIFACTS
# (default .build-fuzz/artifacts) and the report's last lines are shown.
set -u
[ $# -ge 1 ] && [[ "$1" =~ ^[0-9]+$ ]] || { echo "usage: $0 SECONDS [TARGET...]"; echo "0 passed, 1 failed"; exit 2; }
TIME="$1"; shift
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BUILD="${STYLIZE_FUZZ_BUILD:-$REPO/.build-fuzz}"
ARTIFACTS="${STYLIZE_FUZZ_ARTIFACTS:-$BUILD/artifacts}"
export PATH="/opt/swift/usr/bin:$PATH"
export STYLIZE_MODEL="${STYLIZE_MODEL:-/usr/local/share/stylize/vgg16.safetensors}"
# libFuzzer and ASan report crashes themselves; the Swift backtracer would only add a long pause.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors onnx options cabi)
passed=0; failed=0
B="$BUILD/fuzzer,address"
mkdir -p "$BUILD/bin" "$ARTIFACTS"
quiet() { grep -v 'ld.gold: warning' >&2; }

# Build: the Swift modules once, then one executable per target.
if ! bash "$HERE/modules.sh" "$B" fuzzer,address; then
    echo "FAIL building the instrumented modules"; echo "0 passed, ${#targets[@]} failed"; exit 1
fi
build() {
    local t="$1" src
    for src in "$HERE/targets/$t.swift" "$HERE/targets/$t.c"; do [ -f "$src" ] && break; done
    [ -f "$src" ] || { echo "no target $t"; return 1; }
    [ -f "$BUILD/bin/$t" ] && [ -z "$(find "$src" "$B" -maxdepth 1 -name "$(basename "$src")" -newer "$BUILD/bin/$t" -o -name '*.o' -newer "$BUILD/bin/$t")" ] && return 0
    case "$src" in
    *.swift)
        swiftc -parse-as-library -O -g -sanitize=fuzzer,address -I "$B" -I "$B/include" \
            -Xcc -I/usr/include/x86_64-linux-gnu/openblas-pthread \
            "$src" "$B/StyleTransfer.o" -lopenblas -o "$BUILD/bin/$t" 2> >(quiet) ;;
    *.c)  # the C ABI as a C host sees it, linked with the instrumented library objects
        clang -std=gnu11 -O1 -g -Wall -Wextra -Werror -fsanitize=fuzzer,address \
            -I "$REPO/Sources/Stylize/include" -c "$src" -o "$BUILD/bin/$t.o" &&
        swiftc -sanitize=fuzzer,address "$BUILD/bin/$t.o" "$B/Stylize.o" "$B/ModelStore.o" \
            "$B/StyleTransfer.o" -lopenblas -o "$BUILD/bin/$t" 2> >(quiet) ;;
    esac
}

# Per target: longest input, seconds one input may take before it counts as a hang.
limits() {
    case "$1" in
    safetensors|onnx) echo "-max_len=16384 -timeout=10" ;;
    options) echo "-max_len=512 -timeout=10 -dict=$HERE/options.dict" ;;
    cabi) echo "-max_len=1024 -timeout=60 -dict=$HERE/options.dict" ;;
    esac
}

for t in "${targets[@]}"; do
    if ! build "$t"; then failed=$((failed + 1)); echo "FAIL $t: does not build"; continue; fi
    work="$(mktemp -d)"
    log="$ARTIFACTS/$t.log"
    start=$SECONDS
    # shellcheck disable=SC2046
    "$BUILD/bin/$t" -max_total_time="$TIME" -rss_limit_mb=2048 -print_final_stats=1 $(limits "$t") \
        -artifact_prefix="$ARTIFACTS/$t-" "$work" "$HERE/corpus/$t" >"$log" 2>&1
    rc=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    cov="$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1)"
    if [ "$rc" = 0 ]; then
        passed=$((passed + 1)); echo "ok   $t: ${runs:-?} inputs in $((SECONDS - start)) s, $cov"
    else
        failed=$((failed + 1)); echo "FAIL $t (exit $rc): $(grep -oE 'Test unit written to .*' "$log" | tail -n 1)"
        grep -E 'ERROR|SUMMARY|Fatal error|fatal error|deadly|timeout|leak|==[0-9]+==' "$log" | head -n 12
    fi
    rm -rf "$work"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
