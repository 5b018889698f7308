#!/usr/bin/env bash
# Builds the self-contained C library and lays it out as an install tree:
#
#   Sources/Stylize/build-lib.sh OUTDIR
#
#   OUTDIR/lib/libstylize.so.1        SONAME libstylize.so.1, Swift runtime linked in
#   OUTDIR/lib/libstylize.so          -> libstylize.so.1
#   OUTDIR/include/stylize.h
#   OUTDIR/lib/pkgconfig/stylize.pc   prefix=OUTDIR (install.sh writes its own from stylize.pc.in)
#
# STYLIZE_SCRATCH picks SwiftPM's build folder (default .build, shared with the
# CLI build so the engine is compiled once); SWIFT picks the toolchain.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"
SWIFT="${SWIFT:-$(command -v swift || echo /opt/swift/usr/bin/swift)}"
SCRATCH="${STYLIZE_SCRATCH:-$REPO/.build}"
FLAGS=(-c release --package-path "$REPO" --scratch-path "$SCRATCH")

# -static-stdlib: no libswiftCore & co. at run time. The version script exports
# only stylize_* (the runtime inside stays private).
"$SWIFT" build "${FLAGS[@]}" --product StylizeC -Xswiftc -static-stdlib \
    -Xlinker -soname=libstylize.so.1 -Xlinker "--version-script=$REPO/Sources/Stylize/stylize.map" >&2
BIN="$("$SWIFT" build "${FLAGS[@]}" --show-bin-path)"

install -d "$OUT/lib/pkgconfig" "$OUT/include"
install -m 755 "$BIN/libStylizeC.so" "$OUT/lib/libstylize.so.1.tmp"
strip --strip-unneeded "$OUT/lib/libstylize.so.1.tmp"
mv -f "$OUT/lib/libstylize.so.1.tmp" "$OUT/lib/libstylize.so.1"
ln -sfn libstylize.so.1 "$OUT/lib/libstylize.so"
install -m 644 "$REPO/Sources/Stylize/include/stylize.h" "$OUT/include/stylize.h"
sed "s|@PREFIX@|$OUT|g" "$REPO/Sources/Stylize/stylize.pc.in" > "$OUT/lib/pkgconfig/stylize.pc"

# The result must stand alone: right SONAME, nothing from the toolchain or build tree.
soname="$(readelf -d "$OUT/lib/libstylize.so.1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[ "$soname" = libstylize.so.1 ] || { echo "build-lib.sh: SONAME is '$soname', expected libstylize.so.1" >&2; exit 1; }
# (SwiftPM adds RUNPATH $ORIGIN, which is harmless.)
if readelf -d "$OUT/lib/libstylize.so.1" | grep -E 'R(UN)?PATH' | grep -v '\[\$ORIGIN\]' >&2 \
   || ldd "$OUT/lib/libstylize.so.1" | grep -E "not found|/opt/swift|swift|$SCRATCH" >&2; then
    echo "build-lib.sh: $OUT/lib/libstylize.so.1 depends on the toolchain or build tree (see above)" >&2
    exit 1
fi
echo "$OUT/lib/libstylize.so.1"
