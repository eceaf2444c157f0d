/*
 * test_image.c - the picture library (lib/draw/image.c): PNG round trips, the
 * palette's spacing, the font's glyphs, markers, text, blits.
 */
#include <png.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static const char *tmp;

static int same_rgb(struct dbv_rgb a, struct dbv_rgb b)
{
	return a.r == b.r && a.g == b.g && a.b == b.b;
}

static int is_white(const struct dbv_image *im, int x, int y)
{
	return same_rgb(dbv_image_get(im, x, y), DBV_WHITE);
}

/* ---- PNG ---- */

/* im to a new file at path through dbv_image_write_png_fd. */
static int write_png(const struct dbv_image *im, const char *path,
		     const char *title)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666), rc;
	if (fd < 0)
		return DBV_EIO;
	rc = dbv_image_write_png_fd(im, fd, path, title);
	close(fd);
	return rc;
}

static void test_png_round_trip(void)
{
	struct dbv_image a, b;
	struct dbv_rng rng;
	char path[600];
	FILE *f;

	/* Odd sizes and noise: no filter or row-size shortcut can hide. */
	CHECK_OK(dbv_image_init(&a, 37, 23, DBV_WHITE));
	dbv_rng_seed(&rng, 7);
	for (size_t i = 0; i < (size_t)a.w * a.h * 3; i++)
		a.rgb[i] = (uint8_t)dbv_rng_below(&rng, 256);
	snprintf(path, sizeof path, "%s/a.png", tmp);
	CHECK_OK(write_png(&a, path, "a title"));
	CHECK_OK(dbv_image_read_png(&b, path));
	CHECK_EQ_INT(b.w, 37);
	CHECK_EQ_INT(b.h, 23);
	CHECK(b.rgb && !memcmp(a.rgb, b.rgb, (size_t)37 * 23 * 3));
	dbv_image_release(&b);

	/* Through a FILE*. */
	snprintf(path, sizeof path, "%s/b.png", tmp);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f) {
		CHECK_OK(dbv_image_write_png(&a, f, NULL));
		CHECK(fclose(f) == 0);
		CHECK_OK(dbv_image_read_png(&b, path));
		CHECK(b.rgb && !memcmp(a.rgb, b.rgb, (size_t)37 * 23 * 3));
		dbv_image_release(&b);
	}

	/* A 1x1 image. */
	dbv_image_release(&a);
	CHECK_OK(dbv_image_init(&a, 1, 1, DBV_RGB(0x123456)));
	snprintf(path, sizeof path, "%s/c.png", tmp);
	CHECK_OK(write_png(&a, path, NULL));
	CHECK_OK(dbv_image_read_png(&b, path));
	CHECK(b.w == 1 && b.h == 1 && same_rgb(dbv_image_get(&b, 0, 0),
					      DBV_RGB(0x123456)));
	dbv_image_release(&a);
	dbv_image_release(&b);
}

/* A grey+alpha 16-bit PNG written with libpng directly reads as RGB8. */
static void test_png_read_converts(void)
{
	char path[600];
	struct dbv_image im;
	png_structp png;
	png_infop info;
	FILE *f;
	uint8_t row[3 * 4]; /* 3 pixels of grey16 + alpha16, big-endian */

	snprintf(path, sizeof path, "%s/grey.png", tmp);
	f = fopen(path, "wb");
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png_create_info_struct(png);
	if (!f || !png || !info || setjmp(png_jmpbuf(png))) {
		CHECK(!"libpng setup");
		return;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, 3, 1, 16, PNG_COLOR_TYPE_GRAY_ALPHA,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	const uint8_t v[3] = {0x00, 0x80, 0xff};
	for (int i = 0; i < 3; i++) {
		row[4 * i] = v[i];
		row[4 * i + 1] = 0x00;
		row[4 * i + 2] = 0xff; /* opaque */
		row[4 * i + 3] = 0xff;
	}
	png_write_row(png, row);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	fclose(f);
	CHECK_OK(dbv_image_read_png(&im, path));
	CHECK(im.w == 3 && im.h == 1);
	if (im.rgb) {
		CHECK(same_rgb(dbv_image_get(&im, 0, 0), DBV_RGB(0x000000)));
		CHECK(same_rgb(dbv_image_get(&im, 1, 0), DBV_RGB(0x808080)));
		CHECK(same_rgb(dbv_image_get(&im, 2, 0), DBV_RGB(0xffffff)));
	}
	dbv_image_release(&im);
}

static void test_png_errors(void)
{
	struct dbv_image im, a;
	char path[600];
	FILE *f;

	snprintf(path, sizeof path, "%s/none.png", tmp);
	CHECK_RC(dbv_image_read_png(&im, path), DBV_EIO);
	CHECK(im.rgb == NULL);

	snprintf(path, sizeof path, "%s/text.png", tmp);
	f = fopen(path, "w");
	fputs("not a png at all\n", f);
	fclose(f);
	CHECK_RC(dbv_image_read_png(&im, path), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "not a PNG file") != NULL);

	/* A PNG cut in the middle of its data. */
	CHECK_OK(dbv_image_init(&a, 64, 64, DBV_WHITE));
	for (int i = 0; i < 64 * 64 * 3; i++)
		a.rgb[i] = (uint8_t)(i * 7919 >> 3);
	snprintf(path, sizeof path, "%s/cut.png", tmp);
	CHECK_OK(write_png(&a, path, NULL));
	CHECK(truncate(path, 200) == 0);
	CHECK_RC(dbv_image_read_png(&im, path), DBV_EINPUT);
	CHECK(im.rgb == NULL);

	/* A descriptor that cannot be written: an error naming the output. */
	CHECK_RC(dbv_image_write_png_fd(&a, -1, "out.png", NULL), DBV_EIO);
	CHECK(strstr(dbv_errmsg(), "cannot write 'out.png'") != NULL);
	f = fopen("/dev/full", "wb");
	if (f) {
		CHECK_RC(dbv_image_write_png_fd(&a, fileno(f), "full.png", NULL),
			 DBV_EIO);
		CHECK(!strncmp(dbv_errmsg(), "full.png: ", 10));
		fclose(f);
	}
	dbv_image_release(&a);

	CHECK_RC(dbv_image_init(&a, 0, 5, DBV_WHITE), DBV_EUSAGE);
	CHECK_RC(dbv_image_init(&a, 5, DBV_IMAGE_MAX_SIDE + 1, DBV_WHITE),
		 DBV_EUSAGE);
	CHECK(a.rgb == NULL);
}

/* ---- palette ---- */

static double lin(double c)
{
	c /= 255;
	return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static double labf(double t)
{
	return t > 216.0 / 24389 ? cbrt(t) : (24389.0 / 27 * t + 16) / 116;
}

/* sRGB (D65) to CIELAB. */
static void lab(struct dbv_rgb c, double out[3])
{
	const double r = lin(c.r), g = lin(c.g), b = lin(c.b);
	const double x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
	const double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
	const double z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
	out[0] = 116 * labf(y) - 16;
	out[1] = 500 * (labf(x) - labf(y));
	out[2] = 200 * (labf(y) - labf(z));
}

/*
 * The thresholds.  RGB: the cube's diagonal is 441; 40 is 9% of it, and
 * the strongest confidence shading (60% toward white) still leaves 16
 * levels between two classes' colours.  CIELAB: a difference of 2.3 is
 * just noticeable; 25 (about 10 of those) tells two region colours apart
 * at a glance, side by side.  The lightness bounds keep the colours away
 * from the black of text and outlines and the white of the background.
 */
static void test_palette(void)
{
	double dmin = 1e9, emin = 1e9;
	for (int i = 0; i < 20; i++) {
		struct dbv_rgb a = dbv_palette(i);
		double la[3];
		lab(a, la);
		CHECK(la[0] >= 30 && la[0] <= 90);
		for (int j = i + 1; j < 20; j++) {
			struct dbv_rgb b = dbv_palette(j);
			double lb[3];
			lab(b, lb);
			double dr = a.r - b.r, dg = a.g - b.g, db = a.b - b.b;
			double d = sqrt(dr * dr + dg * dg + db * db);
			double e = sqrt((la[0] - lb[0]) * (la[0] - lb[0]) +
					(la[1] - lb[1]) * (la[1] - lb[1]) +
					(la[2] - lb[2]) * (la[2] - lb[2]));
			if (d < dmin)
				dmin = d;
			if (e < emin)
				emin = e;
		}
	}
	CHECK(dmin >= 40);
	CHECK(emin >= 25);
	if (dmin < 40 || emin < 25)
		fprintf(stderr, "palette: min RGB distance %.1f, min dE %.1f\n",
			dmin, emin);
	/* All entries distinct; k wraps around. */
	for (int i = 0; i < DBV_PALETTE_SIZE; i++)
		for (int j = i + 1; j < DBV_PALETTE_SIZE; j++)
			CHECK(!same_rgb(dbv_palette(i), dbv_palette(j)));
	CHECK(DBV_PALETTE_SIZE >= 20);
	CHECK(same_rgb(dbv_palette(3), dbv_palette(3 + DBV_PALETTE_SIZE)));
	CHECK(same_rgb(dbv_palette(0), DBV_RGB(0x0072b2)));
}

static void test_mix(void)
{
	struct dbv_rgb c = dbv_rgb_mix(DBV_RGB(0x0072b2), DBV_WHITE, 0.3);
	/* 0 + 255*0.3 = 76.5 -> 77; 114 + 141*0.3 = 156.3; 178 + 77*0.3 = 201.1 */
	CHECK(c.r == 77 && c.g == 156 && c.b == 201);
	CHECK(same_rgb(dbv_rgb_mix(DBV_RGB(0x102030), DBV_WHITE, 0),
		       DBV_RGB(0x102030)));
	CHECK(same_rgb(dbv_rgb_mix(DBV_RGB(0x102030), DBV_WHITE, 1), DBV_WHITE));
}

/* sRGB to CIELAB (D65) against published values, and the palette's
 * nearest entry. */
static void test_lab(void)
{
	static const struct {
		uint32_t rgb;
		double l, a, b;
	} known[] = {
		{0xffffff, 100, 0, 0},
		{0x000000, 0, 0, 0},
		{0xff0000, 53.2408, 80.0925, 67.2032},
		{0x00ff00, 87.7347, -86.1827, 83.1793},
		{0x0000ff, 32.2970, 79.1875, -107.8602},
		{0x808080, 53.5850, 0, 0},
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		double lab[3];
		dbv_rgb_to_lab(DBV_RGB(known[i].rgb), lab);
		CHECK_NEAR(lab[0], known[i].l, 0.01);
		CHECK_NEAR(lab[1], known[i].a, 0.01);
		CHECK_NEAR(lab[2], known[i].b, 0.01);
	}
	for (int k = 0; k < DBV_PALETTE_SIZE; k++)
		CHECK_EQ_INT(dbv_palette_nearest(dbv_palette(k)), k);
	/* Issue #12's Dress region #e69e65 (class 3 shaded by the old rule,
	 * 0.6*(1 - conf)) is not nearest its own class's vermillion. */
	CHECK(dbv_palette_nearest(DBV_RGB(0xe69e65)) != 3);
}

/* ---- font ---- */

static void test_font(void)
{
	for (int c = 32; c <= 126; c++) {
		const uint8_t *g = dbv_font_glyph(c);
		int bits = 0;
		for (int r = 0; r < DBV_FONT_ROWS; r++) {
			CHECK((g[r] & ~0x1f) == 0);
			bits += __builtin_popcount(g[r]);
		}
		if (c == ' ')
			CHECK_EQ_INT(bits, 0);
		else if (bits == 0)
			CHECK(!"a printable glyph is empty");
		for (int d = c + 1; d <= 126; d++)
			if (!memcmp(g, dbv_font_glyph(d), DBV_FONT_ROWS)) {
				fprintf(stderr, "glyphs '%c' and '%c' are the same\n",
					c, d);
				CHECK(!"two glyphs are the same");
			}
	}
	/* Capitals stay above the baseline; only some lower case (and
	 * punctuation) reach below it. */
	for (int c = 'A'; c <= 'Z'; c++)
		CHECK(!dbv_font_glyph(c)[7] && !dbv_font_glyph(c)[8]);
	CHECK(dbv_font_glyph('g')[8] && dbv_font_glyph('y')[8]);
	CHECK(dbv_font_glyph(127) == dbv_font_glyph('?'));
	CHECK(dbv_font_glyph(200) == dbv_font_glyph('?'));

	CHECK_EQ_INT(dbv_text_width("", 2), 0);
	CHECK_EQ_INT(dbv_text_width("a", 1), 5);
	CHECK_EQ_INT(dbv_text_width("ab", 1), 11);
	CHECK_EQ_INT(dbv_text_width("abc", 3), 3 * 17);
	/* A UTF-8 character counts as one '?'. */
	CHECK_EQ_INT(dbv_text_width("\xc3\xa9t\xc3\xa9", 1), 17);
}

static void test_text_pixels(void)
{
	struct dbv_image im;
	const int s = 3, x0 = 4, y0 = 5;
	int bad = 0;

	CHECK_OK(dbv_image_init(&im, 60, 40, DBV_WHITE));
	dbv_image_text(&im, x0, y0, "Ag", s, DBV_BLACK);
	for (int k = 0; k < 2; k++) {
		const uint8_t *g = dbv_font_glyph("Ag"[k]);
		for (int r = 0; r < DBV_FONT_ROWS; r++)
			for (int c = 0; c < DBV_FONT_ADVANCE; c++) {
				int on = c < DBV_FONT_WIDTH &&
					 (g[r] >> (DBV_FONT_WIDTH - 1 - c) & 1);
				for (int dy = 0; dy < s; dy++)
					for (int dx = 0; dx < s; dx++) {
						int x = x0 + (k * DBV_FONT_ADVANCE + c) * s + dx;
						int y = y0 + r * s + dy;
						struct dbv_rgb p = dbv_image_get(&im, x, y);
						bad += on ? !same_rgb(p, DBV_BLACK)
							  : !same_rgb(p, DBV_WHITE);
					}
			}
	}
	CHECK_EQ_INT(bad, 0);
	/* Clipped at the edges without harm. */
	dbv_image_text(&im, -7, -9, "Clip", 4, DBV_BLACK);
	dbv_image_text(&im, 55, 35, "Clip", 4, DBV_BLACK);
	dbv_image_release(&im);
}

/* ---- shapes ---- */

static void test_markers(void)
{
	const enum dbv_marker ms[] = {DBV_MARKER_CIRCLE, DBV_MARKER_TRIANGLE,
				      DBV_MARKER_CROSS, DBV_MARKER_SQUARE,
				      DBV_MARKER_DIAMOND};
	const struct dbv_rgb fill = DBV_RGB(0xff0000);
	for (size_t k = 0; k < sizeof ms / sizeof *ms; k++) {
		struct dbv_image im;
		const int cx = 40, cy = 30;
		int x0 = 1000, x1 = -1, y0 = 1000, y1 = -1, nfill = 0, nedge = 0;

		CHECK_OK(dbv_image_init(&im, 80, 60, DBV_WHITE));
		/* Centre (40.5, 30.5): the middle of pixel (40, 30). */
		dbv_image_marker(&im, ms[k], cx + 0.5, cy + 0.5, 10, 2, fill,
				 DBV_BLACK);
		CHECK(same_rgb(dbv_image_get(&im, cx, cy), fill));
		for (int y = 0; y < im.h; y++)
			for (int x = 0; x < im.w; x++) {
				struct dbv_rgb p = dbv_image_get(&im, x, y);
				if (same_rgb(p, DBV_WHITE))
					continue;
				x0 = x < x0 ? x : x0;
				x1 = x > x1 ? x : x1;
				y0 = y < y0 ? y : y0;
				y1 = y > y1 ? y : y1;
				nfill += same_rgb(p, fill);
				nedge += same_rgb(p, DBV_BLACK);
			}
		/* Symmetric about the centre column (every marker), within
		 * the size and its outline (the triangle's mitred top vertex
		 * reaches r + 2*ow above the centroid). */
		CHECK_EQ_INT(cx - x0, x1 - cx);
		CHECK(x1 - cx <= 13 && y1 - cy <= 13 && cy - y0 <= 15);
		CHECK(x1 - cx >= 6);
		CHECK(nfill > 20 && nedge > 20);
		if (ms[k] != DBV_MARKER_TRIANGLE)
			CHECK_EQ_INT(cy - y0, y1 - cy);
		/* The corners of the canvas are untouched. */
		CHECK(is_white(&im, 0, 0) && is_white(&im, 79, 59));
		/* Clipped at the edges without harm. */
		dbv_image_marker(&im, ms[k], -2, -3, 10, 2, fill, DBV_BLACK);
		dbv_image_marker(&im, ms[k], 79, 59, 10, 2, fill, DBV_BLACK);
		/* Issue #11 item 3: centres far off the canvas, not numbers,
		 * or a radius of no size: nothing drawn, no conversion of an
		 * out-of-range double to int (clang's UBSan float-cast-
		 * overflow checks it). */
		struct dbv_image copy;
		CHECK_OK(dbv_image_init(&copy, im.w, im.h, DBV_WHITE));
		memcpy(copy.rgb, im.rgb, (size_t)im.w * im.h * 3);
		const double far[][2] = {{1e300, 30}, {-1e300, 30}, {40, 1e300},
					 {40, -1e300}, {NAN, 30}, {40, INFINITY},
					 {3e9, -3e9}};
		for (size_t f = 0; f < sizeof far / sizeof *far; f++)
			dbv_image_marker(&im, ms[k], far[f][0], far[f][1], 10, 2,
					 fill, DBV_BLACK);
		dbv_image_marker(&im, ms[k], 40, 30, NAN, 2, fill, DBV_BLACK);
		CHECK(!memcmp(copy.rgb, im.rgb, (size_t)im.w * im.h * 3));
		/* A radius of 1e300 covers the canvas, clipped to it. */
		dbv_image_marker(&im, DBV_MARKER_SQUARE, 40, 30, 1e300, 2, fill,
				 DBV_BLACK);
		CHECK(same_rgb(dbv_image_get(&im, 0, 0), fill));
		dbv_image_release(&copy);
		dbv_image_release(&im);
	}
}

static void test_rects_lines_blit(void)
{
	struct dbv_image im, src;

	CHECK_OK(dbv_image_init(&im, 20, 10, DBV_WHITE));
	dbv_image_fill_rect(&im, -5, -5, 8, 7, DBV_BLACK);
	CHECK(same_rgb(dbv_image_get(&im, 2, 1), DBV_BLACK));
	CHECK(is_white(&im, 3, 1) && is_white(&im, 2, 2));
	dbv_image_fill_rect(&im, 18, 8, 100, 100, DBV_BLACK);
	CHECK(same_rgb(dbv_image_get(&im, 19, 9), DBV_BLACK));
	CHECK(is_white(&im, 17, 9));

	dbv_image_fill_rect(&im, 0, 0, 20, 10, DBV_WHITE);
	dbv_image_frame(&im, 2, 2, 10, 6, 1, DBV_BLACK);
	CHECK(same_rgb(dbv_image_get(&im, 2, 2), DBV_BLACK));
	CHECK(same_rgb(dbv_image_get(&im, 11, 7), DBV_BLACK));
	CHECK(is_white(&im, 3, 3) && is_white(&im, 12, 7));

	dbv_image_fill_rect(&im, 0, 0, 20, 10, DBV_WHITE);
	dbv_image_line(&im, 1, 1, 8, 8, 1, DBV_BLACK);
	for (int i = 1; i <= 8; i++)
		CHECK(same_rgb(dbv_image_get(&im, i, i), DBV_BLACK));
	CHECK(is_white(&im, 2, 1) && is_white(&im, 9, 9));
	dbv_image_line(&im, 0, 9, 19, 9, 3, DBV_BLACK); /* half clipped */
	CHECK(same_rgb(dbv_image_get(&im, 10, 8), DBV_BLACK));

	/* 2x2 -> 4x4 blocks, placed at (5, 3). */
	CHECK_OK(dbv_image_init(&src, 2, 2, DBV_WHITE));
	dbv_image_set(&src, 0, 0, DBV_RGB(0x010203));
	dbv_image_set(&src, 1, 0, DBV_RGB(0x040506));
	dbv_image_set(&src, 0, 1, DBV_RGB(0x070809));
	dbv_image_set(&src, 1, 1, DBV_RGB(0x0a0b0c));
	dbv_image_set(&src, 5, 5, DBV_BLACK); /* outside: ignored */
	dbv_image_fill_rect(&im, 0, 0, 20, 10, DBV_WHITE);
	dbv_image_blit(&im, 5, 3, 4, 4, &src);
	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 4; x++)
			CHECK(same_rgb(dbv_image_get(&im, 5 + x, 3 + y),
				       dbv_image_get(&src, x / 2, y / 2)));
	CHECK(is_white(&im, 4, 3) && is_white(&im, 9, 3) && is_white(&im, 5, 7));
	dbv_image_blit(&im, 18, 8, 6, 6, &src); /* clipped */
	CHECK(same_rgb(dbv_image_get(&im, 19, 9), DBV_RGB(0x010203)));
	dbv_image_release(&src);
	dbv_image_release(&im);
}

int main(void)
{
	tmp = check_tmpdir();
	test_png_round_trip();
	test_png_read_converts();
	test_png_errors();
	test_palette();
	test_mix();
	test_lab();
	test_font();
	test_text_pixels();
	test_markers();
	test_rects_lines_blit();
	return check_done();
}
