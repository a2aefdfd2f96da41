#!/usr/bin/env bash
# Banned functions (as curl's checksrc): they either overflow or parse loosely.
cd "$(dirname "$0")/.."
bad=$(grep -nE '\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|atof|strtok|gets)\s*\(' \
	common/*.[ch] */*.c 2>/dev/null | grep -v '^tests/' | grep -v 'snprintf\|vsnprintf')
if [ -n "$bad" ]; then
	echo "banned functions used:"
	echo "$bad"
	exit 1
fi
echo "style: ok"
