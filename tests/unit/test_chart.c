/*
 * test_chart.c - the chart pieces: the viridis scale and text contrast,
 * turned text, anti-aliased strokes (lib/draw/image.c); ticks at nice numbers,
 * their labels, the heat map's and line chart's geometry, the heat map's
 * default scale, the points of a line chart and the chart of them
 * (lib/draw/chart.c).
 */
#include <string.h>

#include "check.h"

static int same_rgb(struct dbv_rgb a, struct dbv_rgb b)
{
	return a.r == b.r && a.g == b.g && a.b == b.b;
}

static void test_viridis(void)
{
	CHECK(same_rgb(dbv_viridis(0), DBV_RGB(0x440154)));
	CHECK(same_rgb(dbv_viridis(1), DBV_RGB(0xfde725)));
	CHECK(same_rgb(dbv_viridis(0.5), DBV_RGB(0x21918c)));
	CHECK(same_rgb(dbv_viridis(-3), DBV_RGB(0x440154)));
	CHECK(same_rgb(dbv_viridis(7), DBV_RGB(0xfde725)));
	CHECK(same_rgb(dbv_viridis(NAN), DBV_RGB(0x440154)));
	/* Lighter all the way up: 16 entries on is always lighter, and no
	 * step darker by more than the 8-bit rounding of the published
	 * floats makes (0.0005 of luminance). */
	double prev = -1;
	for (int k = 0; k <= 255; k++) {
		const double l = dbv_rgb_luminance(dbv_viridis(k / 255.0));
		CHECK(l > prev - 0.0005);
		if (k >= 16)
			CHECK(l > dbv_rgb_luminance(dbv_viridis((k - 16) / 255.0)) + 0.005);
		prev = l;
	}
	CHECK_NEAR(dbv_rgb_luminance(DBV_WHITE), 1, 1e-12);
	CHECK_NEAR(dbv_rgb_luminance(DBV_BLACK), 0, 1e-12);
	/* Text: white on the dark end, black on the light end and on the
	 * middle teal (luminance about 0.22 > 0.179). */
	CHECK(same_rgb(dbv_text_colour_on(dbv_viridis(0)), DBV_WHITE));
	CHECK(same_rgb(dbv_text_colour_on(dbv_viridis(1)), DBV_BLACK));
	CHECK(same_rgb(dbv_text_colour_on(dbv_viridis(0.5)), DBV_BLACK));
	CHECK(same_rgb(dbv_text_colour_on(DBV_RGB(0x777777)), DBV_BLACK));
	CHECK(same_rgb(dbv_text_colour_on(DBV_RGB(0x666666)), DBV_WHITE));
}

/* Turned text is the plain text's pixels rotated: (k, r) -> (r, -1-k). */
static void test_text_up(void)
{
	struct dbv_image a, b;
	const char *s = "Ag1";
	const int w = dbv_text_width(s, 2), hgt = DBV_FONT_LINE * 2;

	CHECK_OK(dbv_image_init(&a, w, hgt, DBV_WHITE));
	CHECK_OK(dbv_image_init(&b, hgt + 4, w + 4, DBV_WHITE));
	dbv_image_text(&a, 0, 0, s, 2, DBV_BLACK);
	dbv_image_text_up(&b, 2, 2 + w, s, 2, DBV_BLACK);
	int n = 0, bad = 0;
	for (int y = 0; y < b.h; y++)
		for (int x = 0; x < b.w; x++) {
			const int on = same_rgb(dbv_image_get(&b, x, y), DBV_BLACK);
			const int k = 2 + w - 1 - y, r = x - 2; /* plain (k, r) */
			int want = 0;
			if (k >= 0 && k < w && r >= 0 && r < hgt)
				want = same_rgb(dbv_image_get(&a, k, r), DBV_BLACK);
			n += on;
			bad += on != want;
		}
	CHECK(n > 50);
	CHECK_EQ_INT(bad, 0);
	dbv_image_release(&a);
	dbv_image_release(&b);
}

static void test_stroke(void)
{
	struct dbv_image im;
	const struct dbv_rgb c = DBV_RGB(0x0072b2);

	CHECK_OK(dbv_image_init(&im, 40, 20, DBV_WHITE));
	/* A horizontal bar 4 wide on row boundaries: rows 8..11 full,
	 * 7 and 12 untouched; round ends half a width past the ends. */
	dbv_image_stroke(&im, 10, 10, 30, 10, 4, c);
	for (int x = 10; x < 30; x++)
		for (int y = 8; y < 12; y++)
			CHECK(same_rgb(dbv_image_get(&im, x, y), c));
	for (int x = 0; x < 40; x++) {
		CHECK(same_rgb(dbv_image_get(&im, x, 7), DBV_WHITE));
		CHECK(same_rgb(dbv_image_get(&im, x, 12), DBV_WHITE));
	}
	CHECK(same_rgb(dbv_image_get(&im, 7, 10), DBV_WHITE));
	CHECK(same_rgb(dbv_image_get(&im, 32, 10), DBV_WHITE));
	/* Edge pixels are mixed: a 1-wide line between rows. */
	dbv_image_stroke(&im, 2, 2.0, 8, 2.0, 1, c);
	const struct dbv_rgb e = dbv_image_get(&im, 5, 1);
	CHECK(!same_rgb(e, c) && !same_rgb(e, DBV_WHITE));
	CHECK(same_rgb(e, dbv_image_get(&im, 5, 2)));
	/* Clipped and degenerate strokes are harmless. */
	dbv_image_stroke(&im, -50, -50, 100, 100, 3, c);
	dbv_image_stroke(&im, 5, 5, 5, 5, 0, c);
	dbv_image_stroke(&im, NAN, 5, 5, 5, 2, c);
	dbv_image_release(&im);
}

static void test_ticks(void)
{
	double t[64], step;
	char buf[64];
	int n;

	n = dbv_ticks(0, 1, 5, t, 64, &step);
	CHECK_EQ_INT(n, 6);
	CHECK_NEAR(step, 0.2, 1e-15);
	CHECK_NEAR(t[0], 0, 0);
	CHECK_NEAR(t[5], 1, 1e-15);
	n = dbv_ticks(5.45, 17.55, 5, t, 64, &step);
	CHECK_NEAR(step, 5, 0);
	CHECK_EQ_INT(n, 2);
	CHECK_NEAR(t[0], 10, 0);
	CHECK_NEAR(t[1], 15, 0);
	n = dbv_ticks(-0.03, 0.52, 10, t, 64, &step);
	CHECK_NEAR(step, 0.1, 1e-15);
	CHECK_EQ_INT(n, 6);
	CHECK(t[0] == 0 && !signbit(t[0])); /* no "-0" */
	/* At most target + 1 ticks, the step one of 1, 2, 5 x 10^k. */
	for (int target = 1; target <= 12; target++)
		for (double span = 0.013; span < 5000; span *= 1.7) {
			n = dbv_ticks(-span / 3, span, target, t, 64, &step);
			CHECK(n >= 1 && n <= target + 1);
			const double m = step / pow(10, floor(log10(step) + 1e-9));
			CHECK(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9);
		}
	CHECK_EQ_INT(dbv_ticks(1, 1, 5, t, 64, &step), 0);
	CHECK_EQ_INT(dbv_ticks(2, 1, 5, t, 64, &step), 0);
	CHECK_EQ_INT(dbv_ticks(0, INFINITY, 5, t, 64, &step), 0);

	n = dbv_log_ticks(0.8, 70, 0, t, 64);
	CHECK_EQ_INT(n, 2);
	CHECK_NEAR(t[0], 1, 0);
	CHECK_NEAR(t[1], 10, 0);
	n = dbv_log_ticks(0.8, 70, 1, t, 64);
	CHECK_EQ_INT(n, 6); /* 1 2 5 10 20 50 */
	CHECK_NEAR(t[5], 50, 1e-12);
	n = dbv_log_ticks(3, 8, 2, t, 64);
	CHECK_EQ_INT(n, 6); /* 3..8 */
	CHECK_EQ_INT(dbv_log_ticks(0, 8, 2, t, 64), 0);

	dbv_tick_label(0.2, 0.2, buf, sizeof buf);
	CHECK(!strcmp(buf, "0.2"));
	dbv_tick_label(15, 5, buf, sizeof buf);
	CHECK(!strcmp(buf, "15"));
	dbv_tick_label(0.95, 0.05, buf, sizeof buf);
	CHECK(!strcmp(buf, "0.95"));
	dbv_tick_label(20, 0, buf, sizeof buf);
	CHECK(!strcmp(buf, "20"));
	dbv_tick_label(2e7, 5e6, buf, sizeof buf);
	CHECK(!strcmp(buf, "2e+07"));
}

/* Heat map: the cells, the gaps, the colour bar, in the documented
 * places (dbv-render(1), CHARTS). */
static void test_heatmap(void)
{
	struct dbv_image im;
	char *labels[3] = {"a", "b", "c"};
	const double v[9] = {1, 0.5, 0, 0.5, NAN, 0.25, 0, 0.25, 1};
	struct dbv_heatmap h;
	const int t = 2, c = 50;

	memset(&h, 0, sizeof h);
	h.n = 3;
	h.labels = labels;
	h.v = v;
	h.lo = 0;
	h.hi = 1;
	h.cell = c;
	h.colour_bar = 1;
	h.ts = t;
	CHECK_OK(dbv_chart_heatmap(&im, &h));
	/* No title: the matrix's top-left is (pad + label + 6t, pad). */
	const int X = 10 * t + dbv_text_width("a", t) + 6 * t, Y = 10 * t;
	CHECK(same_rgb(dbv_image_get(&im, X, Y), dbv_viridis(1)));
	CHECK(same_rgb(dbv_image_get(&im, X + c + 2, Y + 2), dbv_viridis(0.5)));
	CHECK(same_rgb(dbv_image_get(&im, X + c - 1, Y + 2), DBV_WHITE)); /* gap */
	CHECK(same_rgb(dbv_image_get(&im, X + c - 2, Y + 2), DBV_WHITE));
	CHECK(same_rgb(dbv_image_get(&im, X + c - 3, Y + 2), dbv_viridis(1)));
	CHECK(same_rgb(dbv_image_get(&im, X + c + 2, Y + c + 2), DBV_RGB(0xeeeeee)));
	CHECK(same_rgb(dbv_image_get(&im, X + 2 * c + 2, Y + c + 2), dbv_viridis(0.25)));
	/* The bar: 14t right of the matrix, its top row the top colour. */
	const int side = 3 * c - t, bx = X + side + 14 * t;
	CHECK(same_rgb(dbv_image_get(&im, bx, Y), dbv_viridis(1)));
	CHECK(same_rgb(dbv_image_get(&im, bx + 8 * t - 1, Y + side - 1), dbv_viridis(0)));
	CHECK(same_rgb(dbv_image_get(&im, bx - 1, Y), DBV_RGB(0x333333)));
	dbv_image_release(&im);

	h.blank_diagonal = 1;
	h.colour_bar = 0;
	CHECK_OK(dbv_chart_heatmap(&im, &h));
	CHECK(same_rgb(dbv_image_get(&im, X + 2, Y + 2), DBV_WHITE));
	CHECK_EQ_INT(im.w, X + side + 10 * t);
	dbv_image_release(&im);

	h.lo = h.hi = 1;
	CHECK_RC(dbv_chart_heatmap(&im, &h), DBV_EUSAGE);
	h.lo = 0;
	h.cell = 12000;
	CHECK_RC(dbv_chart_heatmap(&im, &h), DBV_EUSAGE); /* 36000 pixels */
}

/* Line chart: a point's marker centred where the axes map it. */
static void test_lines(void)
{
	struct dbv_image im;
	const double x[3] = {1, 2, 4}, y[3] = {10, 20, 15}, e[3] = {0, 0, 0};
	const double x2[1] = {3}, y2[1] = {12};
	struct dbv_series s[2] = {
		{"one", 3, x, y, e},
		{"two", 1, x2, y2, NULL},
	};
	struct dbv_linechart c;
	int L = -1, T = -1;

	memset(&c, 0, sizeof c);
	c.nseries = 2;
	c.s = s;
	c.w = 300;
	c.h = 200;
	c.ts = 1;
	CHECK_OK(dbv_chart_lines(&im, &c));
	/* The frame's top-right corner: (L + w, T - 1). */
	for (int yy = 0; yy < im.h && T < 0; yy++)
		for (int xx = im.w - 1; xx >= 0; xx--)
			if (same_rgb(dbv_image_get(&im, xx, yy), DBV_RGB(0x333333))) {
				L = xx - c.w;
				T = yy + 1;
				break;
			}
	CHECK(L > 0 && T > 0);
	/* x: 1..4 widened by 0.15; y: 10..20 widened by 0.5. */
	const double X = L + 300 * (3 - 0.85) / 3.3, Y = T + 200 - 200 * (12 - 9.5) / 11;
	CHECK(same_rgb(dbv_image_get(&im, (int)X, (int)Y), dbv_palette(1)));
	const double X0 = L + 300 * 0.15 / 3.3, Y0 = T + 200 - 200 * 0.5 / 11;
	CHECK(same_rgb(dbv_image_get(&im, (int)X0, (int)Y0), dbv_palette(0)));
	dbv_image_release(&im);

	c.logx = 1;
	CHECK_OK(dbv_chart_lines(&im, &c));
	dbv_image_release(&im);
	const double bad[1] = {0};
	s[1].x = bad;
	CHECK_RC(dbv_chart_lines(&im, &c), DBV_EUSAGE);
	c.logx = 0;
	s[0].n = 0;
	s[1].n = 0;
	CHECK_RC(dbv_chart_lines(&im, &c), DBV_EUSAGE);
}

/* The heat map's default scale: the values' range widened to tenths. */
static void test_autoscale(void)
{
	const double v1[4] = {NAN, 0.43, 0.87, 5};
	const double v2[4] = {0.5, 0.5, 0.5, 0.5};
	const double v3[4] = {0, 0, 0, 0};
	const double v4[4] = {NAN, NAN, NAN, NAN};
	struct dbv_heatmap h;

	memset(&h, 0, sizeof h);
	h.n = 2;
	h.v = v1;
	h.blank_diagonal = 1; /* 5 on the diagonal is not drawn */
	dbv_heatmap_autoscale(&h);
	CHECK_NEAR(h.lo, 0.4, 1e-12);
	CHECK_NEAR(h.hi, 0.9, 1e-12);
	h.blank_diagonal = 0;
	dbv_heatmap_autoscale(&h);
	CHECK_NEAR(h.lo, 0.4, 1e-12);
	CHECK_NEAR(h.hi, 5, 1e-12);
	/* One value: a tenth below it, or above it near 0. */
	h.v = v2;
	dbv_heatmap_autoscale(&h);
	CHECK_NEAR(h.lo, 0.4, 1e-12);
	CHECK_NEAR(h.hi, 0.5, 1e-12);
	h.v = v3;
	dbv_heatmap_autoscale(&h);
	CHECK_NEAR(h.lo, 0, 1e-12);
	CHECK_NEAR(h.hi, 0.1, 1e-12);
	/* Nothing to draw: 0..1. */
	h.v = v4;
	dbv_heatmap_autoscale(&h);
	CHECK(h.lo == 0 && h.hi == 1);
}

/* The points of a line chart: a line per key, numbers before strings,
 * a point per distinct x of a line, its items ascending. */
static void test_points(void)
{
	const double x[6] = {2, 1, 2, 4, 1, 2};
	struct dbv_chart_key key[6];
	struct dbv_chart_points p;

	memset(key, 0, sizeof key);
	key[0].num = key[2].num = key[5].num = 1;
	key[0].d = key[2].d = key[5].d = 0.2;
	key[1].num = key[3].num = 1;
	strcpy(key[4].s, "mlp");
	CHECK_OK(dbv_chart_points(6, x, key, &p));
	CHECK_EQ_INT(p.nlines, 3);
	/* Lines: 0 (items 1, 3), 0.2 (items 0, 2, 5), "mlp" (item 4). */
	CHECK_EQ_INT(p.line_item[0], 1);
	CHECK_EQ_INT(p.line_item[1], 0);
	CHECK_EQ_INT(p.line_item[2], 4);
	CHECK_EQ_INT(p.npoints, 4);
	CHECK(p.first[0] == 0 && p.first[1] == 2 && p.first[2] == 3 && p.first[3] == 4);
	CHECK(p.x[0] == 1 && p.x[1] == 4 && p.x[2] == 2 && p.x[3] == 1);
	/* Point 2 (x = 2 of line 0.2): items 0, 2, 5. */
	CHECK_EQ_INT(p.start[2], 2);
	CHECK_EQ_INT(p.start[3], 5);
	CHECK(p.items[2] == 0 && p.items[3] == 2 && p.items[4] == 5);
	CHECK(p.items[0] == 1 && p.items[1] == 3 && p.items[5] == 4);
	CHECK_EQ_INT(p.start[4], 6);
	dbv_chart_points_release(&p);

	/* No keys: one line, a point per distinct x. */
	CHECK_OK(dbv_chart_points(6, x, NULL, &p));
	CHECK_EQ_INT(p.nlines, 1);
	CHECK_EQ_INT(p.npoints, 3);
	CHECK(p.x[0] == 1 && p.x[1] == 2 && p.x[2] == 4);
	CHECK(p.start[1] - p.start[0] == 2 && p.start[2] - p.start[1] == 3);
	dbv_chart_points_release(&p);

	CHECK(dbv_chart_key_cmp(&key[1], &key[0]) < 0);
	CHECK(dbv_chart_key_cmp(&key[0], &key[4]) < 0);
	CHECK_RC(dbv_chart_points(0, x, NULL, &p), DBV_EUSAGE);
}

/* A line chart of grouped points: the chart of the series made by hand
 * (line l through its points, labelled "BY = KEY"), pixel for pixel. */
static void test_point_lines(void)
{
	const double x[6] = {2, 1, 2, 4, 1, 2}, y[4] = {0.1, 0.4, 0.3, 0.2};
	const double err[4] = {0.05, 0, 0.1, 0};
	struct dbv_chart_key key[6];
	struct dbv_chart_points p;
	struct dbv_image a, b;

	memset(key, 0, sizeof key);
	for (int i = 0; i < 6; i++)
		strcpy(key[i].s, i == 4 ? "mlp" : i == 1 || i == 3 ? "0" : "0.2");
	key[0].num = key[2].num = key[5].num = key[1].num = key[3].num = 1;
	key[0].d = key[2].d = key[5].d = 0.2;
	CHECK_OK(dbv_chart_points(6, x, key, &p));
	const struct dbv_series s[3] = {
		{"w = 0", 2, p.x, y, err}, {"w = 0.2", 1, p.x + 2, y + 2, err + 2},
		{"w = mlp", 1, p.x + 3, y + 3, err + 3},
	};
	struct dbv_linechart c = {
		.nseries = 3, .s = s, .title = "t", .note = "n", .xlabel = "x",
		.ylabel = "y", .w = 200, .h = 120, .legend = 1, .ts = 1,
	};
	CHECK_OK(dbv_chart_lines(&a, &c));
	c.s = NULL;
	c.nseries = 0;
	CHECK_OK(dbv_chart_point_lines(&b, &c, &p, y, err, "w", key));
	CHECK(a.w == b.w && a.h == b.h && !memcmp(a.rgb, b.rgb, (size_t)a.w * a.h * 3));
	dbv_image_release(&a);
	dbv_image_release(&b);
	/* Without by, no line is listed: no legend; without err, no bars. */
	const struct dbv_series u[3] = {
		{NULL, 2, p.x, y, NULL}, {NULL, 1, p.x + 2, y + 2, NULL},
		{NULL, 1, p.x + 3, y + 3, NULL},
	};
	c.s = u;
	c.nseries = 3;
	CHECK_OK(dbv_chart_lines(&a, &c));
	CHECK_OK(dbv_chart_point_lines(&b, &c, &p, y, NULL, NULL, key));
	CHECK(a.w == b.w && a.h == b.h && !memcmp(a.rgb, b.rgb, (size_t)a.w * a.h * 3));
	dbv_image_release(&a);
	dbv_image_release(&b);
	dbv_chart_points_release(&p);
}

int main(void)
{
	test_viridis();
	test_text_up();
	test_stroke();
	test_ticks();
	test_heatmap();
	test_lines();
	test_autoscale();
	test_points();
	test_point_lines();
	return check_done();
}
