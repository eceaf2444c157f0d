/*
 * test_planeplot.c - plane pictures from plain arrays (lib/draw/planeplot.c):
 * the default plot side, anchor placement, class colours at known grid
 * points with row 0 at the bottom, the shading formula, the anchor
 * markers, title and legend, montage cells, thumbnails, and refusals.
 * The checks t3200-render.sh makes through dbv-render, without a stream.
 *
 * The plane of tests/mkpred.c: res 51, quadrant labels (bottom-left 0,
 * bottom-right 1, top-left 2, top-right 3, plus a shift), confidences 1,
 * 0.5, 0.75, 0.25 by quadrant, anchors at grid points (column, row) (5,
 * 10), (35, 10), (15, 35).  S = 510: grid point (i, j) fills the 10x10
 * block with top-left pixel (10j, 10(50 - i)).
 */
#include <string.h>

#include "check.h"

#define RES 51
#define S 510

static int32_t labels[RES * RES], labels2[RES * RES];
static float conf[RES * RES];

static int same_rgb(struct dbv_rgb a, struct dbv_rgb b)
{
	return a.r == b.r && a.g == b.g && a.b == b.b;
}

static int at_is(const struct dbv_image *im, int x, int y, struct dbv_rgb c)
{
	return x >= 0 && y >= 0 && x < im->w && y < im->h &&
	       same_rgb(dbv_image_get(im, x, y), c);
}

/* Pixels of colour c in [x0, x1) x [y0, y1). */
static int count(const struct dbv_image *im, struct dbv_rgb c, int x0, int y0,
		 int x1, int y1)
{
	int n = 0;
	for (int y = y0 < 0 ? 0 : y0; y < y1 && y < im->h; y++)
		for (int x = x0 < 0 ? 0 : x0; x < x1 && x < im->w; x++)
			n += same_rgb(dbv_image_get(im, x, y), c);
	return n;
}

/* Bounding box of colour c: 0 when absent. */
static int find(const struct dbv_image *im, struct dbv_rgb c, int box[4])
{
	box[0] = box[1] = 1 << 30;
	box[2] = box[3] = -1;
	for (int y = 0; y < im->h; y++)
		for (int x = 0; x < im->w; x++)
			if (same_rgb(dbv_image_get(im, x, y), c)) {
				box[0] = x < box[0] ? x : box[0];
				box[1] = y < box[1] ? y : box[1];
				box[2] = x > box[2] ? x : box[2];
				box[3] = y > box[3] ? y : box[3];
			}
	return box[2] >= 0;
}

/* Quadrant labels plus shift, mkpred's confidences. */
static void make_plane(int32_t *l, int shift)
{
	static const float qc[4] = {1, 0.5f, 0.75f, 0.25f};
	for (int i = 0; i < RES; i++)
		for (int j = 0; j < RES; j++) {
			const int q = 2 * (i >= RES / 2) + (j >= RES / 2);
			l[i * RES + j] = q + shift;
			conf[i * RES + j] = qc[q];
		}
}

static void make_plot(struct dbv_planeplot *p, const int32_t *l)
{
	static const int grid[3][2] = {{5, 10}, {35, 10}, {15, 35}};
	memset(p, 0, sizeof *p);
	p->res = RES;
	p->labels = l;
	for (int k = 0; k < 3; k++) {
		p->at[k][0] = grid[k][0] + 0.5;
		p->at[k][1] = grid[k][1] + 0.5;
		p->y[k] = (int32_t)(8 - k);
		p->y_true[k] = p->y[k];
		p->idx[k] = -1;
	}
}

static void make_pic(struct dbv_planepic *pic, const struct dbv_planeplot **cells,
		     int n, int cols)
{
	memset(pic, 0, sizeof *pic);
	pic->cells = cells;
	pic->n = n;
	pic->cols = cols;
	pic->classes = 10;
	pic->legend = 1;
}

static void test_side_and_place(void)
{
	const double range[4] = {-1, 9, -2, 8};
	double at[2];

	CHECK_EQ_INT(dbv_planeplot_side(51, 0), 510);
	CHECK_EQ_INT(dbv_planeplot_side(64, 0), 512);
	CHECK_EQ_INT(dbv_planeplot_side(500, 0), 500);
	CHECK_EQ_INT(dbv_planeplot_side(600, 0), 600);
	CHECK_EQ_INT(dbv_planeplot_side(10000, 0), DBV_PLANEPLOT_MAX_SIDE);
	CHECK_EQ_INT(dbv_planeplot_side(51, 1), 255);
	CHECK_EQ_INT(dbv_planeplot_side(2, 0), 500);
	CHECK_EQ_INT(dbv_planeplot_side(7, 0), 504);
	/* mkpred's anchors x1 (0, 0), x3 (2, 5): the centres of grid points
	 * (column 5, row 10) and (15, 35). */
	dbv_planeplot_place(range, 51, 0, 0, at);
	CHECK_NEAR(at[0], 5.5, 1e-12);
	CHECK_NEAR(at[1], 10.5, 1e-12);
	dbv_planeplot_place(range, 51, 2, 5, at);
	CHECK_NEAR(at[0], 15.5, 1e-12);
	CHECK_NEAR(at[1], 35.5, 1e-12);
	/* The range's corners: the outer grid points' centres. */
	dbv_planeplot_place(range, 51, 9, 8, at);
	CHECK_NEAR(at[0], 50.5, 1e-12);
	CHECK_NEAR(at[1], 50.5, 1e-12);
}

/* --bare --shade none: the plot alone, row 0 at the bottom, colours of
 * the quadrants, the block boundaries where the geometry puts them. */
static void test_bare_plot(void)
{
	struct dbv_planeplot p;
	const struct dbv_planeplot *cells[1] = {&p};
	struct dbv_planepic pic;
	struct dbv_image im;

	make_plane(labels, 0);
	make_plot(&p, labels);
	make_pic(&pic, cells, 1, 1);
	pic.bare = 1;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	CHECK_EQ_INT(im.w, S);
	CHECK_EQ_INT(im.h, S);
	CHECK(at_is(&im, 5, 505, dbv_palette(0)));
	CHECK(at_is(&im, 505, 505, dbv_palette(1)));
	CHECK(at_is(&im, 5, 5, dbv_palette(2)));
	CHECK(at_is(&im, 505, 5, dbv_palette(3)));
	/* Column 25 (the first of the right half) starts at pixel 250, row
	 * 25 (the first of the top half) ends at pixel row 259. */
	CHECK(at_is(&im, 249, 260, dbv_palette(0)));
	CHECK(at_is(&im, 250, 260, dbv_palette(1)));
	CHECK(at_is(&im, 249, 259, dbv_palette(2)));

	/* Markers: white on the anchors, black edges near them, nothing
	 * else white, no black away from them. */
	CHECK(at_is(&im, 55, 405, DBV_WHITE));
	CHECK(at_is(&im, 355, 405, DBV_WHITE));
	CHECK(at_is(&im, 155, 155, DBV_WHITE));
	const int w1 = count(&im, DBV_WHITE, 35, 385, 76, 426);
	const int w2 = count(&im, DBV_WHITE, 335, 385, 376, 426);
	const int w3 = count(&im, DBV_WHITE, 135, 135, 176, 176);
	CHECK(w1 > 50 && w2 > 30 && w3 > 30);
	CHECK_EQ_INT(count(&im, DBV_WHITE, 0, 0, S, S), w1 + w2 + w3);
	CHECK(count(&im, DBV_BLACK, 35, 385, 76, 426) > 20);
	CHECK(count(&im, DBV_BLACK, 335, 385, 376, 426) > 20);
	CHECK(count(&im, DBV_BLACK, 135, 135, 176, 176) > 20);
	CHECK_EQ_INT(count(&im, DBV_BLACK, 0, 0, S, 120), 0);
	/* Circle, triangle, cross: three different shapes. */
	CHECK(w1 != w2 && w2 != w3 && w1 != w3);
	dbv_image_release(&im);

	/* --size: the grid scaled to it. */
	pic.size = 300;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	CHECK_EQ_INT(im.w, 300);
	CHECK_EQ_INT(im.h, 300);
	CHECK(at_is(&im, 2, 297, dbv_palette(0)));
	dbv_image_release(&im);
}

/* The shading: v + (255 - v)*t*(1 - conf), rounded to nearest, t the
 * class's dbv_shade_limit (0.6 at most, a multiple of 1/256). */
static void test_shading(void)
{
	static const float qc[4] = {1, 0.5f, 0.75f, 0.25f};
	static const int px[4][2] = {{5, 505}, {505, 505}, {5, 5}, {505, 5}};
	/* The limits of the first classes, 256ths (man/dbv-render.1). */
	static const int steps[4] = {49, 69, 112, 61};
	struct dbv_planeplot p;
	const struct dbv_planeplot *cells[1] = {&p};
	struct dbv_planepic pic;
	struct dbv_image im;

	make_plane(labels, 0);
	make_plot(&p, labels);
	p.conf = conf;
	make_pic(&pic, cells, 1, 1);
	pic.bare = 1;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	for (int q = 0; q < 4; q++) {
		const struct dbv_rgb c = dbv_palette(q);
		const double t = steps[q] / 256.0 * (1 - qc[q]);
		const struct dbv_rgb want = {
			(uint8_t)(c.r + (255 - c.r) * t + 0.5),
			(uint8_t)(c.g + (255 - c.g) * t + 0.5),
			(uint8_t)(c.b + (255 - c.b) * t + 0.5),
		};
		CHECK_NEAR(dbv_shade_limit(q), steps[q] / 256.0, 0);
		CHECK(at_is(&im, px[q][0], px[q][1], want));
	}
	CHECK(!at_is(&im, 505, 5, dbv_palette(3)));
	dbv_image_release(&im);
	for (int k = 0; k < 2 * DBV_PALETTE_SIZE; k++) {
		const double t = dbv_shade_limit(k);
		CHECK(t > 0.1 && t <= DBV_SHADE_MAX);
		CHECK(t * 256 == floor(t * 256));
		CHECK(t == dbv_shade_limit(k % DBV_PALETTE_SIZE));
	}
	/* Confidence clamped to [0, 1], NaN as 0. */
	const struct dbv_rgb c = dbv_palette(5);
	CHECK(same_rgb(dbv_shade(c, 0.5, 2), c));
	CHECK(same_rgb(dbv_shade(c, 0.5, -1), dbv_rgb_mix(c, DBV_WHITE, 0.5)));
	CHECK(same_rgb(dbv_shade(c, 0.5, NAN), dbv_rgb_mix(c, DBV_WHITE, 0.5)));
}

/*
 * Issue #12: no shaded pixel looks like another class.  A plane of each
 * palette class (class k + 24 is drawn as k) with confidence j/100 in
 * column j (every row), plus every other row at pseudo-random confidences,
 * drawn one pixel a grid point: every pixel's nearest palette entry in
 * CIELAB is its own class's.
 */
static void test_shading_keeps_classes(void)
{
	enum { R = 101 };
	static int32_t l[R * R];
	static float cf[R * R];
	struct dbv_planeplot p;
	const struct dbv_planeplot *cells[1] = {&p};
	struct dbv_planepic pic;
	struct dbv_image im;
	uint32_t x = 12345;
	long bad = 0, pixels = 0;

	for (int k = 0; k < DBV_PALETTE_SIZE + 2; k++) {
		for (int i = 0; i < R; i++)
			for (int j = 0; j < R; j++) {
				x = x * 1664525u + 1013904223u;
				l[i * R + j] = k;
				cf[i * R + j] = i % 2 ? (float)(x >> 8) / (1 << 24)
						     : (float)j / 100;
			}
		make_plot(&p, l);
		p.res = R;
		p.conf = cf;
		/* The anchor markers off the plot (clipped away). */
		for (int a = 0; a < 3; a++)
			p.at[a][0] = p.at[a][1] = -1e6;
		make_pic(&pic, cells, 1, 1);
		pic.bare = 1;
		pic.size = R;
		CHECK_OK(dbv_planepic_draw(&im, &pic));
		CHECK_EQ_INT(im.w, R);
		for (int y = 0; y < R; y++)
			for (int j = 0; j < R; j++) {
				const struct dbv_rgb c = dbv_image_get(&im, j, y);
				pixels++;
				bad += dbv_palette_nearest(c) != k % DBV_PALETTE_SIZE;
			}
		dbv_image_release(&im);
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(pixels, (long)(DBV_PALETTE_SIZE + 2) * R * R);
}

/* The default title: what the picture shows (issue #12). */
static void test_title(void)
{
	static char *names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress",
				  "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
				  "Ankle boot"};
	struct dbv_planeplot p;
	const struct dbv_planeplot *cells[1] = {&p};
	struct dbv_planepic pic;
	char t[256];

	make_plane(labels, 0);
	make_plot(&p, labels);
	make_pic(&pic, cells, 1, 1);
	pic.names = names;
	p.idx[0] = 30;
	p.idx[2] = 42;
	p.plane = 3;
	dbv_planepic_title(&pic, t, sizeof t);
	CHECK(!strcmp(t, "plane 3: #30 Bag, Sneaker, #42 Shirt"));
	p.model = "cnn5 w=16";
	p.seed = "seed 0";
	pic.data = "fashion-mnist";
	dbv_planepic_title(&pic, t, sizeof t);
	CHECK(!strcmp(t, "cnn5 w=16 seed 0, fashion-mnist: #30 Bag, Sneaker, "
		      "#42 Shirt"));
	pic.montage = 1;
	dbv_planepic_title(&pic, t, sizeof t);
	CHECK(!strcmp(t, "fashion-mnist: #30 Bag, Sneaker, #42 Shirt"));
	pic.title = "mine";
	dbv_planepic_title(&pic, t, sizeof t);
	CHECK(!strcmp(t, "mine"));
	pic.bare = 1;
	dbv_planepic_title(&pic, t, sizeof t);
	CHECK(!strcmp(t, ""));
}

/* The full picture: title above, a frame, the legend to the right with
 * a swatch of each class present and none of the others. */
static void test_picture_and_legend(void)
{
	struct dbv_planeplot p;
	const struct dbv_planeplot *cells[1] = {&p};
	struct dbv_planepic pic;
	struct dbv_image im, nl, nt;
	int box[4];

	make_plane(labels, 0);
	make_plot(&p, labels);
	make_pic(&pic, cells, 1, 1);
	pic.legend = 0;
	pic.title = "cnn5 w=16 seed 0, plane 0";
	CHECK_OK(dbv_planepic_draw(&nl, &pic));
	/* Text scale 2: a margin of 20, a title line of 30, the plot below. */
	CHECK(find(&nl, dbv_palette(0), box));
	const int x0 = box[0], y0 = box[3] - S + 1;
	CHECK_EQ_INT(x0, 20);
	CHECK_EQ_INT(y0, 20 + 30);
	CHECK_EQ_INT(box[2] - box[0] + 1, 250);
	CHECK(at_is(&nl, x0 + 505, y0 + 5, dbv_palette(3)));
	CHECK(at_is(&nl, x0 - 1, y0 - 1, DBV_BLACK)); /* the frame */
	CHECK_EQ_INT(nl.w, x0 + S + 20);
	CHECK_EQ_INT(nl.h, y0 + S + 20);
	CHECK(count(&nl, DBV_BLACK, 0, 0, nl.w, y0 - 2) > 100);

	/* No title: the plot moves up, nothing above it. */
	pic.title = "";
	CHECK_OK(dbv_planepic_draw(&nt, &pic));
	CHECK(find(&nt, dbv_palette(0), box) && box[3] - S + 1 == 20);
	CHECK_EQ_INT(count(&nt, DBV_BLACK, 0, 0, nt.w, 18), 0);
	dbv_image_release(&nt);

	/* The legend: wider, each class's swatch right of the plot. */
	pic.title = "t";
	pic.legend = 1;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	CHECK(im.w > nl.w + 150);
	CHECK(at_is(&im, x0 + 5, y0 + 505, dbv_palette(0)));
	CHECK(at_is(&im, x0 + 55, y0 + 405, DBV_WHITE));
	const int lx = x0 + S + 2;
	/* Every class of the data set (10), present or not, none beyond. */
	for (int k = 0; k < 4; k++)
		CHECK(count(&im, dbv_palette(k), lx, 0, im.w, im.h) > 50);
	for (int k = 4; k < 10; k++)
		CHECK_EQ_INT(count(&im, dbv_palette(k), lx, 0, im.w, im.h), 16 * 16);
	CHECK_EQ_INT(count(&im, dbv_palette(10), lx, 0, im.w, im.h), 0);
	{
		/* Over DBV_PLANEPIC_LEGEND_ALL classes: those present only. */
		struct dbv_image many;
		pic.classes = DBV_PLANEPIC_LEGEND_ALL + 1;
		pic.names = NULL;
		CHECK_OK(dbv_planepic_draw(&many, &pic));
		CHECK(count(&many, dbv_palette(3), lx, 0, many.w, many.h) > 50);
		CHECK_EQ_INT(count(&many, dbv_palette(4), lx, 0, many.w, many.h), 0);
		dbv_image_release(&many);
		pic.classes = 10;
	}
	CHECK(count(&im, DBV_BLACK, lx, 0, im.w, im.h) > 1000);
	/* The swatches are 18 x 18 with a grey frame: 16 x 16 inside. */
	CHECK_EQ_INT(count(&im, dbv_palette(2), lx, 0, im.w, im.h), 16 * 16);
	/* The anchors' markers: white inside them. */
	CHECK(count(&im, DBV_WHITE, lx, y0, im.w, im.h) > 0);

	const int legend_w = im.w;
	dbv_image_release(&im);

	/* A class that appears (a band of label 4) gets its swatch. */
	make_plane(labels2, 0);
	for (int i = 0; i < RES; i++)
		labels2[i * RES + i] = 4;
	p.labels = labels2;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	CHECK(count(&im, dbv_palette(4), lx, 0, im.w, im.h) > 50);
	dbv_image_release(&im);

	/* Names and a mislabelled anchor make the legend's text longer. */
	char *names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
			   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
	struct dbv_image named, noisy;
	p.labels = labels;
	pic.names = names;
	CHECK_OK(dbv_planepic_draw(&named, &pic));
	p.y_true[1] = 3;
	p.idx[1] = 72;
	CHECK_OK(dbv_planepic_draw(&noisy, &pic));
	CHECK(named.w > legend_w);
	CHECK(noisy.w > named.w);
	/* The shading note: a line more, in grey. */
	p.conf = conf;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	CHECK(count(&im, DBV_RGB(0x555555), lx, 0, im.w, im.h) > 50);
	CHECK_EQ_INT(count(&noisy, DBV_RGB(0x555555), lx, 0, noisy.w, noisy.h), 0);
	dbv_image_release(&im);
	dbv_image_release(&named);
	dbv_image_release(&noisy);
	dbv_image_release(&nl);
}

/* Montages: cells row by row, 4 white pixels apart when bare, blank
 * cells white; labels and the legend below make it bigger. */
static void test_montage(void)
{
	static int32_t l[4][RES * RES];
	struct dbv_planeplot p[4];
	const struct dbv_planeplot *cells[4];
	struct dbv_planepic pic;
	struct dbv_image im;
	const int C = 255;

	for (int s = 0; s < 4; s++) {
		make_plane(l[s], s);
		make_plot(&p[s], l[s]);
		cells[s] = &p[s];
	}
	make_pic(&pic, cells, 4, 2);
	pic.montage = 1;
	pic.bare = 1;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	CHECK_EQ_INT(im.w, 2 * C + 4);
	CHECK_EQ_INT(im.h, 2 * C + 4);
	CHECK(at_is(&im, 2, 252, dbv_palette(0)));
	CHECK(at_is(&im, C + 6, 252, dbv_palette(1)));
	CHECK(at_is(&im, 2, 2 * C + 2, dbv_palette(2)));
	CHECK(at_is(&im, C + 6, 2 * C + 2, dbv_palette(3)));
	CHECK(at_is(&im, C + 1, 100, DBV_WHITE));
	dbv_image_release(&im);

	/* Three columns: the sixth cell of the grid stays blank. */
	pic.cols = 3;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	CHECK_EQ_INT(im.w, 3 * C + 8);
	CHECK_EQ_INT(im.h, 2 * C + 4);
	CHECK_EQ_INT(count(&im, DBV_WHITE, 2 * C + 8, C + 4, 3 * C + 8, 2 * C + 4), C * C);
	dbv_image_release(&im);

	/* A NULL cell is blank too. */
	cells[1] = NULL;
	pic.cols = 2;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	CHECK_EQ_INT(count(&im, DBV_WHITE, C + 4, 0, 2 * C + 4, C), C * C);
	CHECK(at_is(&im, 2, 2 * C + 2, dbv_palette(2)));
	dbv_image_release(&im);
	cells[1] = &p[1];

	/* Labels and the legend (below the grid). */
	char *rl[2] = {"seed 0", "seed 1"}, *cl[2] = {"a", "b"};
	struct dbv_image lab;
	int box[4];
	pic.bare = 0;
	pic.title = "";
	pic.row_labels = rl;
	pic.col_labels = cl;
	CHECK_OK(dbv_planepic_draw(&lab, &pic));
	CHECK(lab.w > 2 * C + 4);
	CHECK(lab.h > 2 * C + 100);
	/* Cell (0, 0) sits right of the row labels, below the column ones;
	 * the legend's swatches lie below the grid. */
	CHECK(find(&lab, dbv_palette(0), box));
	const int gx = 20 + dbv_text_width("seed 0", 2) + 16, gy = 20 + 32;
	CHECK(at_is(&lab, gx + 2, gy + 2 * 10 + 0, dbv_palette(2)));
	CHECK(at_is(&lab, gx + 2, gy + C - 3, dbv_palette(0)));
	CHECK(at_is(&lab, gx + C + 20 + 2, gy + C - 3, dbv_palette(1)));
	CHECK(at_is(&lab, gx + 2, gy + C + 20 + C - 3, dbv_palette(2)));
	CHECK(count(&lab, DBV_BLACK, 0, gy, gx - 4, gy + C) > 50);
	CHECK(count(&lab, DBV_BLACK, gx, 20, gx + C, gy - 2) > 10);
	const int below = gy + 2 * C + 20;
	for (int k = 0; k < 5; k++)
		CHECK(count(&lab, dbv_palette(k), 0, below, lab.w, lab.h) > 50);
	dbv_image_release(&lab);

	/* Too big for a PNG: refused, with the sizes. */
	pic.row_labels = pic.col_labels = NULL;
	pic.size = 8192;
	pic.cols = 4;
	CHECK_RC(dbv_planepic_draw(&im, &pic), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "over 32767") != NULL);
	CHECK(im.rgb == NULL);
}

/* Pixels of a and b agree in [x0, x1) x [y0, y1). */
static int same_region(const struct dbv_image *a, const struct dbv_image *b,
		       int x0, int y0, int x1, int y1)
{
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++)
			if (!same_rgb(dbv_image_get(a, x, y), dbv_image_get(b, x, y)))
				return 0;
	return 1;
}

/* Montage labels from the cells' models and seeds.  Rows of one seed and
 * columns of one model: the labels are those, the same picture as with
 * them given.  A row of two seeds (the cells given column by column):
 * no row or column label could be right for every cell, so each cell is
 * labelled above itself ("a seed 1"), compared with the text drawn
 * alone where it belongs.  (These labels were once the first cell's of
 * each row and column: both rows read "seed 0".) */
static void test_montage_labels(void)
{
	static int32_t l[4][RES * RES];
	static const char *model[4] = {"a", "b", "a", "b"};
	static const char *seed[4] = {"seed 0", "seed 0", "seed 1", "seed 1"};
	char *rl[2] = {"seed 0", "seed 1"}, *cl[2] = {"a", "b"};
	struct dbv_planeplot p[4];
	const struct dbv_planeplot *cells[4];
	struct dbv_planepic pic;
	struct dbv_image im, given, want;
	const int C = 255, ts = 2, margin = 20, gap = 20;
	const int cap = (DBV_FONT_LINE + 5) * ts;

	for (int s = 0; s < 4; s++) {
		make_plane(l[s], s);
		make_plot(&p[s], l[s]);
		p[s].model = model[s];
		p[s].seed = seed[s];
		cells[s] = &p[s];
	}
	make_pic(&pic, cells, 4, 2);
	pic.montage = 1;
	pic.title = "";
	pic.legend = 0;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	pic.row_labels = rl;
	pic.col_labels = cl;
	CHECK_OK(dbv_planepic_draw(&given, &pic));
	CHECK_EQ_INT(im.w, given.w);
	CHECK_EQ_INT(im.h, given.h);
	CHECK(im.w == given.w && im.h == given.h &&
	      same_region(&im, &given, 0, 0, im.w, im.h));
	dbv_image_release(&im);
	dbv_image_release(&given);

	/* Column by column: row 0 holds a seed 0 and a seed 1. */
	const struct dbv_planeplot *bycol[4] = {&p[0], &p[2], &p[1], &p[3]};
	pic.cells = bycol;
	pic.row_labels = pic.col_labels = NULL;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	/* No row labels, no column labels: a caption line above each row. */
	const int gx = margin, gy = margin + cap;
	CHECK_EQ_INT(im.w, margin + 2 * C + gap + margin);
	CHECK_EQ_INT(im.h, gy + 2 * C + gap + cap + margin);
	CHECK(dbv_image_init(&want, im.w, im.h, DBV_WHITE) == DBV_OK);
	for (int q = 0; q < 4; q++) {
		char t[64];
		snprintf(t, sizeof t, "%s %s", bycol[q]->model, bycol[q]->seed);
		const int x = gx + q % 2 * (C + gap), y = gy + q / 2 * (C + gap + cap);
		dbv_image_text(&want, x + (C - dbv_text_width(t, ts)) / 2, y - cap,
			       t, ts, DBV_BLACK);
		CHECK(count(&want, DBV_BLACK, x, y - cap, x + C, y - 2) > 20);
		CHECK(same_region(&im, &want, x, y - cap, x + C, y - 2));
		/* The cell itself where the caption line puts it. */
		CHECK(at_is(&im, x + 2, y + C - 3, dbv_palette(q % 2 * 2 + q / 2)));
	}
	/* Nothing left of the grid: no row label. */
	CHECK_EQ_INT(count(&im, DBV_BLACK, 0, 0, gx - 2, im.h), 0);
	dbv_image_release(&im);
	dbv_image_release(&want);
}

/* Thumbnails: the anchor images beside their markers, framed. */
static void test_thumbs(void)
{
	static uint8_t img[3 * 3 * 8 * 8];
	struct dbv_planeplot p;
	const struct dbv_planeplot *cells[1] = {&p};
	struct dbv_planepic pic;
	struct dbv_image im;

	/* mkpred's anchors: pixel (k, c, y, x) = 40 + 60k + 10x + 20c. */
	for (int k = 0; k < 3; k++)
		for (int c = 0; c < 3; c++)
			for (int y = 0; y < 8; y++)
				for (int x = 0; x < 8; x++)
					img[((k * 3 + c) * 8 + y) * 8 + x] =
						(uint8_t)(40 + 60 * k + 10 * x + 20 * c);
	make_plane(labels, 0);
	make_plot(&p, labels);
	make_pic(&pic, cells, 1, 1);
	pic.bare = 1;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	CHECK_EQ_INT(count(&im, DBV_RGB(0x283c50), 0, 0, S, S), 0);
	dbv_image_release(&im);
	p.c = 3;
	p.h = p.w = 8;
	p.images = img;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	/* Anchor 0's column x = 0: (40, 60, 80), 9 pixels a side (S/7/8). */
	CHECK(count(&im, DBV_RGB(0x283c50), 0, 0, S, S) >= 9 * 72);
	CHECK(at_is(&im, 55, 405, DBV_WHITE));
	dbv_image_release(&im);
	/* Grey images: one channel. */
	p.c = 1;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	CHECK(count(&im, DBV_RGB(0x282828), 0, 0, S, S) >= 9 * 72);
	dbv_image_release(&im);
	/* f32 pixels: rounded, clamped to 0..255, NaN black. */
	static float f[3 * 8 * 8];
	for (int i = 0; i < 3 * 64; i++)
		f[i] = i % 8 == 0 ? 39.6f : i % 8 == 1 ? -7 : i % 8 == 2 ? 300 : NAN;
	p.images = NULL;
	p.images_f32 = f;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	CHECK(count(&im, DBV_RGB(0x282828), 0, 0, S, S) >= 9 * 72);
	CHECK(count(&im, DBV_WHITE, 0, 0, S, S) >= 3 * 9 * 72);
	CHECK(count(&im, DBV_BLACK, 0, 0, S, S) >= 3 * 9 * 72 * 6);
	dbv_image_release(&im);
	/* Issue #11 item 3: anchors placed near +-1e300 (finite plane
	 * coordinates far off the grid): their markers fall off the plot and
	 * their thumbnails are pushed inside, with no double out of an
	 * int's range converted (clang's UBSan float-cast-overflow). */
	p.at[0][0] = 1e300;
	p.at[1][1] = -1e300;
	p.at[2][0] = -1e300;
	p.at[2][1] = 1e300;
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	CHECK(count(&im, DBV_RGB(0x282828), 0, 0, S, S) >= 9 * 72);
	dbv_image_release(&im);
}

static void test_refusals(void)
{
	struct dbv_planeplot p;
	const struct dbv_planeplot *cells[2] = {&p, &p};
	struct dbv_planepic pic;
	struct dbv_image im;

	make_plane(labels, 0);
	make_plot(&p, labels);
	make_pic(&pic, cells, 2, 2);
	CHECK_OK(dbv_planepic_draw(&im, &pic));
	dbv_image_release(&im);

	pic.n = 0;
	CHECK_RC(dbv_planepic_draw(&im, &pic), DBV_EUSAGE);
	pic.n = 2;
	pic.cols = 0;
	CHECK_RC(dbv_planepic_draw(&im, &pic), DBV_EUSAGE);
	pic.cols = 3;
	CHECK_RC(dbv_planepic_draw(&im, &pic), DBV_EUSAGE);
	pic.cols = 2;
	cells[0] = NULL;
	CHECK_RC(dbv_planepic_draw(&im, &pic), DBV_EUSAGE);
	cells[0] = &p;
	pic.size = DBV_IMAGE_MAX_SIDE + 1;
	CHECK_RC(dbv_planepic_draw(&im, &pic), DBV_EUSAGE);
	pic.size = -1;
	CHECK_RC(dbv_planepic_draw(&im, &pic), DBV_EUSAGE);
	pic.size = 0;
	pic.ts = DBV_PLANEPLOT_MAX_TS + 1;
	CHECK_RC(dbv_planepic_draw(&im, &pic), DBV_EUSAGE);
	pic.ts = 0;
	p.res = 0;
	CHECK_RC(dbv_planepic_draw(&im, &pic), DBV_EUSAGE);
	p.res = RES;
	labels[7] = -1;
	CHECK_RC(dbv_planepic_draw(&im, &pic), DBV_EUSAGE);
	labels[7] = 0;
	p.images = (const uint8_t *)labels;
	p.c = 5;
	p.h = p.w = 8;
	CHECK_RC(dbv_planepic_draw(&im, &pic), DBV_EUSAGE);
	p.c = 1;
	p.h = 0;
	CHECK_RC(dbv_planepic_draw(&im, &pic), DBV_EUSAGE);
	CHECK(im.rgb == NULL);
}

int main(void)
{
	test_side_and_place();
	test_bare_plot();
	test_shading();
	test_shading_keeps_classes();
	test_title();
	test_picture_and_legend();
	test_montage();
	test_montage_labels();
	test_thumbs();
	test_refusals();
	return check_done();
}
