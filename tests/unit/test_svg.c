/*
 * test_svg.c - canvases as SVG (lib/draw/svg.c): base64 against RFC 4648's
 * vectors and a decoder written here; the text of SVG documents checked
 * by a small XML reader written here (well-formed: one root, tags
 * nested and closed, attributes quoted, only the five entities), the
 * escaping of text and titles, the elements each drawing call makes and
 * where, and a chart and a plane picture drawn as SVG: their elements,
 * their texts, and the plot's embedded PNG decoded and compared with the
 * class colours of the grid.  rsvg-convert renders them in t3400-svg.sh.
 */
#include <string.h>

#include "check.h"

/* ---- base64 ---------------------------------------------------------- */

/* The decoder of RFC 4648 section 4, written from the alphabet: -1 on a
 * bad digit, padding or length. */
static long unbase64(const char *s, uint8_t *out)
{
	static const char dig[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const size_t n = strlen(s);
	long o = 0;
	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			const char *p = s[i + k] ? strchr(dig, s[i + k]) : NULL;
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (p && !pad) {
				v[k] = (int)(p - dig);
			} else {
				return -1;
			}
		}
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
	}
	return o;
}

static void test_base64(void)
{
	/* RFC 4648, section 10. */
	static const char *const vec[7][2] = {
		{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
		{"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
	};
	char out[4 * 200 + 8];
	uint8_t in[600], back[600];

	for (int k = 0; k < 7; k++) {
		CHECK_EQ_INT(dbv_base64(vec[k][0], strlen(vec[k][0]), out),
			     strlen(vec[k][1]));
		CHECK(!strcmp(out, vec[k][1]));
	}
	/* Every length to 600 bytes, every byte value: the decoder gives
	 * them back. */
	uint32_t x = 12345;
	for (int i = 0; i < 600; i++) {
		x = x * 1103515245u + 12345u;
		in[i] = i < 256 ? (uint8_t)i : (uint8_t)(x >> 16);
	}
	int bad = 0;
	for (size_t n = 0; n <= 600; n++) {
		char *b = malloc(4 * (n / 3 + 1) + 1);
		const size_t m = dbv_base64(in, n, b);
		bad += m != 4 * ((n + 2) / 3) || strlen(b) != m;
		bad += unbase64(b, back) != (long)n || memcmp(back, in, n);
		free(b);
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(unbase64("Zm9v=", back), -1); /* the check's own check */
}

/* ---- an XML reader ---------------------------------------------------- */

/*
 * Well-formedness of what the writer makes (XML 1.0, the parts it uses):
 * a declaration and comments before one root element; names of letters,
 * digits, '-', ':', '_'; attributes name="value" with no '<' in values;
 * '&' only in the five predefined entities; every tag closed in order.
 * Collects the number of each element and the text of <text> and
 * <title> elements (entities replaced), one a line.
 */
struct xml {
	int ok;
	const char *why;
	char names[64][24];
	int counts[64], nnames;
	char text[1 << 16];
	size_t tlen;
	char root[24];
};

static void xml_count(struct xml *x, const char *name)
{
	for (int i = 0; i < x->nnames; i++)
		if (!strcmp(x->names[i], name)) {
			x->counts[i]++;
			return;
		}
	if (x->nnames < 64) {
		snprintf(x->names[x->nnames], sizeof x->names[0], "%s", name);
		x->counts[x->nnames++] = 1;
	}
}

static int xml_n(const struct xml *x, const char *name)
{
	for (int i = 0; i < x->nnames; i++)
		if (!strcmp(x->names[i], name))
			return x->counts[i];
	return 0;
}

static int is_name(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == ':' || c == '_';
}

/* An entity at s ("&...;"): its character, and *len its length; 0 if
 * none of the five. */
static int entity(const char *s, int *len)
{
	static const char *const e[5] = {"&lt;", "&gt;", "&amp;", "&quot;", "&apos;"};
	static const char ch[5] = {'<', '>', '&', '"', '\''};
	for (int k = 0; k < 5; k++)
		if (!strncmp(s, e[k], strlen(e[k]))) {
			*len = (int)strlen(e[k]);
			return ch[k];
		}
	return 0;
}

static int xml_fail(struct xml *x, const char *why)
{
	x->ok = 0;
	x->why = why;
	return 0;
}

static int xml_parse(struct xml *x, const char *s)
{
	char stack[64][24];
	int depth = 0, roots = 0, in_text = 0, len;

	memset(x, 0, sizeof *x);
	x->ok = 1;
	if (!strncmp(s, "<?xml ", 6)) {
		const char *e = strstr(s, "?>");
		if (!e)
			return xml_fail(x, "declaration");
		s = e + 2;
	}
	while (*s) {
		if (*s != '<') {
			/* Character data: outside the root only space. */
			if (!depth && !strchr(" \n\t\r", *s))
				return xml_fail(x, "text outside the root");
			int c = (unsigned char)*s;
			if (c == '&') {
				if (!(c = entity(s, &len)))
					return xml_fail(x, "bad entity");
				s += len;
			} else if (c == '>') {
				return xml_fail(x, "raw '>' in text");
			} else {
				s++;
			}
			if (in_text && x->tlen + 2 < sizeof x->text)
				x->text[x->tlen++] = (char)c;
			continue;
		}
		if (!strncmp(s, "<!--", 4)) {
			const char *e = strstr(s + 4, "-->");
			if (!e)
				return xml_fail(x, "comment");
			s = e + 3;
			continue;
		}
		const int close = s[1] == '/';
		char name[24];
		int n = 0;
		s += 1 + close;
		while (is_name(*s) && n < 23)
			name[n++] = *s++;
		name[n] = 0;
		if (!n || is_name(*s))
			return xml_fail(x, "tag name");
		if (close) {
			if (*s++ != '>' || !depth || strcmp(stack[depth - 1], name))
				return xml_fail(x, "closing tag");
			depth--;
			if (in_text && (!strcmp(name, "text") || !strcmp(name, "title"))) {
				in_text = 0;
				x->text[x->tlen++] = '\n';
				x->text[x->tlen] = 0;
			}
			continue;
		}
		/* Attributes: name="value", each name once (not checked). */
		for (;;) {
			while (*s == ' ' || *s == '\n')
				s++;
			if (*s == '>' || (s[0] == '/' && s[1] == '>'))
				break;
			const char *a = s;
			while (is_name(*s))
				s++;
			if (s == a || *s++ != '=' || *s++ != '"')
				return xml_fail(x, "attribute");
			while (*s && *s != '"') {
				if (*s == '<')
					return xml_fail(x, "'<' in a value");
				if (*s == '&' && !entity(s, &len))
					return xml_fail(x, "bad entity in a value");
				s++;
			}
			if (*s++ != '"')
				return xml_fail(x, "unterminated value");
		}
		if (!depth && roots++)
			return xml_fail(x, "a second root");
		if (!depth)
			snprintf(x->root, sizeof x->root, "%s", name);
		xml_count(x, name);
		if (*s == '/') {
			s += 2;
			continue;
		}
		s++;
		if (depth == 64)
			return xml_fail(x, "too deep");
		snprintf(stack[depth++], sizeof stack[0], "%s", name);
		in_text = !strcmp(name, "text") || !strcmp(name, "title");
	}
	if (depth || roots != 1)
		return xml_fail(x, "unclosed or no root");
	return 1;
}

/* The document cv makes with title, in memory (freed by the caller). */
static char *doc(const struct dbv_canvas *cv, const char *title)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	CHECK(f != NULL);
	CHECK_OK(dbv_canvas_write(cv, f, title));
	fclose(f);
	return buf;
}

/* The reader refuses what it should (so its passes mean something). */
static void test_reader(void)
{
	struct xml x;
	CHECK(xml_parse(&x, "<?xml version=\"1.0\"?>\n<a b=\"1\"><c/>t&amp;u</a>\n"));
	CHECK(!xml_parse(&x, "<a><b></a></b>"));
	CHECK(!xml_parse(&x, "<a>x & y</a>"));
	CHECK(!xml_parse(&x, "<a b=1/>"));
	CHECK(!xml_parse(&x, "<a b=\"<\"/>"));
	CHECK(!xml_parse(&x, "<a/><b/>"));
	CHECK(!xml_parse(&x, "<a>"));
	CHECK(!xml_parse(&x, "<a>&nbsp;</a>"));
}

/* ---- elements --------------------------------------------------------- */

static void test_elements(void)
{
	struct dbv_canvas cv = {.vector = 1};
	struct dbv_image src;
	struct xml x;

	CHECK_OK(dbv_canvas_init(&cv, 120, 80, DBV_WHITE));
	CHECK(strstr(cv.svg, "<rect width=\"120\" height=\"80\" fill=\"#ffffff\"/>"));
	dbv_canvas_rect(&cv, 1, 2, 3, 4, DBV_RGB(0x0072b2));
	CHECK(strstr(cv.svg, "<rect x=\"1\" y=\"2\" width=\"3\" height=\"4\" fill=\"#0072b2\"/>"));
	/* A frame t thick inside (x, y, w, h): a stroke t wide on the
	 * rectangle t/2 inside. */
	dbv_canvas_frame(&cv, 10, 20, 30, 40, 2, DBV_BLACK);
	CHECK(strstr(cv.svg, "<rect x=\"11\" y=\"21\" width=\"28\" height=\"38\" "
			     "fill=\"none\" stroke=\"#000000\" stroke-width=\"2\"/>"));
	dbv_canvas_stroke(&cv, 1.5, 2.25, 30, 40, 1.25, DBV_RGB(0xe69f00));
	CHECK(strstr(cv.svg, "<line x1=\"1.5\" y1=\"2.25\" x2=\"30\" y2=\"40\" "
			     "stroke=\"#e69f00\" stroke-width=\"1.25\""));
	dbv_canvas_stroke(&cv, NAN, 0, 1, 1, 1, DBV_BLACK); /* nothing */
	/* A circle marker: the edge as the circle grown by its width, the
	 * fill on top. */
	dbv_canvas_marker(&cv, DBV_MARKER_CIRCLE, 50, 40, 4, 1.5, DBV_WHITE, DBV_BLACK);
	const char *e = strstr(cv.svg, "<circle cx=\"50\" cy=\"40\" r=\"5.5\" fill=\"#000000\"/>");
	const char *f = strstr(cv.svg, "<circle cx=\"50\" cy=\"40\" r=\"4\" fill=\"#ffffff\"/>");
	CHECK(e && f && e < f);
	dbv_canvas_marker(&cv, DBV_MARKER_CIRCLE, 1e300, 40, 4, 1.5, DBV_WHITE,
			  DBV_BLACK); /* off the canvas: nothing */
	/* A square of half side 2 grown by 1. */
	dbv_canvas_marker(&cv, DBV_MARKER_SQUARE, 20, 20, 2, 1, DBV_WHITE, DBV_BLACK);
	CHECK(strstr(cv.svg, "<polygon points=\"23,17 17,17 17,23 23,23\" fill=\"#000000\"/>"));
	CHECK(strstr(cv.svg, "<polygon points=\"22,18 18,18 18,22 22,22\" fill=\"#ffffff\"/>"));
	/* Text: the baseline DBV_FONT_ASCENT*scale below the cell's top,
	 * 10 px a scale unit; turned, rotated about its start. */
	dbv_canvas_text(&cv, 5, 6, "Ab", 2, DBV_BLACK);
	CHECK(strstr(cv.svg, "<text x=\"5\" y=\"20\" font-size=\"20\" fill=\"#000000\">Ab</text>"));
	dbv_canvas_text_up(&cv, 5, 60, "up", 1, DBV_BLACK);
	CHECK(strstr(cv.svg, "<text x=\"12\" y=\"60\" font-size=\"10\" fill=\"#000000\" "
			     "transform=\"rotate(-90 12 60)\">up</text>"));
	/* A blit: the source scaled to the size drawn, as a PNG. */
	CHECK_OK(dbv_image_init(&src, 2, 1, DBV_BLACK));
	dbv_image_set(&src, 1, 0, DBV_RGB(0xff0000));
	dbv_canvas_blit(&cv, 60, 10, 4, 2, &src);
	CHECK(strstr(cv.svg, "<image x=\"60\" y=\"10\" width=\"4\" height=\"2\" "));
	dbv_image_release(&src);
	dbv_canvas_ramp(&cv, 100, 10, 8, 50, dbv_viridis);
	CHECK(strstr(cv.svg, "stop-color=\"#fde725\"")); /* viridis(1) */
	CHECK(strstr(cv.svg, "stop-color=\"#440154\"")); /* viridis(0) */
	CHECK(strstr(cv.svg, "fill=\"url(#ramp0)\""));
	dbv_canvas_group(&cv, "a<b");
	dbv_canvas_group_end(&cv);
	CHECK(strstr(cv.svg, "<g class=\"a&lt;b\">\n</g>"));

	char *d = doc(&cv, "T");
	CHECK(xml_parse(&x, d));
	CHECK(!strcmp(x.root, "svg"));
	CHECK(strstr(d, "width=\"120\" height=\"80\" viewBox=\"0 0 120 80\""));
	CHECK_EQ_INT(xml_n(&x, "circle"), 2);
	CHECK_EQ_INT(xml_n(&x, "polygon"), 2);
	CHECK_EQ_INT(xml_n(&x, "line"), 1);
	CHECK_EQ_INT(xml_n(&x, "image"), 1);
	CHECK_EQ_INT(xml_n(&x, "stop"), 33);
	CHECK(!strcmp(x.text, "T\nAb\nup\n"));
	free(d);

	/* The embedded PNG, decoded, is the source scaled 2x. */
	const char *b = strstr(cv.svg, "base64,");
	char b64[4096], path[600];
	uint8_t png[4096];
	struct dbv_image back;
	CHECK(b != NULL);
	if (b) {
		b += 7;
		const size_t n = strcspn(b, "\"");
		CHECK(n < sizeof b64);
		memcpy(b64, b, n);
		b64[n] = 0;
		const long m = unbase64(b64, png);
		snprintf(path, sizeof path, "%s/blit.png", check_tmpdir());
		FILE *pf = fopen(path, "wb");
		CHECK(pf && m > 0 && fwrite(png, 1, (size_t)m, pf) == (size_t)m);
		if (pf)
			fclose(pf);
		CHECK_OK(dbv_image_read_png(&back, path));
		CHECK(back.w == 4 && back.h == 2);
		for (int y = 0; y < 2 && back.w == 4; y++)
			for (int i = 0; i < 4; i++) {
				const struct dbv_rgb c = dbv_image_get(&back, i, y);
				CHECK(c.r == (i >= 2 ? 255 : 0) && c.g == 0 && c.b == 0);
			}
		dbv_image_release(&back);
	}
	dbv_canvas_release(&cv);

	/* Sides as dbv_image_init's. */
	CHECK_RC(dbv_canvas_init(&cv, 0, 5, DBV_WHITE), DBV_EUSAGE);
	CHECK_RC(dbv_canvas_init(&cv, 5, DBV_IMAGE_MAX_SIDE + 1, DBV_WHITE), DBV_EUSAGE);
	dbv_canvas_release(&cv);
}

/* Text and titles: the XML specials escaped, UTF-8 kept, other bytes one
 * '?' a character as the bitmap font draws them. */
static void test_escaping(void)
{
	struct dbv_canvas cv = {.vector = 1};
	struct xml x;

	CHECK_OK(dbv_canvas_init(&cv, 50, 50, DBV_WHITE));
	dbv_canvas_text(&cv, 0, 0, "a<b>&\"c'd", 1, DBV_BLACK);
	CHECK(strstr(cv.svg, ">a&lt;b&gt;&amp;&quot;c&apos;d</text>"));
	dbv_canvas_text(&cv, 0, 0, "caf\xc3\xa9 \xe2\x82\xac", 1, DBV_BLACK);
	/* A stray byte, a control, an overlong '/', a surrogate, a cut
	 * sequence: '?' each. */
	dbv_canvas_text(&cv, 0, 0, "\xff|\x01|\xc0\xaf|\xed\xa0\x80|\xe2\x82", 1,
			DBV_BLACK);
	dbv_canvas_text(&cv, 0, 0, "", 1, DBV_BLACK); /* no element */
	char *d = doc(&cv, "<&> \"title\" \x02");
	CHECK(xml_parse(&x, d));
	CHECK(x.ok || !fprintf(stderr, "xml: %s\n", x.why));
	CHECK(!strcmp(x.text, "<&> \"title\" ?\na<b>&\"c'd\ncaf\xc3\xa9 \xe2\x82\xac\n"
			      "?|?|?|?|?\n"));
	CHECK_EQ_INT(xml_n(&x, "text"), 3);
	/* The character counts the layout measured. */
	CHECK_EQ_INT(dbv_text_width("caf\xc3\xa9 \xe2\x82\xac", 1),
		     dbv_text_width("cafe e", 1));
	free(d);
	dbv_canvas_release(&cv);
}

/* ---- pictures --------------------------------------------------------- */

static int has_line(const char *text, const char *line)
{
	const size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static void test_heatmap(void)
{
	char *labels[3] = {"A", "B&C", "D"};
	const double v[9] = {1, 0.5, NAN, 0.5, 1, 0.25, NAN, 0.25, 1};
	struct dbv_heatmap h = {
		.n = 3, .labels = labels, .v = v, .lo = 0, .hi = 1,
		.title = "agreement <groups>", .note = "a note", .bar_label = "agreement",
		.colour_bar = 1, .ts = 2,
	};
	struct dbv_canvas cv = {.vector = 1};
	struct dbv_image im;
	struct xml x;

	CHECK_OK(dbv_chart_heatmap_on(&cv, &h));
	CHECK_OK(dbv_chart_heatmap(&im, &h));
	/* The same layout: the same size. */
	CHECK(cv.w == im.w && cv.h == im.h);
	char *d = doc(&cv, h.title);
	CHECK(xml_parse(&x, d));
	/* Background, 9 cells, the bar's gradient; the values, labels,
	 * ticks, title and note as text. */
	CHECK_EQ_INT(xml_n(&x, "rect"), 1 + 9 + 1 + 1 + 6);
	CHECK(has_line(x.text, "agreement <groups>"));
	CHECK(has_line(x.text, "a note"));
	CHECK(has_line(x.text, "B&C"));
	CHECK(has_line(x.text, "0.50"));
	CHECK(has_line(x.text, "n/a"));
	CHECK(has_line(x.text, "agreement"));
	/* The viridis colour of 0.5 fills a cell. */
	char want[64];
	const struct dbv_rgb c = dbv_viridis(0.5);
	snprintf(want, sizeof want, "fill=\"#%02x%02x%02x\"", c.r, c.g, c.b);
	CHECK(strstr(d, want));
	free(d);
	dbv_canvas_release(&cv);
	dbv_image_release(&im);
}

static void test_lines(void)
{
	const double xs[3] = {1, 2, 4}, y[3] = {0.5, 0.25, 0.75}, e[3] = {0.1, 0, 0.1};
	const struct dbv_series s[2] = {
		{.label = "w < 2", .n = 3, .x = xs, .y = y, .err = e},
		{.label = "other", .n = 3, .x = xs, .y = e},
	};
	const struct dbv_linechart lc = {
		.nseries = 2, .s = s, .title = "T", .xlabel = "width",
		.ylabel = "error", .w = 300, .h = 200, .legend = 1, .ts = 1,
	};
	struct dbv_canvas cv = {.vector = 1};
	struct dbv_image im;
	struct xml x;

	CHECK_OK(dbv_chart_lines_on(&cv, &lc));
	CHECK_OK(dbv_chart_lines(&im, &lc));
	CHECK(cv.w == im.w && cv.h == im.h);
	char *d = doc(&cv, "T");
	CHECK(xml_parse(&x, d));
	/* 2 x 2 segments and 2 legend lines; error bars: 2 points of 3
	 * strokes. */
	CHECK_EQ_INT(xml_n(&x, "line"), 4 + 2 + 6);
	/* Markers: series 0 circles (edge and fill), series 1 squares; 3
	 * points and one in the legend each. */
	CHECK_EQ_INT(xml_n(&x, "circle"), 2 * 4);
	CHECK_EQ_INT(xml_n(&x, "polygon"), 2 * 4);
	CHECK(has_line(x.text, "w < 2"));
	CHECK(has_line(x.text, "other"));
	CHECK(has_line(x.text, "width"));
	CHECK(has_line(x.text, "error"));
	CHECK(strstr(d, "<g class=\"legend\">"));
	CHECK(strstr(d, "<g class=\"axes\">"));
	free(d);
	dbv_canvas_release(&cv);
	dbv_image_release(&im);
}

#define RES 17
#define SIDE 510 /* dbv_planeplot_side(17, 0) */

/* A plane picture: the legend's class names as text, the plot an
 * embedded PNG whose pixels are the grid's class colours. */
static void test_planepic(void)
{
	static int32_t lab[RES * RES];
	static uint8_t thumbs[3 * 4 * 4];
	char *names[4] = {"T-shirt/top", "Trouser", "<Pull&over>", "Dress"};
	struct dbv_planeplot p = {
		.res = RES, .labels = lab, .c = 1, .h = 4, .w = 4, .images = thumbs,
		.model = "mlp", .seed = "seed 1", .y = {0, 1, 2},
		.y_true = {0, 1, 2}, .idx = {3, 4, 5},
		.at = {{2.5, 2.5}, {14.5, 2.5}, {8.5, 14.5}},
	};
	const struct dbv_planeplot *cells[1] = {&p};
	struct dbv_planepic pic = {
		.cells = cells, .n = 1, .cols = 1, .classes = 4, .names = names,
		.legend = 1, .data = "fmnist",
	};
	struct dbv_canvas cv = {.vector = 1};
	struct dbv_image im, back;
	struct xml x;
	char title[256];

	/* Row i (from the bottom), column j: class (i + 2 j) mod 4. */
	for (int i = 0; i < RES; i++)
		for (int j = 0; j < RES; j++)
			lab[i * RES + j] = (i + 2 * j) % 4;
	CHECK_EQ_INT(dbv_planeplot_side(RES, 0), SIDE);
	CHECK_OK(dbv_planepic_draw_on(&cv, &pic));
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	CHECK(cv.w == im.w && cv.h == im.h);
	dbv_planepic_title(&pic, title, sizeof title);
	char *d = doc(&cv, title);
	CHECK(xml_parse(&x, d));
	CHECK(x.ok || !fprintf(stderr, "xml: %s\n", x.why));
	CHECK(has_line(x.text, title));
	CHECK(has_line(x.text, "2 <Pull&over>"));
	CHECK(has_line(x.text, "0 T-shirt/top"));
	CHECK(has_line(x.text, "x3: <Pull&over> #5"));
	CHECK(has_line(x.text, "Predicted class"));
	/* The plot and 3 thumbnails; the marker edges and fills. */
	CHECK_EQ_INT(xml_n(&x, "image"), 4);
	CHECK(xml_n(&x, "circle") >= 2 && xml_n(&x, "polygon") >= 4);

	/* The plot's image: where the raster has it (inside the frame: the
	 * first black run of SIDE pixels), SIDE pixels, the class colours
	 * of the grid: pixel (px, py) shows grid point (RES - 1 -
	 * py*RES/SIDE, px*RES/SIDE). */
	int fx = -1, fy = -1;
	for (int y = 0; y < im.h && fx < 0; y++)
		for (int x0 = 0, run = 0; x0 < im.w && fx < 0; x0++) {
			const struct dbv_rgb c = dbv_image_get(&im, x0, y);
			run = !c.r && !c.g && !c.b ? run + 1 : 0;
			if (run == SIDE)
				fx = x0 - SIDE + 2, fy = y + 1;
		}
	char want[96];
	snprintf(want, sizeof want, "<image x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"",
		 fx, fy, SIDE, SIDE);
	const char *b = strstr(d, want);
	CHECK(b != NULL || !fprintf(stderr, "no %s in\n%.3000s\n", want, d));
	b = b ? strstr(b, "base64,") : NULL;
	if (b) {
		b += 7;
		const size_t n = strcspn(b, "\"");
		char *b64 = malloc(n + 1);
		uint8_t *png = malloc(n);
		char path[600];
		memcpy(b64, b, n);
		b64[n] = 0;
		const long m = unbase64(b64, png);
		snprintf(path, sizeof path, "%s/plot.png", check_tmpdir());
		FILE *pf = fopen(path, "wb");
		CHECK(pf && m > 0 && fwrite(png, 1, (size_t)m, pf) == (size_t)m);
		if (pf)
			fclose(pf);
		CHECK_OK(dbv_image_read_png(&back, path));
		CHECK(back.w == SIDE && back.h == SIDE);
		int bad = 0;
		for (int py = 0; py < back.h && back.w == SIDE; py++)
			for (int px = 0; px < SIDE; px++) {
				const int i = RES - 1 - py * RES / SIDE, j = px * RES / SIDE;
				const struct dbv_rgb c = dbv_image_get(&back, px, py);
				const struct dbv_rgb w = dbv_palette((i + 2 * j) % 4);
				bad += c.r != w.r || c.g != w.g || c.b != w.b;
			}
		CHECK_EQ_INT(bad, 0);
		dbv_image_release(&back);
		free(b64);
		free(png);
	}
	free(d);
	dbv_canvas_release(&cv);
	dbv_image_release(&im);
}

int main(void)
{
	test_base64();
	test_reader();
	test_elements();
	test_escaping();
	test_heatmap();
	test_lines();
	test_planepic();
	return check_done();
}
