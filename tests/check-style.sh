#!/usr/bin/env bash
# Banned functions (as curl's checksrc): they either overflow or parse loosely.
# Checks every .c and .h file at any depth under the tree (default: this
# repository; tests/check-style.sh DIR checks another copy), except build
# output and hidden directories. Prints the offending lines and exits 1, or
# prints "style: ok".
root=${1:-"$(dirname "$0")/.."}
cd "$root" || exit 2
files=$(find . \( -name build -o -name bin -o -name '.?*' \) -prune -o \
	-type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort)
if [ -z "$files" ]; then
	echo "style: no C files under $root"
	exit 2
fi
# \b keeps snprintf, vsnprintf, strncat, fgets and strtok_r out of the match.
bad=$(printf '%s\n' "$files" | tr '\n' '\0' |
	xargs -0 grep -HnE '\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|atof|strtok|gets)\s*\(')
if [ -n "$bad" ]; then
	echo "banned functions used:"
	echo "$bad"
	exit 1
fi
echo "style: ok ($(printf '%s\n' "$files" | wc -l) files)"
