#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-symbols.sh READELF LIBRARY MAPFILE
#
# The shared library must export exactly the global symbols of the version
# script, each with the script's version node as default version.
set -eu

readelf=$1 lib=$2 map=$3

node=$(sed -n 's/^\([A-Z0-9_.]*\) {.*/\1/p' "$map")
expected=$(sed -n 's/^[[:space:]]*\(gem_advice_[a-z_]*\);.*/\1@@'"$node"'/p' "$map" | sort)
# Defined, global dynamic symbols other than the version node itself.
actual=$("$readelf" --dyn-syms --wide "$lib" |
	awk '$5 != "LOCAL" && $7 != "UND" && $7 != "ABS" && NF >= 8 && $1 ~ /^[0-9]+:$/ { print $8 }' |
	sort)

if [ -z "$node" ] || [ -z "$expected" ]; then
	echo "no version node or symbols in $map" >&2
	exit 1
fi
if [ "$expected" != "$actual" ]; then
	echo "exported symbols differ from $map:" >&2
	echo "expected:" $expected >&2
	echo "actual:  " $actual >&2
	exit 1
fi
echo "$(echo "$actual" | wc -l) symbols, all in $node"
