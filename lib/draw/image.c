/*
 * image.c - an RGB8 canvas for dbv's pictures: rectangles, lines,
 * markers, nearest-neighbour blits, text from an embedded bitmap font,
 * the class palette, and PNG files through libpng.
 *
 * Also what charts (chart.c) need: anti-aliased strokes, text turned to
 * read upward, a sequential colour scale (viridis) and text contrast.
 *
 * High level: depends on util.c only (errors, allocation).  Never prints:
 * libpng's errors and warnings go to callbacks that keep the message.
 */
#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "draw/draw.h"

/* ---- canvas --------------------------------------------------------- */

int dbv_image_init(struct dbv_image *im, int w, int h, struct dbv_rgb bg)
{
	size_t n;
	int rc;

	im->w = im->h = 0;
	im->rgb = NULL;
	if (w < 1 || h < 1 || w > DBV_IMAGE_MAX_SIDE || h > DBV_IMAGE_MAX_SIDE)
		return dbv_seterr(DBV_EUSAGE, "image of %dx%d pixels: each side "
				  "must be 1 to %d", w, h, DBV_IMAGE_MAX_SIDE);
	if ((rc = dbv_mul_size((size_t)w * 3, (size_t)h, &n)))
		return rc;
	if (!(im->rgb = dbv_malloc(n)))
		return DBV_EIO;
	im->w = w;
	im->h = h;
	if (bg.r == bg.g && bg.g == bg.b) {
		memset(im->rgb, bg.r, n);
	} else {
		for (size_t i = 0; i < n; i += 3) {
			im->rgb[i] = bg.r;
			im->rgb[i + 1] = bg.g;
			im->rgb[i + 2] = bg.b;
		}
	}
	return DBV_OK;
}

void dbv_image_release(struct dbv_image *im)
{
	free(im->rgb);
	im->rgb = NULL;
	im->w = im->h = 0;
}

static inline uint8_t *px(const struct dbv_image *im, int x, int y)
{
	return im->rgb + 3 * ((size_t)y * (size_t)im->w + (size_t)x);
}

struct dbv_rgb dbv_image_get(const struct dbv_image *im, int x, int y)
{
	const uint8_t *p = px(im, x, y);
	return (struct dbv_rgb){p[0], p[1], p[2]};
}

void dbv_image_set(struct dbv_image *im, int x, int y, struct dbv_rgb c)
{
	uint8_t *p;
	if (x < 0 || y < 0 || x >= im->w || y >= im->h)
		return;
	p = px(im, x, y);
	p[0] = c.r;
	p[1] = c.g;
	p[2] = c.b;
}

static uint8_t mix1(uint8_t a, uint8_t b, double t)
{
	double v = a + (b - a) * t;
	return (uint8_t)(v <= 0 ? 0 : v >= 255 ? 255 : lround(v));
}

struct dbv_rgb dbv_rgb_mix(struct dbv_rgb a, struct dbv_rgb b, double t)
{
	return (struct dbv_rgb){mix1(a.r, b.r, t), mix1(a.g, b.g, t),
				mix1(a.b, b.b, t)};
}

/* Clip [x, x+w) x [y, y+h) to the canvas; 0 when nothing is left. */
static int clip(const struct dbv_image *im, int *x, int *y, int *w, int *h)
{
	long x0 = *x, y0 = *y, x1 = (long)*x + *w, y1 = (long)*y + *h;
	if (x0 < 0) x0 = 0;
	if (y0 < 0) y0 = 0;
	if (x1 > im->w) x1 = im->w;
	if (y1 > im->h) y1 = im->h;
	if (x0 >= x1 || y0 >= y1)
		return 0;
	*x = (int)x0;
	*y = (int)y0;
	*w = (int)(x1 - x0);
	*h = (int)(y1 - y0);
	return 1;
}

void dbv_image_fill_rect(struct dbv_image *im, int x, int y, int w, int h,
			 struct dbv_rgb c)
{
	if (!clip(im, &x, &y, &w, &h))
		return;
	for (int j = 0; j < h; j++) {
		uint8_t *p = px(im, x, y + j);
		for (int i = 0; i < w; i++, p += 3) {
			p[0] = c.r;
			p[1] = c.g;
			p[2] = c.b;
		}
	}
}

void dbv_image_frame(struct dbv_image *im, int x, int y, int w, int h,
		     int t, struct dbv_rgb c)
{
	if (t <= 0 || w <= 0 || h <= 0)
		return;
	if (2 * t >= w || 2 * t >= h) {
		dbv_image_fill_rect(im, x, y, w, h, c);
		return;
	}
	dbv_image_fill_rect(im, x, y, w, t, c);
	dbv_image_fill_rect(im, x, y + h - t, w, t, c);
	dbv_image_fill_rect(im, x, y + t, t, h - 2 * t, c);
	dbv_image_fill_rect(im, x + w - t, y + t, t, h - 2 * t, c);
}

void dbv_image_line(struct dbv_image *im, int x0, int y0, int x1, int y1,
		    int t, struct dbv_rgb c)
{
	long dx = labs((long)x1 - x0), dy = -labs((long)y1 - y0);
	int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
	long err = dx + dy;
	int lo = t > 1 ? (t - 1) / 2 : 0;

	if (t < 1)
		return;
	for (;;) {
		dbv_image_fill_rect(im, x0 - lo, y0 - lo, t, t, c);
		if (x0 == x1 && y0 == y1)
			break;
		long e2 = 2 * err;
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

void dbv_image_blit(struct dbv_image *dst, int x, int y, int w, int h,
		    const struct dbv_image *src)
{
	int cx = x, cy = y, cw = w, ch = h;

	if (w <= 0 || h <= 0 || !clip(dst, &cx, &cy, &cw, &ch))
		return;
	for (int j = cy; j < cy + ch; j++) {
		/* Destination pixel k shows source pixel floor(k*src/dst),
		 * on both axes: exact blocks for whole-number factors. */
		int sy = (int)(((int64_t)(j - y) * src->h) / h);
		uint8_t *d = px(dst, cx, j);
		for (int i = cx; i < cx + cw; i++, d += 3) {
			int sx = (int)(((int64_t)(i - x) * src->w) / w);
			const uint8_t *s = px(src, sx, sy);
			d[0] = s[0];
			d[1] = s[1];
			d[2] = s[2];
		}
	}
}

/* ---- markers -------------------------------------------------------- */

/*
 * Is the point (dx, dy) (pixels from the centre, y down) inside the shape
 * of size r grown by g pixels?  Growing by g is how the border is made:
 * the border is "inside grown by ow but not inside".
 */
static int inside(enum dbv_marker m, double dx, double dy, double r,
		  double g)
{
	const double s3 = 0.8660254037844386; /* sin 60 */
	switch (m) {
	case DBV_MARKER_CIRCLE:
		return dx * dx + dy * dy <= (r + g) * (r + g);
	case DBV_MARKER_TRIANGLE:
		/* Edges at the inradius r/2 from the centroid: the bottom one
		 * (normal down) and two slanted ones (normals up-left/right). */
		return dy <= r / 2 + g && s3 * dx - 0.5 * dy <= r / 2 + g &&
		       -s3 * dx - 0.5 * dy <= r / 2 + g;
	case DBV_MARKER_CROSS: {
		/* Two bars along the diagonals: half-width hw, half-length r. */
		const double hw = 0.275 * r + g, hl = r + g;
		const double a = fabs(dx - dy) * 0.7071067811865476;
		const double b = fabs(dx + dy) * 0.7071067811865476;
		return (a <= hw && b <= hl) || (b <= hw && a <= hl);
	}
	case DBV_MARKER_SQUARE:
		return fabs(dx) <= r + g && fabs(dy) <= r + g;
	case DBV_MARKER_DIAMOND:
		return fabs(dx) + fabs(dy) <= r + g * 1.4142135623730951;
	}
	return 0;
}

void dbv_image_marker(struct dbv_image *im, enum dbv_marker m, double cx,
		      double cy, double r, double ow, struct dbv_rgb fill,
		      struct dbv_rgb edge)
{
	const int ns = 4; /* samples per axis and pixel */
	const double ext = 1.5 * (r + ow) + 2;

	/* Off the canvas (or not a number): nothing to draw.  The box is
	 * clipped to the canvas before it becomes ints: a centre near 1e300
	 * does not fit an int. */
	if (!(cx + ext >= 0 && cy + ext >= 0 && cx - ext < im->w &&
	      cy - ext < im->h))
		return;
	const int x0 = (int)fmax(floor(cx - ext), 0);
	const int x1 = (int)fmin(ceil(cx + ext), im->w - 1);
	const int y0 = (int)fmax(floor(cy - ext), 0);
	const int y1 = (int)fmin(ceil(cy + ext), im->h - 1);

	for (int y = y0; y <= y1; y++) {
		for (int x = x0; x <= x1; x++) {
			int nin = 0, nout = 0;
			for (int sy = 0; sy < ns; sy++) {
				const double dy = y + (sy + 0.5) / ns - cy;
				for (int sx = 0; sx < ns; sx++) {
					const double dx = x + (sx + 0.5) / ns - cx;
					if (inside(m, dx, dy, r, ow)) {
						nout++;
						nin += inside(m, dx, dy, r, 0);
					}
				}
			}
			if (!nout)
				continue;
			/* Coverage: fill nin/N, edge (nout-nin)/N, the rest
			 * stays as it was. */
			uint8_t *p = px(im, x, y);
			const double n = ns * ns;
			const double f = nin / n, e = (nout - nin) / n;
			const double b = 1 - f - e;
			p[0] = (uint8_t)lround(p[0] * b + fill.r * f + edge.r * e);
			p[1] = (uint8_t)lround(p[1] * b + fill.g * f + edge.g * e);
			p[2] = (uint8_t)lround(p[2] * b + fill.b * f + edge.b * e);
		}
	}
}

/* Squared distance from (px, py) to the segment (x0, y0)-(x1, y1). */
static double seg_dist2(double px, double py, double x0, double y0, double x1,
			double y1)
{
	const double dx = x1 - x0, dy = y1 - y0, l2 = dx * dx + dy * dy;
	double t = l2 > 0 ? ((px - x0) * dx + (py - y0) * dy) / l2 : 0;
	t = t < 0 ? 0 : t > 1 ? 1 : t;
	const double ex = x0 + t * dx - px, ey = y0 + t * dy - py;
	return ex * ex + ey * ey;
}

void dbv_image_stroke(struct dbv_image *im, double x0, double y0, double x1,
		      double y1, double w, struct dbv_rgb c)
{
	const int ns = 4;
	const double h = w / 2, h2 = h * h;
	if (!(w > 0) || !isfinite(x0) || !isfinite(y0) || !isfinite(x1) ||
	    !isfinite(y1))
		return;
	const double bx0 = fmax(fmin(x0, x1) - h - 1, 0);
	const double by0 = fmax(fmin(y0, y1) - h - 1, 0);
	const double bx1 = fmin(fmax(x0, x1) + h + 1, im->w - 1);
	const double by1 = fmin(fmax(y0, y1) + h + 1, im->h - 1);
	for (int y = (int)floor(by0); y <= (int)ceil(by1) && y < im->h; y++) {
		for (int x = (int)floor(bx0); x <= (int)ceil(bx1) && x < im->w; x++) {
			int n = 0;
			/* Whole pixel inside: skip the sampling. */
			if (seg_dist2(x + 0.5, y + 0.5, x0, y0, x1, y1) <=
			    (h - 0.7072) * (h - 0.7072) && h > 0.7072) {
				n = ns * ns;
			} else {
				for (int sy = 0; sy < ns; sy++)
					for (int sx = 0; sx < ns; sx++)
						n += seg_dist2(x + (sx + 0.5) / ns,
							       y + (sy + 0.5) / ns, x0,
							       y0, x1, y1) <= h2;
			}
			if (!n)
				continue;
			uint8_t *p = px(im, x, y);
			const double f = n / (double)(ns * ns);
			p[0] = (uint8_t)lround(p[0] * (1 - f) + c.r * f);
			p[1] = (uint8_t)lround(p[1] * (1 - f) + c.g * f);
			p[2] = (uint8_t)lround(p[2] * (1 - f) + c.b * f);
		}
	}
}

/* ---- palette -------------------------------------------------------- */

/*
 * Chosen for dbv: the seven colours of Okabe and Ito's colour-blind-safe
 * set (its black left out: outlines and text are black), then colours
 * added one at a time, each the candidate (from the usual qualitative
 * sets: Tableau, Tol, Kelly, ColorBrewer) farthest in CIELAB from all
 * already chosen, among those of lightness 30..88 (not near black, not so
 * light that the confidence shading washes them into white).  So the
 * first 10 classes get the 10 most distinct colours, and so on.
 */
static const uint32_t palette[DBV_PALETTE_SIZE] = {
	0x0072b2, /*  0 blue            */
	0xe69f00, /*  1 orange          */
	0x009e73, /*  2 bluish green    */
	0xd55e00, /*  3 vermillion      */
	0xcc79a7, /*  4 reddish purple  */
	0x56b4e9, /*  5 sky blue        */
	0xf0e442, /*  6 yellow          */
	0x654522, /*  7 dark brown      */
	0x66a61e, /*  8 leaf green      */
	0xbe0032, /*  9 crimson         */
	0xc2b280, /* 10 sand            */
	0x6a3d9a, /* 11 purple          */
	0xe7298a, /* 12 magenta         */
	0xf99379, /* 13 salmon          */
	0x7f7f7f, /* 14 grey            */
	0x98df8a, /* 15 light green     */
	0x882255, /* 16 wine            */
	0x882d17, /* 17 rust            */
	0xa6761d, /* 18 ochre           */
	0xc5b0d5, /* 19 lavender        */
	0xfdbf6f, /* 20 light orange    */
	0x9edae5, /* 21 pale cyan       */
	0xe41a1c, /* 22 red             */
	0x999933, /* 23 olive           */
};

struct dbv_rgb dbv_palette(int64_t k)
{
	int64_t i = k % DBV_PALETTE_SIZE;
	if (i < 0)
		i += DBV_PALETTE_SIZE;
	return DBV_RGB(palette[i]);
}

/* ---- CIELAB and the confidence shading ------------------------------ */

/* An sRGB channel 0..255 as linear light 0..1 (IEC 61966-2-1). */
static double lin1(uint8_t v)
{
	const double c = v / 255.0;
	return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static double lab_f(double t)
{
	const double d = 6.0 / 29;
	return t > d * d * d ? cbrt(t) : t / (3 * d * d) + 4.0 / 29;
}

void dbv_rgb_to_lab(struct dbv_rgb c, double lab[3])
{
	const double r = lin1(c.r), g = lin1(c.g), b = lin1(c.b);
	/* sRGB to XYZ (D65); the white point is the matrix's row sums, so
	 * sRGB white is exactly L = 100, a = b = 0. */
	static const double m[3][3] = {
		{0.4124564, 0.3575761, 0.1804375},
		{0.2126729, 0.7151522, 0.0721750},
		{0.0193339, 0.1191920, 0.9503041},
	};
	double f[3];
	for (int i = 0; i < 3; i++)
		f[i] = lab_f((m[i][0] * r + m[i][1] * g + m[i][2] * b) /
			     (m[i][0] + m[i][1] + m[i][2]));
	lab[0] = 116 * f[1] - 16;
	lab[1] = 500 * (f[0] - f[1]);
	lab[2] = 200 * (f[1] - f[2]);
}

/* The Lab colours of the palette's entries. */
static void palette_lab(double sw[DBV_PALETTE_SIZE][3])
{
	for (int i = 0; i < DBV_PALETTE_SIZE; i++)
		dbv_rgb_to_lab(DBV_RGB(palette[i]), sw[i]);
}

/* The entry nearest to c, -1 on a tie. */
static int nearest(struct dbv_rgb c, double sw[DBV_PALETTE_SIZE][3])
{
	double lab[3], best = INFINITY;
	int k = -1, ties = 0;
	dbv_rgb_to_lab(c, lab);
	for (int i = 0; i < DBV_PALETTE_SIZE; i++) {
		double d = 0;
		for (int j = 0; j < 3; j++)
			d += (lab[j] - sw[i][j]) * (lab[j] - sw[i][j]);
		if (d < best) {
			best = d;
			k = i;
			ties = 0;
		} else if (d == best) {
			ties = 1;
		}
	}
	return ties ? -1 : k;
}

int dbv_palette_nearest(struct dbv_rgb c)
{
	double sw[DBV_PALETTE_SIZE][3];
	palette_lab(sw);
	return nearest(c, sw);
}

static int cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/*
 * The bound of class k: walk the mix toward white from t = 0 through
 * every point where a channel's rounding steps (channel v reaches
 * m + 0.5 at t = (m + 0.5 - v)/(255 - v)), checking the colour at each
 * step and between steps, so every colour the mix can give up to the
 * bound is checked, not a sample of them.  The bound is the largest
 * n/256 below the first colour whose nearest swatch is another's.
 */
double dbv_shade_limit(int64_t k)
{
	int64_t own = k % DBV_PALETTE_SIZE;
	if (own < 0)
		own += DBV_PALETTE_SIZE;
	const struct dbv_rgb c = dbv_palette(own);
	const uint8_t v[3] = {c.r, c.g, c.b};
	double sw[DBV_PALETTE_SIZE][3], bp[3 * 256 + 1];
	int n = 0;

	palette_lab(sw);
	for (int ch = 0; ch < 3; ch++)
		for (int m = v[ch]; m < 255; m++) {
			const double t = (m + 0.5 - v[ch]) / (255 - v[ch]);
			if (t <= DBV_SHADE_MAX)
				bp[n++] = t;
		}
	bp[n++] = DBV_SHADE_MAX + 1.0 / 256;
	qsort(bp, (size_t)n, sizeof *bp, cmp_double);
	double prev = 0, bad = INFINITY;
	for (int i = 0; i < n && bad == INFINITY; i++) {
		/* Between two steps, then on the step itself. */
		const double at[2] = {(prev + bp[i]) / 2, bp[i]};
		for (int q = 0; q < 2 && bad == INFINITY; q++)
			if (nearest(dbv_rgb_mix(c, DBV_WHITE, at[q]), sw) != own)
				bad = q ? at[1] : prev;
		prev = bp[i];
	}
	int steps = (int)floor(DBV_SHADE_MAX * 256);
	while (steps > 0 && steps / 256.0 >= bad - 1e-9)
		steps--;
	return steps / 256.0;
}

struct dbv_rgb dbv_shade(struct dbv_rgb c, double limit, double conf)
{
	const double q = conf >= 0 ? (conf <= 1 ? conf : 1) : 0; /* NaN: 0 */
	return dbv_rgb_mix(c, DBV_WHITE, limit * (1 - q));
}

/* ---- sequential colour scale ---------------------------------------- */

/*
 * matplotlib's viridis (S. van der Walt and N. Smith, 2015; CC0): 256
 * colours from dark purple to yellow, perceptually uniform (CAM02-UCS),
 * its lightness rising monotonically (so it reads in grey too),
 * colour-blind safe.
 * Each entry is the published float triple times 255, rounded.
 */
static const uint32_t viridis[256] = {
	0x440154, 0x440256, 0x450457, 0x450559, 0x46075a, 0x46085c, 0x460a5d, 0x460b5e,
	0x470d60, 0x470e61, 0x471063, 0x471164, 0x471365, 0x481467, 0x481668, 0x481769,
	0x48186a, 0x481a6c, 0x481b6d, 0x481c6e, 0x481d6f, 0x481f70, 0x482071, 0x482173,
	0x482374, 0x482475, 0x482576, 0x482677, 0x482878, 0x482979, 0x472a7a, 0x472c7a,
	0x472d7b, 0x472e7c, 0x472f7d, 0x46307e, 0x46327e, 0x46337f, 0x463480, 0x453581,
	0x453781, 0x453882, 0x443983, 0x443a83, 0x443b84, 0x433d84, 0x433e85, 0x423f85,
	0x424086, 0x424186, 0x414287, 0x414487, 0x404588, 0x404688, 0x3f4788, 0x3f4889,
	0x3e4989, 0x3e4a89, 0x3e4c8a, 0x3d4d8a, 0x3d4e8a, 0x3c4f8a, 0x3c508b, 0x3b518b,
	0x3b528b, 0x3a538b, 0x3a548c, 0x39558c, 0x39568c, 0x38588c, 0x38598c, 0x375a8c,
	0x375b8d, 0x365c8d, 0x365d8d, 0x355e8d, 0x355f8d, 0x34608d, 0x34618d, 0x33628d,
	0x33638d, 0x32648e, 0x32658e, 0x31668e, 0x31678e, 0x31688e, 0x30698e, 0x306a8e,
	0x2f6b8e, 0x2f6c8e, 0x2e6d8e, 0x2e6e8e, 0x2e6f8e, 0x2d708e, 0x2d718e, 0x2c718e,
	0x2c728e, 0x2c738e, 0x2b748e, 0x2b758e, 0x2a768e, 0x2a778e, 0x2a788e, 0x29798e,
	0x297a8e, 0x297b8e, 0x287c8e, 0x287d8e, 0x277e8e, 0x277f8e, 0x27808e, 0x26818e,
	0x26828e, 0x26828e, 0x25838e, 0x25848e, 0x25858e, 0x24868e, 0x24878e, 0x23888e,
	0x23898e, 0x238a8d, 0x228b8d, 0x228c8d, 0x228d8d, 0x218e8d, 0x218f8d, 0x21908d,
	0x21918c, 0x20928c, 0x20928c, 0x20938c, 0x1f948c, 0x1f958b, 0x1f968b, 0x1f978b,
	0x1f988b, 0x1f998a, 0x1f9a8a, 0x1e9b8a, 0x1e9c89, 0x1e9d89, 0x1f9e89, 0x1f9f88,
	0x1fa088, 0x1fa188, 0x1fa187, 0x1fa287, 0x20a386, 0x20a486, 0x21a585, 0x21a685,
	0x22a785, 0x22a884, 0x23a983, 0x24aa83, 0x25ab82, 0x25ac82, 0x26ad81, 0x27ad81,
	0x28ae80, 0x29af7f, 0x2ab07f, 0x2cb17e, 0x2db27d, 0x2eb37c, 0x2fb47c, 0x31b57b,
	0x32b67a, 0x34b679, 0x35b779, 0x37b878, 0x38b977, 0x3aba76, 0x3bbb75, 0x3dbc74,
	0x3fbc73, 0x40bd72, 0x42be71, 0x44bf70, 0x46c06f, 0x48c16e, 0x4ac16d, 0x4cc26c,
	0x4ec36b, 0x50c46a, 0x52c569, 0x54c568, 0x56c667, 0x58c765, 0x5ac864, 0x5cc863,
	0x5ec962, 0x60ca60, 0x63cb5f, 0x65cb5e, 0x67cc5c, 0x69cd5b, 0x6ccd5a, 0x6ece58,
	0x70cf57, 0x73d056, 0x75d054, 0x77d153, 0x7ad151, 0x7cd250, 0x7fd34e, 0x81d34d,
	0x84d44b, 0x86d549, 0x89d548, 0x8bd646, 0x8ed645, 0x90d743, 0x93d741, 0x95d840,
	0x98d83e, 0x9bd93c, 0x9dd93b, 0xa0da39, 0xa2da37, 0xa5db36, 0xa8db34, 0xaadc32,
	0xaddc30, 0xb0dd2f, 0xb2dd2d, 0xb5de2b, 0xb8de29, 0xbade28, 0xbddf26, 0xc0df25,
	0xc2df23, 0xc5e021, 0xc8e020, 0xcae11f, 0xcde11d, 0xd0e11c, 0xd2e21b, 0xd5e21a,
	0xd8e219, 0xdae319, 0xdde318, 0xdfe318, 0xe2e418, 0xe5e419, 0xe7e419, 0xeae51a,
	0xece51b, 0xefe51c, 0xf1e51d, 0xf4e61e, 0xf6e620, 0xf8e621, 0xfbe723, 0xfde725,
};

struct dbv_rgb dbv_viridis(double t)
{
	if (!(t > 0))
		t = 0; /* NaN too */
	if (t > 1)
		t = 1;
	return DBV_RGB(viridis[(int)lround(255 * t)]);
}

double dbv_rgb_luminance(struct dbv_rgb c)
{
	return 0.2126 * lin1(c.r) + 0.7152 * lin1(c.g) + 0.0722 * lin1(c.b);
}

struct dbv_rgb dbv_text_colour_on(struct dbv_rgb bg)
{
	/* WCAG contrast (L1 + 0.05)/(L2 + 0.05): black wins when
	 * (L + 0.05)/0.05 >= 1.05/(L + 0.05), i.e. (L + 0.05)^2 >= 0.0525. */
	const double l = dbv_rgb_luminance(bg) + 0.05;
	return l * l >= 0.0525 ? DBV_BLACK : DBV_WHITE;
}

/* ---- text ----------------------------------------------------------- */

/*
 * dbv's own font, drawn for it: 5 columns x 9 rows per glyph, ASCII 32 to
 * 126.  Row r of a glyph is one byte, bit 4 the leftmost column.  Rows 0-6
 * hold capitals and digits (x-height: rows 2-6), rows 7-8 descenders.
 */
static const uint8_t font[95][DBV_FONT_ROWS] = {
	{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /* ' ' */
	{0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04, 0x00, 0x00}, /* '!' */
	{0x0a, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /* '"' */
	{0x0a, 0x0a, 0x1f, 0x0a, 0x1f, 0x0a, 0x0a, 0x00, 0x00}, /* '#' */
	{0x04, 0x0f, 0x14, 0x0e, 0x05, 0x1e, 0x04, 0x00, 0x00}, /* '$' */
	{0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03, 0x00, 0x00}, /* '%' */
	{0x0c, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0d, 0x00, 0x00}, /* '&' */
	{0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /* ''' */
	{0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02, 0x00, 0x00}, /* '(' */
	{0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08, 0x00, 0x00}, /* ')' */
	{0x00, 0x04, 0x15, 0x0e, 0x15, 0x04, 0x00, 0x00, 0x00}, /* '*' */
	{0x00, 0x04, 0x04, 0x1f, 0x04, 0x04, 0x00, 0x00, 0x00}, /* '+' */
	{0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c, 0x04, 0x08}, /* ',' */
	{0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00}, /* '-' */
	{0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c, 0x00, 0x00}, /* '.' */
	{0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00, 0x00, 0x00}, /* '/' */
	{0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e, 0x00, 0x00}, /* '0' */
	{0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e, 0x00, 0x00}, /* '1' */
	{0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f, 0x00, 0x00}, /* '2' */
	{0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e, 0x00, 0x00}, /* '3' */
	{0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02, 0x00, 0x00}, /* '4' */
	{0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e, 0x00, 0x00}, /* '5' */
	{0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e, 0x00, 0x00}, /* '6' */
	{0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08, 0x00, 0x00}, /* '7' */
	{0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e, 0x00, 0x00}, /* '8' */
	{0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c, 0x00, 0x00}, /* '9' */
	{0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00, 0x00, 0x00}, /* ':' */
	{0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x04, 0x08, 0x00}, /* ';' */
	{0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02, 0x00, 0x00}, /* '<' */
	{0x00, 0x00, 0x1f, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00}, /* '=' */
	{0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08, 0x00, 0x00}, /* '>' */
	{0x0e, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04, 0x00, 0x00}, /* '?' */
	{0x0e, 0x11, 0x17, 0x15, 0x17, 0x10, 0x0f, 0x00, 0x00}, /* '@' */
	{0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11, 0x00, 0x00}, /* 'A' */
	{0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e, 0x00, 0x00}, /* 'B' */
	{0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e, 0x00, 0x00}, /* 'C' */
	{0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c, 0x00, 0x00}, /* 'D' */
	{0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f, 0x00, 0x00}, /* 'E' */
	{0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10, 0x00, 0x00}, /* 'F' */
	{0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f, 0x00, 0x00}, /* 'G' */
	{0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11, 0x00, 0x00}, /* 'H' */
	{0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e, 0x00, 0x00}, /* 'I' */
	{0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c, 0x00, 0x00}, /* 'J' */
	{0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11, 0x00, 0x00}, /* 'K' */
	{0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f, 0x00, 0x00}, /* 'L' */
	{0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11, 0x00, 0x00}, /* 'M' */
	{0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11, 0x00, 0x00}, /* 'N' */
	{0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e, 0x00, 0x00}, /* 'O' */
	{0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10, 0x00, 0x00}, /* 'P' */
	{0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d, 0x00, 0x00}, /* 'Q' */
	{0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11, 0x00, 0x00}, /* 'R' */
	{0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e, 0x00, 0x00}, /* 'S' */
	{0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x00}, /* 'T' */
	{0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e, 0x00, 0x00}, /* 'U' */
	{0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04, 0x00, 0x00}, /* 'V' */
	{0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a, 0x00, 0x00}, /* 'W' */
	{0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11, 0x00, 0x00}, /* 'X' */
	{0x11, 0x11, 0x0a, 0x04, 0x04, 0x04, 0x04, 0x00, 0x00}, /* 'Y' */
	{0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f, 0x00, 0x00}, /* 'Z' */
	{0x0e, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0e, 0x00, 0x00}, /* '[' */
	{0x00, 0x10, 0x08, 0x04, 0x02, 0x01, 0x00, 0x00, 0x00}, /* '\' */
	{0x0e, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0e, 0x00, 0x00}, /* ']' */
	{0x04, 0x0a, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /* '^' */
	{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x00}, /* '_' */
	{0x08, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /* '`' */
	{0x00, 0x00, 0x0e, 0x01, 0x0f, 0x11, 0x0f, 0x00, 0x00}, /* 'a' */
	{0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1e, 0x00, 0x00}, /* 'b' */
	{0x00, 0x00, 0x0e, 0x10, 0x10, 0x11, 0x0e, 0x00, 0x00}, /* 'c' */
	{0x01, 0x01, 0x0d, 0x13, 0x11, 0x11, 0x0f, 0x00, 0x00}, /* 'd' */
	{0x00, 0x00, 0x0e, 0x11, 0x1f, 0x10, 0x0e, 0x00, 0x00}, /* 'e' */
	{0x06, 0x09, 0x08, 0x1c, 0x08, 0x08, 0x08, 0x00, 0x00}, /* 'f' */
	{0x00, 0x00, 0x0f, 0x11, 0x11, 0x11, 0x0f, 0x01, 0x0e}, /* 'g' */
	{0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11, 0x00, 0x00}, /* 'h' */
	{0x04, 0x00, 0x0c, 0x04, 0x04, 0x04, 0x0e, 0x00, 0x00}, /* 'i' */
	{0x02, 0x00, 0x06, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c}, /* 'j' */
	{0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12, 0x00, 0x00}, /* 'k' */
	{0x0c, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e, 0x00, 0x00}, /* 'l' */
	{0x00, 0x00, 0x1a, 0x15, 0x15, 0x15, 0x15, 0x00, 0x00}, /* 'm' */
	{0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11, 0x00, 0x00}, /* 'n' */
	{0x00, 0x00, 0x0e, 0x11, 0x11, 0x11, 0x0e, 0x00, 0x00}, /* 'o' */
	{0x00, 0x00, 0x1e, 0x11, 0x11, 0x11, 0x1e, 0x10, 0x10}, /* 'p' */
	{0x00, 0x00, 0x0f, 0x11, 0x11, 0x11, 0x0f, 0x01, 0x01}, /* 'q' */
	{0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10, 0x00, 0x00}, /* 'r' */
	{0x00, 0x00, 0x0f, 0x10, 0x0e, 0x01, 0x1e, 0x00, 0x00}, /* 's' */
	{0x08, 0x08, 0x1c, 0x08, 0x08, 0x09, 0x06, 0x00, 0x00}, /* 't' */
	{0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0d, 0x00, 0x00}, /* 'u' */
	{0x00, 0x00, 0x11, 0x11, 0x11, 0x0a, 0x04, 0x00, 0x00}, /* 'v' */
	{0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0a, 0x00, 0x00}, /* 'w' */
	{0x00, 0x00, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x00, 0x00}, /* 'x' */
	{0x00, 0x00, 0x11, 0x11, 0x11, 0x11, 0x0f, 0x01, 0x0e}, /* 'y' */
	{0x00, 0x00, 0x1f, 0x02, 0x04, 0x08, 0x1f, 0x00, 0x00}, /* 'z' */
	{0x03, 0x04, 0x04, 0x08, 0x04, 0x04, 0x03, 0x00, 0x00}, /* '{' */
	{0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x00}, /* '|' */
	{0x18, 0x04, 0x04, 0x02, 0x04, 0x04, 0x18, 0x00, 0x00}, /* '}' */
	{0x00, 0x00, 0x08, 0x15, 0x02, 0x00, 0x00, 0x00, 0x00}, /* '~' */
};

const uint8_t *dbv_font_glyph(int ch)
{
	if (ch < 32 || ch > 126)
		ch = '?';
	return font[ch - 32];
}

/* Next character of s to draw: ASCII as itself, a UTF-8 sequence (or a
 * stray byte) as one '?'.  Advances *s. */
static int next_char(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	int c = *p++;
	if (c >= 0x80) {
		while ((*p & 0xc0) == 0x80)
			p++;
		c = '?';
	} else if (c < 32 || c == 127) {
		c = '?';
	}
	*s = (const char *)p;
	return c;
}

int dbv_text_width(const char *s, int scale)
{
	int n = 0;
	while (*s) {
		next_char(&s);
		n++;
	}
	return n ? (n * DBV_FONT_ADVANCE - (DBV_FONT_ADVANCE - DBV_FONT_WIDTH)) *
			   scale
		 : 0;
}

void dbv_text_fit(char *s, int w, int scale)
{
	size_t n = strlen(s);
	while (n > 2 && dbv_text_width(s, scale) > w) {
		n--;
		s[n - 2] = '.';
		s[n - 1] = '.';
		s[n] = 0;
	}
}

void dbv_image_text(struct dbv_image *im, int x, int y, const char *s,
		    int scale, struct dbv_rgb c)
{
	if (scale < 1)
		scale = 1;
	while (*s) {
		const uint8_t *g = dbv_font_glyph(next_char(&s));
		for (int r = 0; r < DBV_FONT_ROWS; r++)
			for (int k = 0; k < DBV_FONT_WIDTH; k++)
				if (g[r] >> (DBV_FONT_WIDTH - 1 - k) & 1)
					dbv_image_fill_rect(im, x + k * scale,
							    y + r * scale, scale,
							    scale, c);
		x += DBV_FONT_ADVANCE * scale;
	}
}

void dbv_image_text_up(struct dbv_image *im, int x, int y, const char *s,
		       int scale, struct dbv_rgb c)
{
	/* Glyph pixel (column k, row r) of the unrotated text, counted from
	 * its top-left, goes to (x + r, y - 1 - k): the text reads upward,
	 * the tops of the glyphs to the left. */
	int k0 = 0;
	if (scale < 1)
		scale = 1;
	while (*s) {
		const uint8_t *g = dbv_font_glyph(next_char(&s));
		for (int r = 0; r < DBV_FONT_ROWS; r++)
			for (int k = 0; k < DBV_FONT_WIDTH; k++)
				if (g[r] >> (DBV_FONT_WIDTH - 1 - k) & 1)
					dbv_image_fill_rect(im, x + r * scale,
							    y - (k0 + k + 1) * scale,
							    scale, scale, c);
		k0 += DBV_FONT_ADVANCE;
	}
}

/* ---- PNG ------------------------------------------------------------ */

/*
 * libpng reports errors by longjmp.  The setjmp lives in its own small
 * function (png_write_body, png_read_body) whose locals are not changed
 * after it, and every result goes through a context struct the caller
 * owns, so nothing indeterminate is read after a longjmp.
 */
struct png_ctx {
	char msg[256];
};

static void on_png_error(png_structp png, png_const_charp msg)
{
	struct png_ctx *c = png_get_error_ptr(png);
	snprintf(c->msg, sizeof c->msg, "%s", msg);
	png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg; /* the library never prints */
}

struct png_wr {
	struct png_ctx ctx;
	png_structp png;
	png_infop info;
	const struct dbv_image *im;
	FILE *f;
	const char *title;
};

static int png_write_body(struct png_wr *c)
{
	png_text text[2];
	int nt = 0;

	if (setjmp(png_jmpbuf(c->png)))
		return 1;
	png_init_io(c->png, c->f);
	png_set_IHDR(c->png, c->info, (png_uint_32)c->im->w,
		     (png_uint_32)c->im->h, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	memset(text, 0, sizeof text);
	text[nt].compression = PNG_TEXT_COMPRESSION_NONE;
	text[nt].key = (png_charp) "Software";
	text[nt++].text = (png_charp) "dbv " DBV_VERSION;
	if (c->title) {
		text[nt].compression = PNG_TEXT_COMPRESSION_NONE;
		text[nt].key = (png_charp) "Title";
		text[nt++].text = (png_charp)c->title;
	}
	png_set_text(c->png, c->info, text, nt);
	/* Regions of flat or slowly shaded colour: unfiltered rows are long
	 * repeats that zlib finds by itself.  Measured on a 500x500 plane
	 * picture (shaded): no filter at level 6, 13 ms and 84 KB; libpng's
	 * default (adaptive filters, level 6), 40 ms and 97 KB. */
	png_set_filter(c->png, 0, PNG_FILTER_NONE);
	png_set_compression_level(c->png, 6);
	png_write_info(c->png, c->info);
	for (int y = 0; y < c->im->h; y++)
		png_write_row(c->png, px(c->im, 0, y));
	png_write_end(c->png, c->info);
	return 0;
}

int dbv_image_write_png(const struct dbv_image *im, FILE *f,
			const char *title)
{
	struct png_wr c;
	int failed;

	memset(&c, 0, sizeof c);
	c.im = im;
	c.f = f;
	c.title = title;
	if (!im->rgb || im->w < 1 || im->h < 1)
		return dbv_seterr(DBV_EUSAGE, "PNG: empty image");
	c.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &c.ctx,
					on_png_error, on_png_warning);
	if (!c.png)
		return dbv_seterr(DBV_EIO, "PNG: out of memory");
	c.info = png_create_info_struct(c.png);
	if (!c.info) {
		png_destroy_write_struct(&c.png, NULL);
		return dbv_seterr(DBV_EIO, "PNG: out of memory");
	}
	failed = png_write_body(&c);
	png_destroy_write_struct(&c.png, &c.info);
	if (failed)
		return dbv_seterr(DBV_EIO, "PNG: %s", c.ctx.msg);
	if (fflush(f) || ferror(f))
		return dbv_seterr(DBV_EIO, "PNG: write error: %s",
				  strerror(errno));
	return DBV_OK;
}

int dbv_draw_write_fd(int fd, const char *name,
		      int (*fn)(FILE *f, const void *what, const char *title),
		      const void *what, const char *title)
{
	FILE *f;
	int rc, d = dup(fd);

	if (d < 0 || !(f = fdopen(d, "wb"))) {
		if (d >= 0)
			close(d);
		return dbv_seterr(DBV_EIO, "cannot write '%s': %s", name,
				  strerror(errno));
	}
	rc = fn(f, what, title);
	if (fclose(f) && !rc)
		rc = dbv_seterr(DBV_EIO, "cannot write '%s': %s", name,
				strerror(errno));
	return rc ? dbv_preerr(rc, "%s", name) : DBV_OK;
}

static int png_to(FILE *f, const void *im, const char *title)
{
	return dbv_image_write_png(im, f, title);
}

int dbv_image_write_png_fd(const struct dbv_image *im, int fd,
			   const char *name, const char *title)
{
	return dbv_draw_write_fd(fd, name, png_to, im, title);
}

struct png_rd {
	struct png_ctx ctx;
	png_structp png;
	png_infop info;
	FILE *f;
	struct dbv_image *im; /* filled (owned memory) on success */
	int bad_size;
};

static int png_read_body(struct png_rd *c)
{
	png_uint_32 w, h;
	int depth, type;

	if (setjmp(png_jmpbuf(c->png)))
		return 1;
	png_init_io(c->png, c->f);
	png_set_user_limits(c->png, DBV_IMAGE_MAX_SIDE, DBV_IMAGE_MAX_SIDE);
	png_read_info(c->png, c->info);
	png_get_IHDR(c->png, c->info, &w, &h, &depth, &type, NULL, NULL, NULL);
	png_set_expand(c->png);
	png_set_strip_16(c->png);
	png_set_strip_alpha(c->png);
	if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA)
		png_set_gray_to_rgb(c->png);
	png_set_interlace_handling(c->png);
	png_read_update_info(c->png, c->info);
	if (png_get_rowbytes(c->png, c->info) != (size_t)w * 3) {
		c->bad_size = 1;
		return 1;
	}
	if (dbv_image_init(c->im, (int)w, (int)h, DBV_WHITE)) {
		c->bad_size = 2;
		return 1;
	}
	/* Interlaced images need all rows at once: png_read_image. */
	for (int pass = png_set_interlace_handling(c->png); pass > 0; pass--)
		for (png_uint_32 y = 0; y < h; y++)
			png_read_row(c->png, px(c->im, 0, (int)y), NULL);
	png_read_end(c->png, NULL);
	return 0;
}

int dbv_image_read_png(struct dbv_image *im, const char *path)
{
	struct png_rd c;
	unsigned char sig[8];
	int failed, rc = DBV_OK;

	im->w = im->h = 0;
	im->rgb = NULL;
	memset(&c, 0, sizeof c);
	c.im = im;
	if (!(c.f = fopen(path, "rb")))
		return dbv_seterr(DBV_EIO, "cannot open '%s': %s", path,
				  strerror(errno));
	if (fread(sig, 1, 8, c.f) != 8 || png_sig_cmp(sig, 0, 8)) {
		fclose(c.f);
		return dbv_seterr(DBV_EINPUT, "'%s': not a PNG file", path);
	}
	c.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c.ctx,
				       on_png_error, on_png_warning);
	c.info = c.png ? png_create_info_struct(c.png) : NULL;
	if (!c.info) {
		png_destroy_read_struct(&c.png, NULL, NULL);
		fclose(c.f);
		return dbv_seterr(DBV_EIO, "PNG: out of memory");
	}
	png_set_sig_bytes(c.png, 8);
	failed = png_read_body(&c);
	png_destroy_read_struct(&c.png, &c.info, NULL);
	if (failed) {
		if (c.bad_size == 2)
			rc = dbv_preerr(DBV_EIO, "'%s'", path);
		else if (c.bad_size)
			rc = dbv_seterr(DBV_EINPUT, "'%s': unexpected PNG row size",
					path);
		else
			rc = dbv_seterr(ferror(c.f) ? DBV_EIO : DBV_EINPUT,
					"'%s': %s", path, c.ctx.msg);
		dbv_image_release(im);
	}
	fclose(c.f);
	return rc;
}
