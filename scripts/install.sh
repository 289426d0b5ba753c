#!/bin/sh
# Installs a claude-429 release binary for this machine, after checking its SHA-256.
#
#   sh install.sh [--version v0.1.0|latest] [--bin-dir DIR] [--man-dir DIR]
#                 [--completions-dir DIR | --no-completions]
#                 [--from-dir DIR | --base-url URL] [--target TRIPLE] [--no-fallback]
#   sh install.sh --print-target
#
# Downloads claude-429-<target>.tar.gz (.zip on Windows) and claude-429-<target>.sha256 from the
# GitHub release (or a local directory / another base URL, for mirrors and tests), verifies the
# checksum, and copies the binary to --bin-dir (default ~/.local/bin). A checksum mismatch is
# always fatal. When no binary exists for this platform (or the download fails) it falls back to
# `cargo install --locked claude-429`, unless --no-fallback is given. Shell completions for
# bash, zsh and fish go under --completions-dir (default ${XDG_DATA_HOME:-~/.local/share}):
# bash-completion/completions/claude-429 and fish/vendor_completions.d/claude-429.fish are
# found by bash-completion and fish; zsh/site-functions/_claude-429 needs that directory on
# fpath (the script says so).
#
# Environment (each flag wins over its variable):
#   CLAUDE_429_VERSION      --version   (default: latest)
#   CLAUDE_429_INSTALL_DIR  --bin-dir
#   CLAUDE_429_MAN_DIR      --man-dir   (man pages are installed only when set)
#   CLAUDE_429_COMPLETIONS_DIR  --completions-dir
#   CLAUDE_429_COMPLETIONS  0 for --no-completions
#   CLAUDE_429_DIST_DIR     --from-dir  (a directory holding the archive and its .sha256)
#   CLAUDE_429_BASE_URL     --base-url  (files are fetched from BASE_URL/<asset name>)
#   CLAUDE_429_REPO         GitHub owner/name (default claude-429/claude-429)
set -eu

REPO="${CLAUDE_429_REPO:-claude-429/claude-429}"
VERSION="${CLAUDE_429_VERSION:-latest}"
BIN_DIR="${CLAUDE_429_INSTALL_DIR:-${HOME:-.}/.local/bin}"
MAN_DIR="${CLAUDE_429_MAN_DIR:-}"
DIST_DIR="${CLAUDE_429_DIST_DIR:-}"
COMPLETIONS_DIR="${CLAUDE_429_COMPLETIONS_DIR:-}"
COMPLETIONS="${CLAUDE_429_COMPLETIONS:-1}"
BASE_URL="${CLAUDE_429_BASE_URL:-}"
TARGET=""
FALLBACK=1
PRINT_TARGET=0

say() { printf 'install.sh: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
    --version) VERSION="${2:?--version needs a value}"; shift 2 ;;
    --bin-dir) BIN_DIR="${2:?--bin-dir needs a value}"; shift 2 ;;
    --man-dir) MAN_DIR="${2:?--man-dir needs a value}"; shift 2 ;;
    --completions-dir) COMPLETIONS_DIR="${2:?--completions-dir needs a value}"; shift 2 ;;
    --no-completions) COMPLETIONS=0; shift ;;
    --from-dir) DIST_DIR="${2:?--from-dir needs a value}"; shift 2 ;;
    --base-url) BASE_URL="${2:?--base-url needs a value}"; shift 2 ;;
    --target) TARGET="${2:?--target needs a value}"; shift 2 ;;
    --no-fallback) FALLBACK=0; shift ;;
    --print-target) PRINT_TARGET=1; shift ;;
    -h | --help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done

# The release target for this OS and CPU; empty when no binary is built for it.
detect_target() {
    os=$(uname -s 2>/dev/null || echo unknown)
    arch=$(uname -m 2>/dev/null || echo unknown)
    case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) arch="" ;;
    esac
    [ -n "$arch" ] || return 0
    case "$os" in
    Linux) echo "${arch}-unknown-linux-musl" ;;
    Darwin) echo "${arch}-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) [ "$arch" = x86_64 ] && echo "x86_64-pc-windows-msvc" ;;
    esac
    return 0
}

[ -n "$TARGET" ] || TARGET=$(detect_target)
if [ "$PRINT_TARGET" = 1 ]; then
    [ -n "$TARGET" ] || die "no release binary is built for $(uname -s) $(uname -m)"
    echo "$TARGET"
    exit 0
fi

case "$VERSION" in
latest | "") VERSION=latest ;;
v*) ;;
*) VERSION="v$VERSION" ;;
esac

cargo_fallback() {
    [ "$FALLBACK" = 1 ] || die "$1 (and --no-fallback was given)"
    say "$1; building from source with cargo install --locked"
    command -v cargo >/dev/null 2>&1 || die "cargo is not installed (https://rustup.rs), so there is nothing to fall back to"
    root=$(mktemp -d)
    if [ "$VERSION" = latest ]; then
        cargo install --locked --root "$root" claude-429
    else
        cargo install --locked --root "$root" --version "${VERSION#v}" claude-429
    fi
    mkdir -p "$BIN_DIR"
    for f in "$root"/bin/claude-429*; do cp "$f" "$BIN_DIR/"; done
    rm -rf "$root"
    finish
}

# Writes the bash, zsh and fish completion scripts the installed binary prints. A binary that
# cannot run here (--target for another machine) installs none; that is not an error.
install_completions() {
    [ "$COMPLETIONS" != 0 ] || return 0
    dir="${COMPLETIONS_DIR:-${XDG_DATA_HOME:-${HOME:-.}/.local/share}}"
    bin="$BIN_DIR/claude-429$EXE"
    "$bin" completions bash >/dev/null 2>&1 || return 0
    for shell in bash zsh fish; do
        case "$shell" in
        bash) dest="$dir/bash-completion/completions/claude-429" ;;
        zsh) dest="$dir/zsh/site-functions/_claude-429" ;;
        fish) dest="$dir/fish/vendor_completions.d/claude-429.fish" ;;
        esac
        mkdir -p "$(dirname "$dest")" && "$bin" completions "$shell" >"$dest.tmp" && mv -f "$dest.tmp" "$dest" ||
            { rm -f "$dest.tmp"; say "warning: could not write $dest"; continue; }
    done
    say "installed bash, zsh and fish completions under $dir (zsh: add $dir/zsh/site-functions to fpath before compinit)"
}

finish() {
    install_completions
    say "installed $BIN_DIR/claude-429$EXE"
    if [ -n "${GITHUB_PATH:-}" ]; then
        echo "$BIN_DIR" >>"$GITHUB_PATH"
    fi
    case ":${PATH:-}:" in
    *":$BIN_DIR:"*) ;;
    *) say "note: $BIN_DIR is not on PATH" ;;
    esac
    exit 0
}

EXE=""
EXT="tar.gz"
case "$TARGET" in
*windows*) EXE=".exe"; EXT="zip" ;;
esac

[ -n "$TARGET" ] || cargo_fallback "no release binary is built for $(uname -s) $(uname -m)"

ASSET="claude-429-${TARGET}.${EXT}"
SUMS="claude-429-${TARGET}.sha256"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM

# fetch NAME: copies or downloads one release file into $WORK. Fails quietly (status 1).
fetch() {
    if [ -n "$DIST_DIR" ]; then
        [ -f "$DIST_DIR/$1" ] && cp "$DIST_DIR/$1" "$WORK/$1"
        return
    fi
    if [ -n "$BASE_URL" ]; then
        url="${BASE_URL%/}/$1"
    elif [ "$VERSION" = latest ]; then
        url="https://github.com/$REPO/releases/latest/download/$1"
    else
        url="https://github.com/$REPO/releases/download/$VERSION/$1"
    fi
    if command -v curl >/dev/null 2>&1; then
        curl --proto '=https,file' --tlsv1.2 -fsSL --retry 3 -o "$WORK/$1" "$url"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$WORK/$1" "$url"
    else
        die "neither curl nor wget is installed"
    fi
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        die "no sha256sum or shasum to verify the download with"
    fi
}

fetch "$ASSET" || cargo_fallback "cannot get $ASSET (version $VERSION)"
fetch "$SUMS" || die "cannot get $SUMS: refusing to install an unverified binary"

# The checksum file lists `<sha256>  <file name>` lines (sha256sum format).
want=$(awk -v f="$ASSET" '{ n = $2; sub(/^\*/, "", n); if (n == f) print $1 }' "$WORK/$SUMS" | head -n 1)
[ -n "$want" ] || die "$SUMS has no line for $ASSET"
got=$(sha256_of "$WORK/$ASSET")
[ "$want" = "$got" ] || die "checksum mismatch for $ASSET: expected $want, got $got"
say "verified sha256 $got ($ASSET)"

mkdir "$WORK/x"
case "$EXT" in
zip) (cd "$WORK/x" && unzip -q "../$ASSET") ;;
*) tar -xzf "$WORK/$ASSET" -C "$WORK/x" ;;
esac
BIN=$(find "$WORK/x" -type f -name "claude-429$EXE" | head -n 1)
[ -n "$BIN" ] || die "$ASSET holds no claude-429$EXE"

mkdir -p "$BIN_DIR"
cp "$BIN" "$BIN_DIR/claude-429$EXE.tmp"
chmod 755 "$BIN_DIR/claude-429$EXE.tmp"
mv -f "$BIN_DIR/claude-429$EXE.tmp" "$BIN_DIR/claude-429$EXE"

if [ -n "$MAN_DIR" ]; then
    pages=$(find "$WORK/x" -type f -name '*.1')
    if [ -n "$pages" ]; then
        mkdir -p "$MAN_DIR/man1"
        for p in $pages; do cp "$p" "$MAN_DIR/man1/"; done
        say "installed man pages in $MAN_DIR/man1"
    fi
fi
finish
