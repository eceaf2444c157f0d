#!/bin/sh
# t4000-compare.sh - dbv-compare on synthetic pred streams with known
# label grids (tests/mkpred.c) and on real predictions of tiny models:
# agreement, class IoU, the group matrix, fragmentation, bootstrap
# intervals, accuracy and churn, the three outputs (table stream, TSV,
# JSON) against each other and against numbers computed here, every
# refusal, and the time over 20 streams x 500 planes (printed, not
# asserted).
#
# mkpred's planes (res R, plane p): quadrant labels q + p (bottom-left
# q = 0, bottom-right 1, top-left 2, top-right 3), p isolated dots of
# label 7 + p in the top-left quadrant; --flip-rows K relabels rows
# 0..K-1 (bottom quadrants) 5 + p and 6 + p.  So streams of K = a and
# K = b agree on 1 - |a - b|/R of every plane, and a plane has 4 + p
# regions (6 + p with flipped rows, K + p more with --dots K).
. "$(dirname "$0")/lib.sh"

has() { grep -F -q -e "$1" || { echo "missing: $1" >&2; return 1; }; }

# section TITLE FILE: the rows of the TSV section whose comment line
# starts with "# TITLE" (without that line and the column names).
section() {
	awk -v s="# $1" 'index($0, s) == 1 { on = 1; getline; next } /^$/ { on = 0 } on' "$2"
}
# Both files: the same number of lines, and the same numbers in each
# field, within TOL.
near() {
	paste "$1" "$2" | awk -F"\t" -v tol="$3" '
	{
		n = split($0, f, "\t")
		if (n % 2) { print "line " NR ": fields differ in number" >"/dev/stderr"; bad++; next }
		for (k = 1; k <= n / 2; k++) {
			a = f[k]; b = f[k + n / 2]
			if (a == b) continue
			if (a !~ /^-?[0-9.e+-]+$/ || b !~ /^-?[0-9.e+-]+$/) { print "line " NR ": " a " vs " b >"/dev/stderr"; bad++; continue }
			d = a - b; if (d < 0) d = -d
			if (d > tol) { print "line " NR ": " a " vs " b >"/dev/stderr"; bad++ }
		}
	}
	END { exit bad > 0 || NR == 0 }'
}

. "$SRCDIR/tests/sh/tvals.sh"

# regions R: 8-connected regions of each R x R plane of the labels on
# stdin (one a line, planes back to back), one count a line.
regions() {
	awk -v R="$1" '
	{ l[NR - 1] = $1 }
	END {
		n = R * R
		for (p = 0; p < NR / n; p++) {
			o = p * n; c = 0; split("", seen)
			for (s = 0; s < n; s++) {
				if (s in seen) continue
				c++; top = 0; st[top++] = s; seen[s] = 1
				while (top) {
					q = st[--top]; r = int(q / R); k = q % R
					for (dr = -1; dr <= 1; dr++) for (dc = -1; dc <= 1; dc++) {
						rr = r + dr; cc = k + dc; t = rr * R + cc
						if (rr < 0 || rr >= R || cc < 0 || cc >= R || (t in seen)) continue
						if (l[o + t] == l[o + q]) { seen[t] = 1; st[top++] = t }
					}
				}
			}
			print c
		}
	}'
}

# mkpred streams: 4 planes of 20 x 20; fK has K rows relabelled.
R=20
mk() { mkpred --res $R --planes 4 "$@"; }

test_expect_success 'synthetic pred streams' '
	for k in 0 2 3 4 6 9; do mk --flip-rows $k --seed $k >f$k.dbv || exit 1; done &&
	mk --shift 1 --seed 7 --arch mlp --width 8 >s1.dbv &&
	dbv-inspect --summary f0.dbv | has "\"kind\":\"pred\""
'

test_expect_success 'a stream against itself agrees everywhere' '
	dbv-compare --tsv f3.dbv - <f3.dbv >t0 &&
	section "agreement" t0 | has "0	1	1.000000	0.000000	1.000000	1.000000	1.000000" &&
	dbv-compare --tsv f3.dbv f3.dbv >t &&
	section "agreement" t >rows &&
	printf "0\t1\t1.000000\t0.000000\t1.000000\t1.000000\t1.000000\n" >want && test_cmp want rows &&
	section "streams" t >rows &&
	printf "0\tf3.dbv\t-\tcnn5 w=16 seed=3\n1\tf3.dbv\t-\tcnn5 w=16 seed=3\n" >want && test_cmp want rows &&
	has "# agreement over 4 planes of 20x20 points" <t
'

# The agreement and class IoU of fA against fB (A <= B), per plane p
# (classes present: q + p, 5 + p and 6 + p when B > 0, 7 + p when p > 0).
expect_pair() {
	awk -v a=$1 -v b=$2 -v R=$R -v P=4 'BEGIN {
		h = R / 2
		for (p = 0; p < P; p++) {
			i = 2 * (h - b) / (h - a) + 2 + (p > 0) + (b > 0 ? 2 * a / b : 0)
			s += i / (4 + 2 * (b > 0) + (p > 0))
		}
		printf "%.6f\t%.6f\n", 1 - (b - a) / R, s / P
	}'
}

test_expect_success 'known fractions: agreement and IoU of streams with rows relabelled' '
	dbv-compare --tsv f0.dbv f3.dbv f2.dbv f9.dbv >t &&
	section "agreement" t | cut -f1,2,3,4,7 >rows &&
	{ printf "0\t1\t%s\n" "$(expect_pair 0 3)" && printf "0\t2\t%s\n" "$(expect_pair 0 2)" &&
	  printf "0\t3\t%s\n" "$(expect_pair 0 9)" && printf "1\t2\t%s\n" "$(expect_pair 2 3)" &&
	  printf "1\t3\t%s\n" "$(expect_pair 3 9)" && printf "2\t3\t%s\n" "$(expect_pair 2 9)"; } |
		awk -F"\t" -v OFS="\t" "{ print \$1, \$2, \$3, \"0.000000\", \$4 }" >want &&
	test_cmp want rows &&
	grep -q "^0	1	0.850000	" rows && grep -q "^0	3	0.550000	" rows
'

test_expect_success 'models that disagree everywhere: agreement 0, exit 0' '
	dbv-compare --tsv f0.dbv s1.dbv >t &&
	section "agreement" t >rows &&
	printf "0\t1\t0.000000\t0.000000\t0.000000\t0.000000\t0.000000\n" >want && test_cmp want rows &&
	section "streams" t | has "mlp w=8 seed=7"
'

# The group matrix computed here from the per-pair rows of the TSV:
# entry (i, j) averages the pairs of a stream of group i with a stream of
# group j, distinct streams only; prints "gi gj pairs mean".  $1: the TSV,
# $2: "stream group" lines.
group_by_hand() {
	section "agreement" "$1" | awk -F"\t" -v OFS="\t" '
	NR == FNR { g[$1] = $2; if (!($2 in seen)) { seen[$2] = 1; names[ng++] = $2 }; next }
	{ a = g[$1]; b = g[$2]; s[a, b] += $3; c[a, b]++; if (a != b) { s[b, a] += $3; c[b, a]++ } }
	END {
		for (i = 0; i < ng; i++) for (j = i; j < ng; j++) {
			x = names[i]; y = names[j]
			print x, y, c[x, y] + 0, c[x, y] ? sprintf("%.6f", s[x, y] / c[x, y]) : "nan"
		}
	}' "$2" -
}

test_expect_success '--group: the matrix averages distinct pairs, never a model with itself' '
	dbv-compare --tsv --group A=f0.dbv,f2.dbv,f4.dbv --group B=f6.dbv,f9.dbv --group C=f3.dbv >t &&
	section "streams" t | cut -f1,3 >groups &&
	printf "0\tA\n1\tA\n2\tA\n3\tB\n4\tB\n5\tC\n" >want && test_cmp want groups &&
	test $(section "agreement" t | wc -l) = 15 &&
	group_by_hand t groups >hand &&
	section "group agreement with" t | cut -f1,2,3,4 >got &&
	near hand got 2e-6 &&
	printf "A\tA\t3\t0.866667\nA\tB\t6\t0.725000\nA\tC\t3\t0.916667\nB\tB\t1\t0.850000\nB\tC\t2\t0.775000\nC\tC\t0\tnan\n" >want &&
	near want got 2e-6 &&
	section "group agreement (" t >matrix &&
	printf "A\t0.866667\t0.725000\t0.916667\nB\t0.725000\t0.850000\t0.775000\nC\t0.916667\t0.775000\tnan\n" >want &&
	near want matrix 2e-6
'

test_expect_success '--fragmentation: quadrants, relabelled rows, dots' '
	mk --dots 3 >d3.dbv &&
	dbv-compare --tsv --fragmentation f0.dbv f3.dbv d3.dbv >t &&
	section "fragmentation" t >rows &&
	printf "0\t5.5000\t1.2910\n1\t7.5000\t1.2910\n2\t8.5000\t1.2910\n" >want && test_cmp want rows &&
	has "# fragmentation (8-connected regions per plane)" <t &&
	dbv-compare --tsv --fragmentation d3.dbv >t1 &&
	section "fragmentation" t1 >rows && printf "0\t8.5000\t1.2910\n" >want && test_cmp want rows &&
	test $(section "agreement" t1 | wc -l) = 0
'

# mkpred --pattern band at res 8 draws the diagonal (|i - j| <= 0) in its
# own class: under 8-connectivity the diagonal is one region and the
# cells either side of it in quadrants 0 and 3 touch across it at their
# corners, so the plane has 5 regions (14 under 4-connectivity); plane 1
# adds an isolated dot.
test_expect_success '--fragmentation: 8-connected (a diagonal is one region, not eight)' '
	mkpred --res 8 --planes 2 --pattern band >band.dbv &&
	tvals pred labels band.dbv | regions 8 >hand && printf "5\n6\n" >want && test_cmp want hand &&
	dbv-compare --tsv --fragmentation band.dbv >t &&
	section "fragmentation" t >rows && printf "0\t5.5000\t0.7071\n" >want && test_cmp want rows
'

test_expect_success 'the table stream: valid, with pairs, groups and fragmentation records' '
	dbv-compare --fragmentation --group A=f0.dbv,f2.dbv,f4.dbv --group B=f6.dbv,f9.dbv -o tab.dbv &&
	dbv-inspect --summary tab.dbv | has "\"kind\":\"table\"" &&
	dbv-inspect tab.dbv | tail -1 | has "\"counts\":{\"pairs\":1,\"groups\":1,\"fragmentation\":1}" &&
	dbv-inspect --head 0 tab.dbv | head -1 >h &&
	has "\"input\":\"planes\",\"planes\":4,\"res\":20,\"classes\":10,\"groups\":[\"A\",\"B\"]" <h &&
	has "{\"file\":\"f6.dbv\",\"group\":\"B\",\"desc\":\"cnn5 w=16 seed=6\",\"model\":{\"arch\":\"cnn5\"" <h &&
	dbv-compare --tsv --fragmentation --group A=f0.dbv,f2.dbv,f4.dbv --group B=f6.dbv,f9.dbv >t &&
	section "agreement" t | cut -f3 >want && tvals pairs agreement tab.dbv | awk "{ printf \"%.6f\n\", \$1 }" >got &&
	test_cmp want got &&
	section "agreement" t | cut -f1,2 | tr "\t" "\n" >want && tvals pairs pair tab.dbv >got && test_cmp want got &&
	section "agreement" t | cut -f7 >want && tvals pairs iou tab.dbv | awk "{ printf \"%.6f\n\", \$1 }" >got &&
	test_cmp want got &&
	tvals pairs per_plane tab.dbv | awk "{ s += \$1 } END { exit NR != 40 }" &&
	section "group agreement (" t | cut -f2,3 | tr "\t" "\n" >want &&
	tvals groups agreement tab.dbv | awk "{ printf \"%.6f\n\", \$1 }" >got && test_cmp want got &&
	tvals groups pairs tab.dbv | paste -s -d" " - >got && echo "3 6 6 1" >want && test_cmp want got &&
	section "fragmentation" t | cut -f2 >want &&
	tvals fragmentation mean tab.dbv | awk "{ printf \"%.4f\n\", \$1 }" >got && test_cmp want got &&
	tvals fragmentation per_plane tab.dbv | paste -s -d" " - >got &&
	echo "4 5 6 7 6 7 8 9 6 7 8 9 6 7 8 9 6 7 8 9" >want && test_cmp want got
'

test_expect_success JQ '--json parses and holds the numbers of the TSV' '
	dbv-compare --json --fragmentation --group A=f0.dbv,f2.dbv,f4.dbv --group B=f6.dbv,f9.dbv,f3.dbv >j &&
	dbv-compare --tsv --fragmentation --group A=f0.dbv,f2.dbv,f4.dbv --group B=f6.dbv,f9.dbv,f3.dbv >t &&
	jq -e ".input == \"planes\" and .planes == 4 and .res == 20 and (.streams | length) == 6" j >/dev/null &&
	jq -r ".pairs[] | [.a, .b, .agreement, .std, .ci95[0], .ci95[1], .iou] | @tsv" j |
		awk -F"\t" -v OFS="\t" "{ for (k = 3; k <= 7; k++) \$k = sprintf(\"%.6f\", \$k); print }" >got &&
	section "agreement" t >want && test_cmp want got &&
	jq -r ".groups.names as \$n | range(0; 2) as \$i | [\$n[\$i]] + [.groups.agreement[\$i][] ] | @tsv" j |
		awk -F"\t" -v OFS="\t" "{ for (k = 2; k <= NF; k++) \$k = sprintf(\"%.6f\", \$k); print }" >got &&
	section "group agreement (" t >want && test_cmp want got &&
	jq -r ".fragmentation as \$f | range(0; 6) as \$i | [\$i, \$f.mean[\$i], \$f.std[\$i]] | @tsv" j |
		awk -F"\t" -v OFS="\t" "{ \$2 = sprintf(\"%.4f\", \$2); \$3 = sprintf(\"%.4f\", \$3); print }" >got &&
	section "fragmentation" t >want && test_cmp want got &&
	jq -r ".streams[] | [.file, .group, .model] | @tsv" j >got &&
	section "streams" t | cut -f2- >want && test_cmp want got &&
	dbv-compare --json f0.dbv f0.dbv | jq -e ".pairs[0].agreement == 1 and .pairs[0].per_plane == [1,1,1,1] and (has(\"groups\") | not)" >/dev/null
'

# Planes whose agreement varies: mkpred --pattern regions moves the
# regions with the plane number and --shift.
test_expect_success 'bootstrap: intervals hold the mean, reproducible with --seed' '
	for s in 0 1 3; do mkpred --res 30 --planes 12 --pattern regions --shift $s >r$s.dbv || exit 1; done &&
	dbv-compare --tsv --group X=r0.dbv,r1.dbv --group Y=r3.dbv >b0 &&
	dbv-compare --tsv --seed 0 --group X=r0.dbv,r1.dbv --group Y=r3.dbv >b00 && test_cmp b0 b00 &&
	dbv-compare --tsv --seed 5 --group X=r0.dbv,r1.dbv --group Y=r3.dbv >b5 &&
	dbv-compare --tsv --seed 5 --group X=r0.dbv,r1.dbv --group Y=r3.dbv >b55 && test_cmp b5 b55 &&
	! cmp -s b0 b5 &&
	section "agreement" b5 | awk -F"\t" "\$4 <= 0 || \$5 > \$3 || \$6 < \$3 || \$5 >= \$6 { bad++ } END { exit bad > 0 || NR != 3 }" &&
	section "group agreement with" b5 | awk -F"\t" "\$4 == \"nan\" { next } \$6 > \$4 || \$7 < \$4 { bad++ } END { exit bad > 0 }" &&
	dbv-compare --tsv --bootstrap 50 --seed 5 r0.dbv r1.dbv >b50 && ! cmp -s b5 b50 &&
	section "agreement" b50 | awk -F"\t" "\$5 > \$3 || \$6 < \$3 { bad++ } END { exit bad > 0 }" &&
	dbv-compare --tsv --bootstrap 0 --group X=r0.dbv,r1.dbv --group Y=r3.dbv >bn &&
	section "agreement" bn | cut -f5,6 | sort -u >got && printf "nan\tnan\n" >want && test_cmp want got &&
	section "agreement" bn | cut -f1-4,7 >got && section "agreement" b5 | cut -f1-4,7 >want &&
	test_cmp want got &&
	section "group agreement with" bn | cut -f6,7 | sort -u >got && printf "nan\tnan\n" >want &&
	test_cmp want got
'

test_expect_success JQ 'bootstrap: no intervals are NaN intervals in --json' '
	dbv-compare --json --bootstrap 0 r0.dbv r1.dbv | jq -e ".pairs[0].ci95 == [\"NaN\", \"NaN\"]" >/dev/null
'

test_expect_success JQ 'bootstrap: the mean and std are those of the per-plane agreements' '
	dbv-compare --json r0.dbv r1.dbv r3.dbv >j &&
	jq -r ".pairs[] | [.agreement, .std] + .per_plane | @tsv" j | awk -F"\t" "{
		m = 0; for (k = 3; k <= NF; k++) m += \$k; m /= NF - 2
		v = 0; for (k = 3; k <= NF; k++) v += (\$k - m) ^ 2; v = sqrt(v / (NF - 3))
		if ((m - \$1) ^ 2 > 1e-20 || (v - \$2) ^ 2 > 1e-20 || NF != 14) bad++
	} END { exit bad > 0 || NR != 3 }"
'

test_expect_success 'real predictions: agreement and fragmentation against the label grids' '
	mkfixtures fx && dbv-load fashion-mnist --dir fx/fmnist -o train.dbv &&
	dbv-load fashion-mnist --dir fx/fmnist --split test -o test.dbv &&
	for s in 0 1; do dbv-train -q --arch mlp --width 8 --epochs 2 --seed $s -o m$s.dbv train.dbv || exit 1; done &&
	dbv-train -q --arch cnn5 --width 2 --epochs 2 -o c.dbv train.dbv &&
	dbv-plane --triplets 5 --seed 1 --res 12 -o p.dbv train.dbv &&
	for m in m0 m1 c; do dbv-predict --model $m.dbv -o P$m.dbv p.dbv &&
		tvals pred labels P$m.dbv >L$m || exit 1; done &&
	dbv-compare --tsv --fragmentation Pm0.dbv Pm1.dbv Pc.dbv >t &&
	paste Lm0 Lm1 Lc | awk "{ p = int((NR - 1) / 144); a[p] += \$1 == \$2; b[p] += \$1 == \$3; c[p] += \$2 == \$3 }
		END { for (p = 0; p < 5; p++) { sa += a[p] / 144; sb += b[p] / 144; sc += c[p] / 144 }
		      printf \"0\t1\t%.6f\n0\t2\t%.6f\n1\t2\t%.6f\n\", sa / 5, sb / 5, sc / 5 }" >want &&
	section "agreement" t | cut -f1,2,3 >got && test_cmp want got &&
	for m in m0 m1 c; do regions 12 <L$m | awk "{ s += \$1; q += \$1 * \$1 } END { m = s / NR; printf \"%.4f\t%.4f\n\", m, sqrt((q - NR * m * m) / (NR - 1)) }" || exit 1; done |
		awk -v OFS="\t" "{ print NR - 1, \$0 }" >want &&
	section "fragmentation" t >got && near want got 1e-4
'

test_expect_success JQ 'real predictions: per-plane regions and agreement in --json' '
	dbv-compare --json --fragmentation Pm0.dbv Pm1.dbv Pc.dbv >j &&
	jq -r ".fragmentation.per_plane[][]" j >got &&
	{ regions 12 <Lm0 && regions 12 <Lm1 && regions 12 <Lc; } >want && test_cmp want got &&
	jq -r ".pairs[0].per_plane[]" j >got &&
	paste Lm0 Lm1 | awk "{ p = int((NR - 1) / 144); a[p] += \$1 == \$2 } END { for (p = 0; p < 5; p++) print a[p] / 144 }" >want &&
	near want got 1e-12
'

test_expect_success 'dataset predictions: accuracy and churn' '
	for k in 0 2 5; do mkpred --input dataset --items 10 --wrong $k --seed $k >d$k.dbv || exit 1; done &&
	dbv-compare --tsv d0.dbv d2.dbv d5.dbv >t &&
	has "# accuracy over 10 items" <t &&
	section "accuracy" t >got && printf "0\t1.000000\t1.000000\n1\t0.800000\t0.800000\n2\t0.500000\t0.500000\n" >want &&
	test_cmp want got &&
	section "churn" t >got &&
	printf "0\t0.000000\t0.200000\t0.500000\n1\t0.200000\t0.000000\t0.300000\n2\t0.500000\t0.300000\t0.000000\n" >want &&
	test_cmp want got &&
	dbv-compare d0.dbv d2.dbv d5.dbv >dt.dbv &&
	dbv-inspect dt.dbv | tail -1 | has "\"counts\":{\"accuracy\":1}" &&
	dbv-inspect --head 0 dt.dbv | head -1 | has "\"input\":\"dataset\",\"planes\":0,\"res\":0,\"classes\":10" &&
	tvals accuracy churn dt.dbv | awk "{ printf \"%.6f\n\", \$1 }" >got &&
	section "churn" t | cut -f2- | tr "\t" "\n" >want && test_cmp want got &&
	tvals accuracy acc dt.dbv | paste -s -d" " - >got && echo "1 0.80000000000000004 0.5" >want && test_cmp want got
'

test_expect_success JQ 'dataset predictions: accuracy and churn in --json' '
	dbv-compare --json d0.dbv d2.dbv d5.dbv | jq -r "[.items, .acc[1], .churn[0][2], .churn[2][0]] | @tsv" >got &&
	printf "10\t0.8\t0.5\t0.5\n" >want && test_cmp want got
'

test_expect_success 'dataset predictions of real models: accuracy records and labels agree' '
	dbv-load fashion-mnist --dir fx/fmnist --split test --label-noise 0.5 -o ntest.dbv &&
	for m in m0 c; do dbv-predict --model $m.dbv -o D$m.dbv ntest.dbv &&
		tvals pred labels D$m.dbv >DL$m || exit 1; done &&
	dbv-compare --tsv Dm0.dbv Dc.dbv >t &&
	for m in m0 c; do dbv-inspect D$m.dbv | grep "\"t\":\"accuracy\"" |
		sed "s/.*\"acc\":\([^,]*\),\"acc_true\":\([^}]*\)}/\1 \2/" || exit 1; done |
		awk -v OFS="\t" "{ printf \"%d\t%.6f\t%.6f\n\", NR - 1, \$1, \$2 }" >want &&
	section "accuracy" t >got && near want got 1e-8 &&
	paste DLm0 DLc | awk "{ d += \$1 != \$2 } END { printf \"0\t0.000000\t%.6f\n1\t%.6f\t0.000000\n\", d / NR, d / NR }" >want &&
	section "churn" t >got && test_cmp want got &&
	dbv-compare --tsv Pm0.dbv Pc.dbv >/dev/null
'

test_expect_success 'refused: other planes, other grids, other classes, bad labels (exit 3)' '
	mk --tilt 0.5 >tilt.dbv && test_must_fail 3 dbv-compare f0.dbv tilt.dbv &&
	grep -q "plane 0 of tilt.dbv differs from plane 0 of f0.dbv" .mf_err &&
	mk --range 0,9,-2,8 >rng.dbv && test_must_fail 3 dbv-compare --tsv f0.dbv f2.dbv rng.dbv &&
	mkpred --res $R --planes 5 >p5.dbv && test_must_fail 3 dbv-compare f0.dbv p5.dbv &&
	grep -q "p5.dbv has 5 planes, f0.dbv has 4" .mf_err &&
	mkpred --res 21 --planes 4 >r21.dbv && test_must_fail 3 dbv-compare --json f0.dbv r21.dbv &&
	grep -q "grids of different sizes" .mf_err &&
	mk --classes 12 >k12.dbv && test_must_fail 3 dbv-compare f0.dbv k12.dbv &&
	mk --bad-label >bl.dbv && test_must_fail 3 dbv-compare f0.dbv bl.dbv &&
	mkpred --res $R --planes 0 >p0.dbv && test_must_fail 3 dbv-compare --fragmentation p0.dbv &&
	head -c 10000 f0.dbv >cut.dbv && test_must_fail 3 dbv-compare f0.dbv cut.dbv &&
	mkpred --input dataset --items 12 >d12.dbv && test_must_fail 3 dbv-compare d0.dbv d12.dbv &&
	mkpred --input dataset --items 10 --idx-offset 10 >d10o.dbv &&
	test_must_fail 3 dbv-compare d0.dbv d10o.dbv &&
	grep -q "predictions over different items" .mf_err
'

test_expect_success 'refused: a dataset pred against a planes pred, non-pred streams (exit 3/4)' '
	test_must_fail 3 dbv-compare f0.dbv d0.dbv &&
	grep -q "predictions over a dataset, the first stream" .mf_err &&
	test_must_fail 3 dbv-compare d0.dbv f0.dbv &&
	test_must_fail 3 dbv-compare f0.dbv p.dbv && grep -q "expected a pred stream, got a planes" .mf_err &&
	test_must_fail 3 dbv-compare train.dbv f0.dbv &&
	test_must_fail 3 dbv-compare --fragmentation m0.dbv &&
	test_must_fail 3 dbv-compare dt.dbv d0.dbv &&
	printf "junk" >junk && test_must_fail 3 dbv-compare f0.dbv junk &&
	test_must_fail 3 dbv-compare f0.dbv - </dev/null &&
	test_must_fail 4 dbv-compare f0.dbv nowhere.dbv &&
	test_must_fail 4 dbv-compare -o nowhere/t.dbv f0.dbv f2.dbv &&
	test_must_fail 3 dbv-compare -o x.dbv f0.dbv tilt.dbv && ! test -e x.dbv
'

test_expect_success 'usage errors exit 2' '
	test_must_fail 2 dbv-compare f0.dbv && grep -q "two or more" .mf_err &&
	test_must_fail 2 dbv-compare &&
	test_must_fail 2 dbv-compare --tsv --json f0.dbv f2.dbv &&
	test_must_fail 2 dbv-compare --group A f0.dbv &&
	test_must_fail 2 dbv-compare --group A= &&
	test_must_fail 2 dbv-compare --group =f0.dbv,f2.dbv &&
	test_must_fail 2 dbv-compare --group A=f0.dbv --group A=f2.dbv &&
	test_must_fail 2 dbv-compare --group A=f0.dbv,f2.dbv f3.dbv &&
	test_must_fail 2 dbv-compare --bootstrap -1 f0.dbv f2.dbv &&
	test_must_fail 2 dbv-compare --bootstrap x f0.dbv f2.dbv &&
	test_must_fail 2 dbv-compare --seed -1 f0.dbv f2.dbv &&
	test_must_fail 2 dbv-compare --bogus f0.dbv f2.dbv &&
	test_must_fail 2 dbv-compare f0.dbv f2.dbv --seed &&
	dbv-compare --help | has "usage: dbv-compare" && dbv-compare --version | has "dbv-compare"
'

test_expect_success 'an empty group is a usage error' '
	test_must_fail 2 dbv-compare --group A=f0.dbv,f2.dbv --group B=, &&
	test_must_fail 2 dbv-compare --tsv --group A=f0.dbv,f2.dbv --group B=,,
'

# The time over 20 streams x 500 planes at res 50 (mkpred cannot draw
# that many planes at res 50: real predictions of 20 mlp seeds over
# planes of a 2x2-pixel data set, so that the planes' geometry is small
# as mkpred's).  Printed, not asserted; skipped in sanitizer builds,
# where it means nothing and costs CI minutes.
test_expect_success !SANITIZED 'timing: 20 streams x 500 planes at res 50' '
	{ printf "\0\0\10\3\0\0\0\36\0\0\0\2\0\0\0\2" &&
	  LC_ALL=C awk "BEGIN { for (i = 0; i < 30; i++) for (k = 0; k < 4; k++) printf \"%c\", (i * 37 + k * k * 53 + i * k * 11) % 256 }"; } >t4x.idx &&
	{ printf "\0\0\10\1\0\0\0\36" && LC_ALL=C awk "BEGIN { for (i = 0; i < 30; i++) printf \"%c\", i % 3 }"; } >t4y.idx &&
	dbv-load --images t4x.idx --labels t4y.idx -o t4.dbv &&
	dbv-plane --triplets 500 --seed 1 --res 50 -o t4p.dbv t4.dbv &&
	mkdir -p big && for i in $(seq 0 19); do
		dbv-train -q --arch mlp --width 8 --epochs 2 --seed $i -o big/m.dbv t4.dbv &&
		dbv-predict --model big/m.dbv -o big/s$i.dbv t4p.dbv || exit 1
	done &&
	start=$(date +%s.%N) && dbv-compare -o big/t.dbv big/s*.dbv && end=$(date +%s.%N) &&
	dbv-compare --tsv --fragmentation big/s*.dbv >big/t.tsv && end2=$(date +%s.%N) &&
	test $(section "agreement" big/t.tsv | wc -l) = 190 &&
	awk -v a=$start -v b=$end -v c=$end2 "BEGIN { printf \"%.2f s (table stream), %.2f s (--tsv --fragmentation)\n\", b - a, c - b }" >timing &&
	rm -rf big
'
test -s "$T/timing" && echo "timing: $name: dbv-compare over 20 streams x 500 planes at res 50: $(cat "$T/timing")"

test_done
