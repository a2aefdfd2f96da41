# Test groups, for `make test T=<group>` (sourced by tests/run-all and
# tests/run-pass from the top directory).
#
# Every exporter directory <x>_exporter/ (one with a main.c) is group <x>
# and owns the tests named for it: unit programs tests/unit/check_<x>_*.c,
# integration tests tests/integration/test_<x>_*.py and fuzz targets
# tests/fuzz/<x>_*.c. Every other test (common/, the Linux layer, the HTTP
# server, man pages, style) is in group "common". T=<x>_exporter is T=<x>.

groups() {
	local m d
	for m in */main.c; do
		d=${m%/main.c}
		echo "${d%_exporter}"
	done
	echo common
}

# The group of a test file name (check_x_y, test_x_y.py, x_y.c).
group_of() {
	local name=${1##*/} g
	name=${name#check_}
	name=${name#test_}
	for g in $(groups); do
		case $name in "$g"_*) echo "$g"; return ;; esac
	done
	echo common
}

# True if file belongs to the selected group ($T; empty selects everything).
selected() {
	[ -z "${T:-}" ] || [ "$(group_of "$1")" = "$T" ]
}

# Normalise $T (node_exporter -> node); exit 2 on an unknown group.
check_group() {
	T=${T:-}
	[ -n "$T" ] || return 0
	T=${T%_exporter}
	if ! groups | grep -qx "$T"; then
		echo "unknown test group T=$T; groups: $(groups | tr '\n' ' ')" >&2
		exit 2
	fi
}

# The check programs of $1 (a build directory) to run: those of the selected
# group whose source tests/unit/<name>.c still exists, so that a program left
# behind by a renamed or removed test is not run.
unit_programs() {
	local t
	for t in "$1"/tests/check_*; do
		[ -x "$t" ] && [ -f "tests/unit/${t##*/}.c" ] || continue
		selected "$t" && echo "$t"
	done
}
