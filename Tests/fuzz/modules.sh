#!/usr/bin/env bash
# Compiles the engine (StyleTransfer), ModelStore and the C ABI (Stylize) as
# Swift modules with a sanitizer, with swiftc directly so the flags stay here
# and out of Package.swift:
#
#   Tests/fuzz/modules.sh OUTDIR SANITIZERS      e.g. "fuzzer,address" or "thread"
#
#   OUTDIR/StyleTransfer.o ModelStore.o Stylize.o   objects (PIC); StyleTransfer.o
#                                                   holds the engine's C kernels too
#                                                   (Sources/CKernels, ld -r)
#   OUTDIR/*.swiftmodule, OUTDIR/include/module.modulemap   to import them
#
# -O, not the release build's -Ounchecked: every integer overflow, bad
# conversion and out-of-bounds index stays a trap, so the sanitizer runs also
# catch what -Ounchecked would silently wrap (Swift has no -sanitize=undefined;
# these checks are its counterpart). Rebuilds only when a source is newer than
# its object.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OUTDIR SANITIZERS" >&2; exit 2; }
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$1/include"
OUT="$(cd "$1" && pwd)"
SAN="$2"
SWIFTC="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
BLAS_INC=/usr/include/x86_64-linux-gnu/openblas-pthread

# The C modules SwiftPM would synthesise: COpenBLAS (cblas.h), the engine's C kernels, and the header of the C ABI.
cat > "$OUT/include/module.modulemap" <<EOF
module COpenBLAS {
    header "$REPO/Sources/COpenBLAS/include/COpenBLAS.h"
    link "openblas"
    export *
}
module CKernels {
    header "$REPO/Sources/CKernels/include/ckernels.h"
    export *
}
EOF
echo "$SAN $SWIFTC" > "$OUT/flags.new"
cmp -s "$OUT/flags.new" "$OUT/flags" || rm -f "$OUT"/*.o
mv "$OUT/flags.new" "$OUT/flags"

# module NAME SWIFT_VERSION SOURCEDIR EXTRA_FLAGS...: one whole-module object.
module() {
    local name="$1" version="$2" dir="$3"; shift 3
    local sources
    mapfile -t sources < <(find "$REPO/Sources/$dir" -name '*.swift' | sort)
    if [ -f "$OUT/$name.o" ] && [ -z "$(find "$REPO/Sources/$dir" -name '*.swift' -newer "$OUT/$name.o")" ] \
       && [ -z "${REBUILT:-}" ]; then
        return 0
    fi
    echo "modules.sh: compiling $name (-sanitize=$SAN)" >&2
    "$SWIFTC" -module-name "$name" -parse-as-library -wmo -O -g -suppress-warnings -swift-version "$version" \
        -sanitize="$SAN" -I "$OUT" -I "$OUT/include" -Xcc "-I$BLAS_INC" "$@" \
        -emit-module -emit-module-path "$OUT/$name.swiftmodule" \
        -c "${sources[@]}" -o "$OUT/$name.swift.o" 2> >(grep -v 'ld.gold: warning' >&2)
    if [ "$name" = StyleTransfer ]; then
        ld -r "$OUT/$name.swift.o" "$OUT/CKernels.o" -o "$OUT/$name.o"
    else
        mv -f "$OUT/$name.swift.o" "$OUT/$name.o"
    fi
    touch "$OUT/$name.o"  # swiftc may keep an unchanged object's old time; what links it must see it is new
    REBUILT=1  # the modules that import it are compiled again
}
# The engine's C kernels with the same sanitizers (libFuzzer's coverage without its main).
ckernels() {
    local cflags
    case "$SAN" in *thread*) cflags=-fsanitize=thread ;; *) cflags="-fsanitize=${SAN/fuzzer/fuzzer-no-link}" ;; esac
    if [ -f "$OUT/CKernels.o" ] && [ -z "$(find "$REPO/Sources/CKernels" -type f -newer "$OUT/CKernels.o")" ]; then
        return 0
    fi
    echo "modules.sh: compiling CKernels ($cflags)" >&2
    "${CLANG:-$(dirname "$SWIFTC")/clang}" -std=gnu11 -O2 -g -fPIC -ffp-contract=off $cflags -I "$REPO/Sources/CKernels/include" \
        -c "$REPO/Sources/CKernels/kernels.c" -o "$OUT/CKernels.o"
    REBUILT=1  # StyleTransfer.o holds it
}
ckernels
module StyleTransfer 5 StyleTransfer
module ModelStore 6 ModelStore
module Stylize 6 Stylize -I "$REPO/Sources/Stylize/CHeader"
