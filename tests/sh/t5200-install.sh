#!/bin/sh
# t5200-install.sh - `make install` with DESTDIR into a scratch directory:
# tools, manual pages, and the study make files and scripts under
# PREFIX/share/dbv; the installed make files run the installed tools (found
# from where they are, with BIN unset); `make uninstall` removes it all.
# The tools are the ones under test ($BIN, passed to make as already made).
. "$(dirname "$0")/lib.sh"

# make in the source tree, taking $BIN's tools and build/config.mk as made.
topmake() {
	make --no-print-directory -C "$SRCDIR" BIN="$BIN" -o build/config.mk \
		$(for t in "$BIN"/dbv-*; do printf -- "-o %s " "$t"; done) "$@"
}

test_expect_success 'make install puts tools, manual pages, pipelines and scripts under PREFIX' '
	topmake install DESTDIR="$T/root" PREFIX=/usr >log 2>&1 &&
	(cd root && find . -type f | sort) >got &&
	{ (cd "$BIN" && ls dbv-*) | sed "s|^|./usr/bin/|" &&
	  (cd "$SRCDIR/man" && ls *.[157]) | sed "s|^\(.*\)\.\([157]\)$|./usr/share/man/man\2/\1.\2|" &&
	  (cd "$SRCDIR" && ls pipelines/*.mk pipelines/*.sh scripts/*) | grep -v "^scripts/check-layers$" |
		sed "s|^|./usr/share/dbv/|"
	} | sort >want &&
	test_cmp want got &&
	grep -q "^./usr/share/dbv/pipelines/demo.mk$" got &&
	grep -q "^./usr/share/dbv/pipelines/summary.sh$" got &&
	grep -q "^./usr/share/dbv/scripts/dbv2torch.py$" got &&
	test -x root/usr/bin/dbv-train && test -x root/usr/share/dbv/scripts/deps &&
	cmp "$SRCDIR/pipelines/common.mk" root/usr/share/dbv/pipelines/common.mk
'

test_expect_success 'the installed demo.mk runs the installed tools' '
	mkfixtures fx >/dev/null &&
	mkdir data && ln -s "$T/fx/fmnist" data/fashion-mnist &&
	(
		unset BIN &&
		DBV_DATA_DIR=$T/data ARCHS="mlp cnn5" SEEDS="0 1" NTRAIN=60 EPOCHS=1 \
		WIDTH_mlp=8 WIDTH_cnn5=2 TRIPLETS=3 RES=8 PIC_RES=16 \
		make --no-print-directory -f "$T/root/usr/share/dbv/pipelines/demo.mk" OUT=d >log 2>&1
	) &&
	grep -q "^root/usr/bin/dbv-train --arch cnn5 " log &&
	grep -q "^BIN=.root/usr/bin. sh $T/root/usr/share/dbv/pipelines/summary.sh study " log &&
	! grep "^[^ ]*dbv-[a-z]* " log | grep -v "^root/usr/bin/dbv-" &&
	grep -q "^  cnn5-s1 " d/summary.txt &&
	for f in d/figure1.png d/heatmap.png d/table.tsv; do test -s $f || exit 1; done
'

test_expect_success 'the installed double-descent.mk finds the installed tools too' '
	(
		unset BIN &&
		make --no-print-directory -f "$T/root/usr/share/dbv/pipelines/double-descent.mk" \
			-n OUT=dd >plan
	) &&
	grep -q "^root/usr/bin/dbv-train --arch rf --width 50 " plan
'

test_expect_success 'make uninstall removes every installed file' '
	topmake uninstall DESTDIR="$T/root" PREFIX=/usr >log 2>&1 &&
	(cd root && find . -type f) >left &&
	test_cmp /dev/null left &&
	! test -e root/usr/share/dbv
'

test_done
