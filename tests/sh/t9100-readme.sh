#!/bin/sh
# t9100-readme.sh - README.md as a new user meets it, and the facts that
# README.md and dbv(7) state about the make files of pipelines/.
#
# 1. In a fresh "git clone" of the source tree (so: the README of the
#    last commit, not uncommitted edits), "make demo" as README.md says,
#    then every ```sh block of README.md in order, in one bash (set -e,
#    pipefail) in the clone's top directory, so that what a block sets
#    (export PATH=...) holds for the next ones, as in a reader's
#    terminal.  The first failing block fails the test and is printed.
#    Blocks opened otherwise (```console for the set-up commands, which
#    install packages and would run this test suite again; ```text for
#    output) are shown, not run.  The real Fashion-MNIST is needed
#    (FASHION_MNIST); the build and the demo take 1 to 3 minutes on two
#    cores.  Not under sanitizers: the clone builds without them.
# 2. The summary "make demo" printed against the ```text block of
#    README.md that shows it: its first line always (sizes); every
#    number where the CPU and OpenBLAS core are those README.md names
#    (an AMD EPYC, "core NAME (detected)" in dbv-load --version; the
#    numbers' last digits differ elsewhere).
# 3. Facts: the sentences of README.md and dbv(7) that give the sizes,
#    seeds, epochs and architectures of demo.mk, repro.mk and
#    double-descent.mk are rebuilt here from the make files' variables
#    (make -f ... --eval with a print rule) and must be found word for
#    word (README.md with its lines joined, dbv(7) formatted by groff),
#    so that changing a default without the text (or the text alone)
#    fails.
ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
. "$ROOT/tests/sh/lib.sh"

test_lazy_prereq GIT 'command -v git && git -C "$SRCDIR" rev-parse HEAD'
test_lazy_prereq BASH 'command -v bash'
# The CPU and core of the numbers README.md shows.
test_lazy_prereq README_CORE '
	core=$(tr "\n" " " <"$SRCDIR/README.md" |
		sed -n "s/.*--version\`: OpenBLAS [0-9.]*, core \([A-Za-z0-9]*\) (detected).*/\1/p") &&
	test -n "$core" && grep -q "AMD EPYC" /proc/cpuinfo &&
	"$T/clone/bin/dbv-load" --version | grep -q "core $core (detected)"
'

# ---- 1. the README in a fresh clone -------------------------------------

# readme_blocks FILE DIR: each ```sh block of FILE to DIR/NNN.sh.
readme_blocks() {
	awk -v dir="$2" '
	!fence && /^```/ { fence = 1; run = $0 == "```sh"; if (run) n++; next }
	fence && /^```[ \t]*$/ { fence = 0; run = 0; next }
	fence && run { print > sprintf("%s/%03d.sh", dir, n) }
	END { if (fence) { print "unterminated code block" >"/dev/stderr"; exit 1 } }
	' "$1"
}

test_expect_success GIT,FASHION_MNIST,!SANITIZED 'make demo in a fresh clone' '
	rm -rf clone && git clone -q "$SRCDIR" clone &&
	# As in a terminal: not the variables make check and the harness set.
	(cd clone && env -u BIN -u OUT -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make demo >../demo.out 2>../demo.err) &&
	test -s clone/out/demo/figure1.png && test -s clone/out/demo/heatmap.png
'

test_expect_success GIT,BASH,FASHION_MNIST,!SANITIZED 'README.md: the sh blocks run in order after make demo' '
	test -x clone/bin/dbv-load &&
	rm -rf blocks && mkdir blocks && readme_blocks clone/README.md blocks &&
	test $(ls blocks | wc -l) -ge 5 &&
	{
		for f in blocks/*.sh; do
			echo "echo ${f#blocks/} >\"$T/block.now\"" &&
			cat "$f" || exit 1
		done
	} >all.sh &&
	if ! (cd clone && env -u BIN -u OUT -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		timeout 600 bash -e -o pipefail "$T/all.sh" </dev/null >../blocks.out 2>&1); then
		b=$(cat block.now) &&
		echo "README.md: sh block ${b%.sh} failed:" &&
		sed "s/^/	/" "blocks/$b" && tail -n 20 blocks.out && false
	fi &&
	# What the blocks say they make.
	test -s clone/planes/plane-0000.png && test -s clone/planes/plane-0001.png &&
	test -s clone/fig1.png && test -s clone/noisy.dbv
'

# The ```text block of README.md that starts with "dbv demo:".
test_expect_success GIT,FASHION_MNIST,!SANITIZED 'make demo printed the summary README.md shows (sizes)' '
	awk "/^\`\`\`text/ { f = 1; next } /^\`\`\`/ { f = 0 } f" clone/README.md |
		sed -n "/^dbv demo:/,/^pictures:/p" >want &&
	sed -n "/^dbv demo:/,/^pictures:/p" demo.out >got &&
	test -s want && head -n 1 want >want1 && head -n 1 got >got1 &&
	test_cmp want1 got1
'

test_expect_success GIT,FASHION_MNIST,!SANITIZED,README_CORE 'make demo printed every number README.md shows (its CPU and core)' '
	test_cmp want got
'

# ---- 3. facts of README.md and dbv(7) against the make files ----------------

# mkvar FILE VAR: the value of VAR in pipelines/FILE.mk (its default:
# the environment cleared).
mkvar() {
	env -i PATH="$PATH" make -s --no-print-directory -f "$SRCDIR/pipelines/$1.mk" \
		--eval "dbv-print-%: ; @echo \"\$(\$*)\"" "dbv-print-$2"
}

# words N: two, three, ... (the counts the texts write out).
words() {
	case $1 in
	1) echo one ;; 2) echo two ;; 3) echo three ;; 4) echo four ;;
	5) echo five ;; 6) echo six ;; *) echo "$1" ;;
	esac
}

# commas N: 10,000.
commas() {
	echo "$1" | sed ":a; s/\([0-9]\)\([0-9]\{3\}\)\(\$\|,\)/\1,\2\3/; ta"
}

# list A B C: "A, B and C".
list() {
	echo "$*" | awk '{ s = $1; for (i = 2; i <= NF; i++) s = s (i < NF ? ", " : " and ") $i; print s }'
}

# percent 0 0.2: 0% 20%.
percent() {
	echo "$*" | awk '{ for (i = 1; i <= NF; i++) printf "%s%g%%", (i > 1 ? " " : ""), 100 * $i; print "" }'
}

# has TEXTFILE PHRASE: PHRASE occurs in TEXTFILE (lines joined, spaces
# squeezed).
has() {
	if ! grep -qF -- "$2" "$1"; then
		echo "$1 lacks: $2" >&2
		return 1
	fi
}

test_expect_success 'the helpers of the facts check' '
	test "$(commas 10000)" = 10,000 && test "$(commas 1234567)" = 1,234,567 &&
	test "$(commas 600)" = 600 &&
	test "$(list a b c d)" = "a, b, c and d" && test "$(list a b)" = "a and b" &&
	test "$(percent 0 0.2)" = "0% 20%" &&
	test "$(mkvar demo OUT)" = out/demo
'

test_expect_success 'README.md states demo.mk and repro.mk as they are' '
	tr "\n" " " <"$SRCDIR/README.md" | tr -s " " >readme.txt &&
	for v in NTRAIN EPOCHS SEEDS ARCHS TRIPLETS RES WIDTH_mlp WIDTH_cnn5 WIDTH_resnet18 DATA DATA_SEED_OFFSET; do
		eval "d_$v=\$(mkvar demo $v)" || exit 1
	done &&
	for v in NTRAIN EPOCHS SEEDS ARCHS TRIPLETS RES; do
		eval "r_$v=\$(mkvar repro $v)" || exit 1
	done &&
	test "$d_ARCHS" = "mlp cnn5 resnet18" &&
	ns=$(echo $d_SEEDS | wc -w) &&
	has readme.txt "trains $(words $ns) seeds each of an MLP (784-$d_WIDTH_mlp-10), the 5-layer CNN (width $d_WIDTH_cnn5) and a pre-activation ResNet-18 (width $d_WIDTH_resnet18) on $(commas $d_NTRAIN) training images for $d_EPOCHS epochs, cuts $d_TRIPLETS planes" &&
	has readme.txt "dbv demo: $d_DATA, $d_NTRAIN training images, $d_EPOCHS epochs; $d_TRIPLETS test planes of ${d_RES}x$d_RES points" &&
	has readme.txt "these CNNs are small and trained for $d_EPOCHS epochs" &&
	has readme.txt "its init seed + $d_DATA_SEED_OFFSET (\`DATA_SEED_OFFSET\`" &&
	na=$(echo $r_ARCHS | wc -w) && nr=$(echo $r_SEEDS | wc -w) &&
	has readme.txt "defaults ($na architectures × $nr seeds, $(commas $r_NTRAIN) images, $r_EPOCHS epochs, $r_TRIPLETS planes of $r_RES×$r_RES)" &&
	has readme.txt "with its defaults ($na architectures × $nr seeds, $r_TRIPLETS planes)"
'

test_expect_success GROFF 'dbv(7) states the three make files as they are' '
	groff -man -Tutf8 -rLL=5000n -rHY=0 -P-c -P-b -P-o -P-u "$SRCDIR/man/dbv.7" 2>/dev/null |
		tr "\n" " " | tr -s " " >dbv7.txt &&
	for v in NTRAIN EPOCHS SEEDS ARCHS TRIPLETS RES DATA_SEED_OFFSET; do
		eval "d_$v=\$(mkvar demo $v)" &&
		eval "r_$v=\$(mkvar repro $v)" || exit 1
	done &&
	for v in PRESET ARCH OPT WIDTHS NTRAIN NOISES SEEDS NTEST TRIPLETS; do
		eval "x_$v=\$(mkvar double-descent $v)" || exit 1
	done &&
	m_WIDTHS=$(env -i PATH="$PATH" make -s --no-print-directory -f "$SRCDIR/pipelines/double-descent.mk" \
		PRESET=mlp --eval "dbv-print-%: ; @echo \"\$(\$*)\"" dbv-print-WIDTHS) &&
	m_EPOCHS=$(env -i PATH="$PATH" make -s --no-print-directory -f "$SRCDIR/pipelines/double-descent.mk" \
		PRESET=mlp --eval "dbv-print-%: ; @echo \"\$(\$*)\"" dbv-print-EPOCHS) &&
	test "$d_ARCHS" = "mlp cnn5 resnet18" &&
	has dbv7.txt "$(words $(echo $d_SEEDS | wc -w)) seeds (SEEDS) of each of $(list $d_ARCHS) (ARCHS," &&
	has dbv7.txt "trained for $d_EPOCHS epochs (EPOCHS) on $d_NTRAIN Fashion-MNIST images (DATA, NTRAIN), $d_TRIPLETS test planes (TRIPLETS, seed PLANE_SEED) of $d_RES×$d_RES points (RES)" &&
	has dbv7.txt "(default $d_DATA_SEED_OFFSET, so that no data-order seed equals an init seed)" &&
	has dbv7.txt "$(words $(echo $r_SEEDS | wc -w)) seeds of $(list $r_ARCHS), $r_NTRAIN images, $r_EPOCHS epochs, $r_TRIPLETS planes of $r_RES×$r_RES points" &&
	test "$x_PRESET $x_ARCH" = "rf rf" &&
	has dbv7.txt "Its default (PRESET=rf) is random ReLU features (dbv-train --arch rf) of widths $(echo $x_WIDTHS | cut -d" " -f1) to $(echo $x_WIDTHS | tr " " "\n" | tail -n 1) (WIDTHS) on $x_NTRAIN images (NTRAIN)" &&
	has dbv7.txt "with $(list $(percent $x_NOISES)) label noise (NOISES, NOISE_SEED), feature seeds $(list $x_SEEDS) (SEEDS), the last layer fitted by minimum-norm least squares on one-hot targets (OPT: $x_OPT)" &&
	has dbv7.txt "PRESET=mlp is one-hidden-layer MLPs of widths $(echo $m_WIDTHS | cut -d" " -f1) to $(echo $m_WIDTHS | tr " " "\n" | tail -n 1), Adam, $m_EPOCHS epochs (EPOCHS; no peak)" &&
	has dbv7.txt "Scored on $x_NTEST test images (NTEST)"
'

test_done
