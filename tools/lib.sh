# SPDX-License-Identifier: GPL-2.0
# Common settings for the project's tools. Sourced, not run.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
KSRC=${KSRC:-$BUILD/linux}		# assembled kernel tree (a git repository)
BASE_TAG=v6.12.117-base			# pristine Debian linux-source-6.12 import
KVER=6.12.117
KDEBVER=$KVER-1~deb12u1		# Debian version of the pinned packages
KPKG=linux-source-6.12
KTARBALL=/usr/src/linux-source-6.12.tar.xz
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/drm-gem-populate

# ccache lives outside the clone so CI on this machine reuses earlier builds.
# BASEDIR makes paths under the clone relative, so a clone elsewhere hits too.
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_BASEDIR=$TOP
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-25G}
export CCACHE_SLOPPINESS=include_file_mtime,include_file_ctime,time_macros

T0=${T0:-$(date +%s)}
export T0

die() {
	echo "error: $*" >&2
	exit 1
}

# stage NAME: progress line with wall time since the front door started.
stage() {
	printf '==> [%4ss] %s\n' "$(($(date +%s) - T0))" "$*"
}

need_pkgs() {
	local missing=()
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	stage "installing ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || die "need packages: ${missing[*]} (run as root or install them)"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# The patches of a git format-patch directory, without its cover letter, one
# path a line: mapfile -t patches < <(exported_patches DIR)
exported_patches() {
	local p
	for p in "$1"/*.patch; do
		[ "${p##*/}" = 0000-cover-letter.patch ] || echo "$p"
	done
}

# Patch files named in patches/series, in order.
series() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$TOP/patches/series" | grep -v '^$' || true
}

# Overlay files a patch introduces: "Overlay: path" lines in its header.
overlay_of() {
	sed -n '/^diff --git /q; s/^Overlay: *//p' "$TOP/patches/$1"
}
