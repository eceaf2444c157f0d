#!/bin/sh
# t3400-svg.sh - dbv-render and dbv-chart as SVG (-o NAME.svg, --format
# svg): a heat map, a line chart, a plane picture and a montage.  The
# documents are checked for their elements (text with the title and the
# legend's class names, an image for each plot, lines and markers of a
# chart, cells of a heat map), parsed by xmllint (XMLLINT: apt-get install
# libxml2-utils) and rendered by rsvg-convert (RSVG: apt-get install
# librsvg2-bin) into PNGs of the PNG's size whose colours where no text
# is are the PNG's.  Refused names write nothing.
. "$(dirname "$0")/lib.sh"

test_lazy_prereq XMLLINT 'command -v xmllint'
test_lazy_prereq RSVG 'command -v rsvg-convert'

px() { mkpred --pixel "$@"; }
has() { grep -F -q -e "$1" || { echo "missing: $1" >&2; return 1; }; }
# n FILE ELEMENT: how many <ELEMENT ...> FILE has (one element a line).
n() { grep -c "<$2[ >/]" "$1" || true; }
# xcount FILE ELEMENT: the same, counted by xmllint's XPath.
xcount() { xmllint --xpath "count(//*[local-name()=\"$2\"])" "$1"; }
# no_temps: no temporary file (NAME.tmp.PID.N) is left here.
no_temps() { ! ls ./*.tmp.* >/dev/null 2>&1; }

test_expect_success 'make pred streams and tables' '
	mkpred --planes 2 --seed 0 >a1.dbv &&
	mkpred --planes 2 --seed 1 >a2.dbv &&
	mkpred --planes 2 --seed 3 --flip-rows 10 >b1.dbv &&
	mkpred --planes 2 --seed 4 --shift 1 >c1.dbv &&
	mkpred >q.dbv &&
	dbv-compare --group A=a1.dbv,a2.dbv --group B=b1.dbv --group C=c1.dbv -o g.dbv &&
	for w in 1 2 4; do
		mkpred --planes 2 --width $w --dots $w >w$w.dbv || exit 1
	done &&
	dbv-compare --fragmentation w1.dbv w2.dbv w4.dbv -o lt.dbv
'

test_expect_success 'a heat map as SVG: cells as rects, labels and title as text' '
	dbv-render g.dbv -o heat.svg &&
	dbv-render g.dbv -o heat.png &&
	head -c 5 heat.svg | has "<?xml" &&
	tail -n 1 heat.svg | has "</svg>" &&
	has "<title>reproducibility (agreement)</title>" <heat.svg &&
	has ">reproducibility (agreement)</text>" <heat.svg &&
	has ">0.80</text>" <heat.svg &&
	has ">n/a</text>" <heat.svg &&
	has "<g class=\"colour-bar\">" <heat.svg &&
	has "<linearGradient" <heat.svg &&
	sed -n "/<g class=\"cells\">/,/<\/g>/p" heat.svg >cells &&
	test "$(n cells rect)" = 9 &&
	set -- $(mkpred --size heat.png) &&
	has "width=\"$1\" height=\"$2\" viewBox=\"0 0 $1 $2\"" <heat.svg &&
	no_temps
'

test_expect_success 'a line chart as SVG: lines, markers, axes, legend' '
	dbv-render lt.dbv --chart line --x width --y fragmentation -o line.svg &&
	dbv-chart lt.dbv --chart line --x width --y fragmentation --by width \
		--format svg -o line-by.svg &&
	has ">fragmentation vs width</text>" <line.svg &&
	has "<g class=\"axes\">" <line.svg &&
	has "<g class=\"grid\">" <line.svg &&
	sed -n "/<g class=\"series\">/,/<\/g>/p" line.svg >series &&
	test "$(n series line)" -ge 2 && test "$(n series circle)" = 6 &&
	has ">width = 4</text>" <line-by.svg &&
	has "<g class=\"legend\">" <line-by.svg
'

test_expect_success 'a plane picture as SVG: the plot an image, the legend text' '
	dbv-render q.dbv --thumbs -o plane.svg &&
	dbv-render q.dbv --thumbs -o plane.png &&
	has "<title>cnn5 w=16 seed 0, fashion-mnist test: #30 Bag, #72 Dress, #42 Sandal</title>" <plane.svg &&
	has ">cnn5 w=16 seed 0, fashion-mnist test: #30 Bag, #72 Dress, #42 Sandal</text>" <plane.svg &&
	for c in "0 T-shirt/top" "3 Dress" "9 Ankle boot" "Anchors" "x2: Dress #72"; do
		has ">$c</text>" <plane.svg || exit 1
	done &&
	test "$(n plane.svg image)" = 4 &&
	has "<image x=\"20\" y=\"50\" width=\"510\" height=\"510\"" <plane.svg &&
	has "xlink:href=\"data:image/png;base64," <plane.svg &&
	test "$(n plane.svg circle)" -ge 2 &&
	test "$(n plane.svg polygon)" -ge 4
'

test_expect_success 'a montage as SVG; -o DIR/ --format svg; -o NAME.SVG' '
	dbv-render --montage a1.dbv a2.dbv b1.dbv c1.dbv --cols 2 --plane 1 -o mont.svg &&
	test "$(n mont.svg image)" = 4 &&
	has ">cnn5 w=16 seed 3</text>" <mont.svg &&
	has ">cnn5 w=16</text>" <mont.svg &&
	has ">4 Coat</text>" <mont.svg &&
	dbv-render a1.dbv --format svg -o dir/ &&
	ls dir >list && printf "plane-0000.svg\nplane-0001.svg\n" >want && test_cmp want list &&
	has "<svg " <dir/plane-0001.svg &&
	dbv-render a1.dbv --plane 1 -o UP.SVG && has "<svg " <UP.SVG &&
	dbv-render a1.dbv --plane 1 -o up.Png && head -c 4 up.Png | has "PNG"
'

test_expect_success 'standard output: --format decides, PNG by default' '
	dbv-render a1.dbv --plane 0 --format svg >o.svg && has "<svg " <o.svg &&
	dbv-render a1.dbv --plane 0 --format svg -o - >o2.svg && cmp o.svg o2.svg &&
	dbv-render a1.dbv --plane 0 >o.png && head -c 4 o.png | has "PNG" &&
	dbv-chart g.dbv --format svg <g.dbv >c.svg && has "<svg " <c.svg &&
	dbv-render g.dbv -o c2.svg && cmp c.svg c2.svg
'

test_expect_success XMLLINT 'xmllint: every document well-formed, its elements counted' '
	for f in heat line line-by plane mont o dir/plane-0000; do
		xmllint --noout $f.svg || exit 1
	done &&
	test "$(xcount plane.svg image)" = 4 &&
	test "$(xcount mont.svg image)" = 4 &&
	test "$(xcount heat.svg text)" = "$(n heat.svg text)" &&
	test "$(xcount line.svg circle)" = "$(n line.svg circle)" &&
	test "$(xmllint --xpath "string(//*[local-name()=\"title\"])" plane.svg)" = \
		"cnn5 w=16 seed 0, fashion-mnist test: #30 Bag, #72 Dress, #42 Sandal"
'

test_expect_success XMLLINT 'xmllint: titles and labels with < & > " are escaped' '
	dbv-render q.dbv --title "a<b & \"c\" > d'"'"'s" -o esc.svg &&
	xmllint --noout esc.svg &&
	test "$(xmllint --xpath "string(//*[local-name()=\"title\"])" esc.svg)" = "a<b & \"c\" > d'"'"'s" &&
	dbv-render --montage a1.dbv a2.dbv --col-labels "x<1,y&2" -o escm.svg &&
	xmllint --noout escm.svg &&
	has ">x&lt;1</text>" <escm.svg && has ">y&amp;2</text>" <escm.svg
'

# same A.png B.png X Y: the pixel (X, Y) has one colour in both.
same() { test "$(px "$1" "$3" "$4")" = "$(px "$2" "$3" "$4")"; }

test_expect_success RSVG 'rsvg-convert renders each at the PNG size, regions and cells in the PNG colours' '
	for f in heat line plane mont; do
		rsvg-convert $f.svg -o r-$f.png || exit 1
	done &&
	dbv-render lt.dbv --chart line --x width --y fragmentation -o line.png &&
	dbv-render --montage a1.dbv a2.dbv b1.dbv c1.dbv --cols 2 --plane 1 -o mont.png &&
	for f in heat line plane mont; do
		test "$(mkpred --size r-$f.png)" = "$(mkpred --size $f.png)" || exit 1
	done &&
	for xy in "25 100" "500 100" "25 500" "500 520" "250 300"; do
		same plane.png r-plane.png $xy || exit 1
	done &&
	set -- $(mkpred --find heat.png 253 231 37) && X=$1 Y=$2 &&
	same heat.png r-heat.png $((X + 3)) $((Y + 3)) &&
	set -- $(mkpred --find mont.png 204 121 167) &&
	same mont.png r-mont.png $(($1 + 3)) $(($2 + 3)) &&
	same mont.png r-mont.png $(($3 - 3)) $(($4 - 3)) &&
	rsvg-convert dir/plane-0000.svg -o r-dir.png && rsvg-convert esc.svg -o r-esc.png &&
	rsvg-convert line-by.svg -o r-line-by.png
'

test_expect_success 'a name that is not .png or .svg is refused; nothing written' '
	test_must_fail 2 dbv-render a1.dbv --plane 0 -o x.jpg &&
	grep -q "^dbv-render: error: -o: .x.jpg.: the picture formats are PNG and SVG" .mf_err &&
	test_must_fail 2 dbv-render a1.dbv --plane 0 -o x &&
	test_must_fail 2 dbv-render g.dbv -o x.pdf &&
	test_must_fail 2 dbv-chart g.dbv -o x.jpg &&
	test_must_fail 2 dbv-render --montage a1.dbv a2.dbv -o x.svgz &&
	test_must_fail 2 dbv-render a1.dbv --format gif -o x.gif &&
	grep -q "^dbv-render: error: --format: .gif. is not png or svg$" .mf_err &&
	test_must_fail 2 dbv-render a1.dbv --plane 0 --format svg -o x.png &&
	grep -q "^dbv-render: error: -o: .x.png. names a png file, --format asks for svg$" .mf_err &&
	test_must_fail 2 dbv-chart g.dbv --format png -o x.svg &&
	! ls x x.* >/dev/null 2>&1 && no_temps
'

test_done
