/*
 * chart.c - charts on the image canvas of image.c, in the plain style of
 * a paper's figures: a heat map of a square matrix with a colour bar, and
 * a line chart (markers, error bars, ticks at nice numbers, a legend).
 *
 * High level: depends on image.c and util.c only.  The callers (dbv-render)
 * turn their data into the plain arrays of struct dbv_heatmap and struct
 * dbv_linechart; everything about pixels is here, and the geometry is the
 * one man/dbv-render.1 documents (the tests measure it).
 *
 * Sizes are multiples of the text scale t (the font's pixel), so a chart
 * at t = 1 is the same chart at half the size, text included.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "draw/draw.h"

#define AXIS DBV_RGB(0x333333)  /* frames, ticks */
#define GRID DBV_RGB(0xe8e8e8)  /* grid lines */
#define NOTE DBV_RGB(0x555555)  /* notes under titles */
#define NA_CELL DBV_RGB(0xeeeeee) /* a heat map cell without a value */
#define NA_TEXT DBV_RGB(0x888888)

#define MAX_TICKS 64

/* ---- ticks ---------------------------------------------------------- */

int dbv_ticks(double lo, double hi, int target, double *t, int max,
	      double *step)
{
	static const double nice[3] = {1, 2, 5};
	double s = 0, raw, mag;
	int n = 0;

	*step = 0;
	if (!(lo < hi) || !isfinite(lo) || !isfinite(hi) || max < 1)
		return 0;
	if (target < 1)
		target = 1;
	raw = (hi - lo) / target;
	mag = pow(10, floor(log10(raw)));
	for (int k = 0; k < 4 && !s; k++)
		for (int i = 0; i < 3 && !s; i++)
			if (nice[i] * mag * pow(10, k) >= raw * (1 - 1e-9))
				s = nice[i] * mag * pow(10, k);
	const double k0 = ceil(lo / s - 1e-9), k1 = floor(hi / s + 1e-9);
	for (double k = k0; k <= k1 && n < max; k++) {
		double v = k * s;
		t[n++] = fabs(v) < s * 1e-9 ? 0 : v; /* no "-0" */
	}
	*step = s;
	return n;
}

int dbv_log_ticks(double lo, double hi, int level, double *t, int max)
{
	static const double m1[] = {1}, m2[] = {1, 2, 5},
			    m3[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	const double *m = level <= 0 ? m1 : level == 1 ? m2 : m3;
	const int nm = level <= 0 ? 1 : level == 1 ? 3 : 9;
	int n = 0;

	if (!(lo > 0) || !(lo < hi) || !isfinite(hi))
		return 0;
	for (int d = (int)floor(log10(lo)) - 1; d <= (int)ceil(log10(hi)) && n < max; d++)
		for (int i = 0; i < nm && n < max; i++) {
			/* 10^d as a literal power, so labels print exactly. */
			const double v = m[i] * pow(10, d);
			if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12))
				t[n++] = v;
		}
	return n;
}

void dbv_tick_label(double v, double step, char *buf, size_t cap)
{
	if (step > 0 && fabs(v) < 1e6 && step >= 1e-6) {
		int dec = (int)-floor(log10(step) + 1e-9);
		snprintf(buf, cap, "%.*f", dec > 0 ? dec : 0, v);
	} else {
		snprintf(buf, cap, "%g", v);
	}
}

/* ---- shared pieces -------------------------------------------------- */

static int imax(int a, int b) { return a > b ? a : b; }

/* Draw s centred on x (clamped to [lo, hi - width]) at y. */
static void text_centred(struct dbv_canvas *cv, int x, int y, const char *s,
			 int ts, struct dbv_rgb c)
{
	dbv_canvas_text(cv, x - dbv_text_width(s, ts) / 2, y, s, ts, c);
}

/* Title (and note) lines above a chart: their height. */
static int head_height(const char *title, const char *note, int ts)
{
	return (title && title[0] ? (DBV_FONT_LINE + 4) * ts : 0) +
	       (note && note[0] ? (DBV_FONT_LINE + 3) * ts : 0);
}

static int head_width(const char *title, const char *note, int ts)
{
	return imax(title ? dbv_text_width(title, ts) : 0,
		    note ? dbv_text_width(note, ts) : 0);
}

/* Title and note centred on cx (kept inside the image), from y. */
static void draw_head(struct dbv_canvas *cv, int cx, int y, const char *title,
		      const char *note, int ts, int pad)
{
	const char *line[2] = {title, note};
	dbv_canvas_group(cv, "title");
	for (int k = 0; k < 2; k++) {
		if (!line[k] || !line[k][0])
			continue;
		const int w = dbv_text_width(line[k], ts);
		int x = cx - w / 2;
		if (x + w > cv->w - pad)
			x = cv->w - pad - w;
		if (x < pad)
			x = pad;
		dbv_canvas_text(cv, x, y, line[k], ts, k ? NOTE : DBV_BLACK);
		y += (DBV_FONT_LINE + (k ? 3 : 4)) * ts;
	}
	dbv_canvas_group_end(cv);
}

static int too_big(int W, int H)
{
	if (W > DBV_IMAGE_MAX_SIDE || H > DBV_IMAGE_MAX_SIDE)
		return dbv_seterr(DBV_EUSAGE, "the chart would be %dx%d pixels, "
				  "over %d: use a smaller --size or --text-scale",
				  W, H, DBV_IMAGE_MAX_SIDE);
	return DBV_OK;
}

/* ---- heat map ------------------------------------------------------- */

void dbv_heatmap_autoscale(struct dbv_heatmap *h)
{
	double mn = INFINITY, mx = -INFINITY;
	const int n = h->n;

	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (isfinite(h->v[i * n + j]) && !(h->blank_diagonal && i == j)) {
				mn = fmin(mn, h->v[i * n + j]);
				mx = fmax(mx, h->v[i * n + j]);
			}
	if (!(mn <= mx)) {
		h->lo = 0;
		h->hi = 1;
		return;
	}
	h->lo = floor(10 * mn + 1e-9) / 10;
	h->hi = ceil(10 * mx - 1e-9) / 10;
	if (!(h->lo < h->hi)) {
		if (h->hi >= 0.1)
			h->lo = h->hi - 0.1;
		else
			h->hi = h->lo + 0.1;
	}
}

/*
 * Layout (t = text scale, c = cell pitch, g = t: the white gap):
 *
 *   pad | row labels | 6t | n*c - g matrix | 14t | frame, 8t bar, frame |
 *        3t ticks | 3t | tick labels | 6t | bar title (turned) | pad
 *
 * vertically: pad, title and note, the matrix, 6t, column labels, pad.
 */
int dbv_chart_heatmap_on(struct dbv_canvas *cv, const struct dbv_heatmap *h)
{
	const int n = h->n, t = h->ts > 0 ? h->ts : 1, pad = 10 * t, g = t;
	const int line = DBV_FONT_LINE * t;
	int c = h->cell, rlw = 0, clw = 0, turned, clh, W, H, X, Y, rc;
	int bar_w = 0, tlw = 0, nt = 0;
	double ticks[MAX_TICKS], step = 0;
	char buf[64];

	if (n < 1)
		return dbv_seterr(DBV_EUSAGE, "heat map: no rows");
	if (!(h->lo < h->hi))
		return dbv_seterr(DBV_EUSAGE, "heat map: empty colour scale "
				  "[%g, %g]", h->lo, h->hi);
	if (c <= 0) {
		c = (int)lround(480.0 / n);
		c = c < 34 * t ? 34 * t : c > 60 * t ? 60 * t : c;
	}
	if (c < g + 1)
		c = g + 1;
	const int side = n * c - g;
	for (int i = 0; i < n; i++) {
		const int w = dbv_text_width(h->labels[i], t);
		rlw = imax(rlw, w);
		clw = imax(clw, w);
	}
	/* Column labels lie flat when every one fits its column. */
	turned = clw > c - g;
	clh = clw ? (turned ? clw : line) + 6 * t : 0;
	if (h->colour_bar) {
		/* About one tick per 28t pixels, 2 to 8 of them. */
		const int target = side / (28 * t);
		nt = dbv_ticks(h->lo, h->hi, target < 2 ? 2 : target > 8 ? 8 : target,
			       ticks, MAX_TICKS, &step);
		for (int k = 0; k < nt; k++) {
			dbv_tick_label(ticks[k], step, buf, sizeof buf);
			tlw = imax(tlw, dbv_text_width(buf, t));
		}
		bar_w = 14 * t + 8 * t + 3 * t + 3 * t + tlw +
			(h->bar_label && h->bar_label[0] ? 6 * t + line : 0);
	}
	X = pad + (rlw ? rlw + 6 * t : 0);
	Y = pad + head_height(h->title, h->note, t);
	W = X + side + bar_w + pad;
	H = Y + side + clh + pad;
	/* A long title widens the chart. */
	W = imax(W, head_width(h->title, h->note, t) + 2 * pad);
	if ((rc = too_big(W, H)) || (rc = dbv_canvas_init(cv, W, H, DBV_WHITE)))
		return rc;

	dbv_canvas_group(cv, "cells");
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			const int x = X + j * c, y = Y + i * c, s = c - g;
			const double v = h->v[(size_t)i * n + j];
			struct dbv_rgb bg, fg;
			if (h->blank_diagonal && i == j)
				continue;
			if (isnan(v)) {
				bg = NA_CELL;
				fg = NA_TEXT;
				snprintf(buf, sizeof buf, "n/a");
			} else {
				bg = dbv_viridis((v - h->lo) / (h->hi - h->lo));
				fg = dbv_text_colour_on(bg);
				snprintf(buf, sizeof buf, "%.2f", v);
			}
			dbv_canvas_rect(cv, x, y, s, s, bg);
			/* The value in the text scale, or smaller, or not at
			 * all: what fits with t of room on each side. */
			for (int vs = t; vs >= 1; vs = vs > 1 ? 1 : 0) {
				const int tw = dbv_text_width(buf, vs);
				if (tw + 2 * t <= s && DBV_FONT_ASCENT * vs + 2 * t <= s) {
					dbv_canvas_text(cv, x + (s - tw) / 2,
						       y + (s - DBV_FONT_ASCENT * vs) / 2,
						       buf, vs, fg);
					break;
				}
				if (vs == 1)
					break;
			}
		}
	dbv_canvas_group_end(cv);
	/* Row labels, right-aligned; column labels below. */
	dbv_canvas_group(cv, "labels");
	for (int i = 0; i < n; i++) {
		const char *s = h->labels[i];
		const int w = dbv_text_width(s, t);
		dbv_canvas_text(cv, X - 6 * t - w,
			       Y + i * c + (c - g - DBV_FONT_ASCENT * t) / 2, s, t,
			       DBV_BLACK);
		if (turned)
			/* Reading upward, ending 6t below the matrix. */
			dbv_canvas_text_up(cv, X + i * c + (c - g - DBV_FONT_ASCENT * t) / 2,
					  Y + side + 6 * t + w, s, t, DBV_BLACK);
		else
			text_centred(cv, X + i * c + (c - g) / 2, Y + side + 6 * t, s,
				     t, DBV_BLACK);
	}
	dbv_canvas_group_end(cv);
	if (h->colour_bar) {
		/* Pixel row k (from the top) of the bar shows the value
		 * hi - k/(side - 1) * (hi - lo): its ends are the scale's. */
		const int bx = X + side + 14 * t, bw = 8 * t;
		dbv_canvas_group(cv, "colour-bar");
		dbv_canvas_ramp(cv, bx, Y, bw, side, dbv_viridis);
		dbv_canvas_frame(cv, bx - 1, Y - 1, bw + 2, side + 2, 1, AXIS);
		for (int k = 0; k < nt; k++) {
			const double f = (ticks[k] - h->lo) / (h->hi - h->lo);
			const int y = Y + (int)lround((1 - f) * (side - 1));
			dbv_canvas_rect(cv, bx + bw + 1, y, 3 * t, imax(1, t / 2), AXIS);
			dbv_tick_label(ticks[k], step, buf, sizeof buf);
			dbv_canvas_text(cv, bx + bw + 1 + 6 * t,
				       y - DBV_FONT_ASCENT * t / 2, buf, t, DBV_BLACK);
		}
		if (h->bar_label && h->bar_label[0]) {
			char s[128];
			snprintf(s, sizeof s, "%s", h->bar_label);
			dbv_text_fit(s, side, t);
			const int w = dbv_text_width(s, t);
			dbv_canvas_text_up(cv, bx + bw + 1 + 6 * t + tlw + 6 * t,
					  Y + (side + w) / 2, s, t, DBV_BLACK);
		}
		dbv_canvas_group_end(cv);
	}
	draw_head(cv, X + side / 2, pad, h->title, h->note, t, pad);
	return DBV_OK;
}

/* ---- line chart ----------------------------------------------------- */

struct axis {
	double lo, hi;  /* data values at the two ends */
	int log;
	double p0, len; /* pixel coordinate of lo, and of hi - of lo */
};

static double tr(const struct axis *a, double v)
{
	return a->log ? log10(v) : v;
}

/* Continuous pixel coordinate of v. */
static double ax_px(const struct axis *a, double v)
{
	return a->p0 + (tr(a, v) - tr(a, a->lo)) / (tr(a, a->hi) - tr(a, a->lo)) *
			       a->len;
}

/* The axis's ends: the values' range [mn, mx] (transformed) widened by
 * 5% of its length at each end; a single value v by |v|/10 (1 for 0), or
 * 0.1 decade on a log axis. */
static void ax_limits(struct axis *a, double mn, double mx)
{
	double lo = a->log ? log10(mn) : mn, hi = a->log ? log10(mx) : mx;
	if (hi - lo > 1e-12 * fmax(1, fabs(lo))) {
		const double d = 0.05 * (hi - lo);
		lo -= d;
		hi += d;
	} else {
		const double d = a->log ? 0.1 : lo != 0 ? fabs(lo) / 10 : 1;
		lo -= d;
		hi += d;
	}
	a->lo = a->log ? pow(10, lo) : lo;
	a->hi = a->log ? pow(10, hi) : hi;
}

static const enum dbv_marker series_marker[5] = {
	DBV_MARKER_CIRCLE, DBV_MARKER_SQUARE, DBV_MARKER_TRIANGLE,
	DBV_MARKER_DIAMOND, DBV_MARKER_CROSS,
};
/* Sizes relative to the circle's radius, so the five look as heavy. */
static const double series_marker_scale[5] = {1.0, 0.85, 1.35, 1.25, 1.2};

static void draw_point(struct dbv_canvas *cv, int k, double x, double y,
		       double r, int t)
{
	dbv_canvas_marker(cv, series_marker[k % 5], x, y,
			 r * series_marker_scale[k % 5], 0.6 * t,
			 dbv_palette(k), DBV_WHITE);
}

/* Ticks of an axis whose labels fit: along x, labels need their width and
 * 4t of room between them; along y, 2 lines. */
static int axis_ticks(const struct axis *a, int horizontal, int t, double *ticks,
		      double *step)
{
	char buf[64];
	int n;

	if (a->log) {
		/* The finest of 1..9 x, 1-2-5 x, 1 x the powers of ten whose
		 * labels fit (at most 10 ticks, at least 2). */
		for (int level = 2; level >= 0; level--) {
			n = dbv_log_ticks(a->lo, a->hi, level, ticks, MAX_TICKS);
			if (n < 2 || n > 10)
				continue;
			int ok = 1;
			for (int k = 1; k < n && ok; k++) {
				const double gap = fabs(ax_px(a, ticks[k]) - ax_px(a, ticks[k - 1]));
				char b2[64];
				dbv_tick_label(ticks[k], 0, buf, sizeof buf);
				dbv_tick_label(ticks[k - 1], 0, b2, sizeof b2);
				const double need = horizontal
					? (dbv_text_width(buf, t) + dbv_text_width(b2, t)) / 2.0 + 4 * t
					: 2 * DBV_FONT_LINE * t;
				ok = gap >= need;
			}
			if (ok) {
				*step = 0;
				return n;
			}
		}
		/* Too narrow for powers of ten: nice numbers, as linear. */
	}
	for (int target = 10; target >= 1; target--) {
		n = dbv_ticks(a->lo, a->hi, target, ticks, MAX_TICKS, step);
		int w = 0;
		for (int k = 0; k < n; k++) {
			dbv_tick_label(ticks[k], *step, buf, sizeof buf);
			w = imax(w, dbv_text_width(buf, t));
		}
		double gap = n > 1 ? fabs(ax_px(a, ticks[1]) - ax_px(a, ticks[0])) : 1e9;
		if (a->log)
			for (int k = 2; k < n; k++)
				gap = fmin(gap, fabs(ax_px(a, ticks[k]) - ax_px(a, ticks[k - 1])));
		if (gap >= (horizontal ? w + 4 * t : 2 * DBV_FONT_LINE * t) || target == 1)
			return n;
	}
	return 0;
}

/*
 * Layout (t = text scale; the plot area is w x h pixels with top-left
 * pixel (L, T), framed by a 1-pixel line just outside it):
 *
 *   pad | y title (turned) | 5t | y tick labels | 2t | 3t ticks | frame |
 *   plot | frame | 12t | legend | pad
 *
 * vertically: pad, title and note, 1t, frame, plot, frame, 3t ticks, 2t,
 * x tick labels, 4t, x title, pad.
 */
int dbv_chart_lines_on(struct dbv_canvas *cv, const struct dbv_linechart *c)
{
	const int t = c->ts > 0 ? c->ts : 1, pad = 10 * t, line = DBV_FONT_LINE * t;
	const int w = c->w, h = c->h;
	double xmn = INFINITY, xmx = -INFINITY, ymn = INFINITY, ymx = -INFINITY;
	double xt[MAX_TICKS], yt[MAX_TICKS], xstep = 0, ystep = 0;
	struct axis ax = {0}, ay = {0};
	int nx, ny, ytw = 0, legw = 0, legn = 0, W, H, L, T, rc;
	char buf[64];

	for (int k = 0; k < c->nseries; k++) {
		const struct dbv_series *s = &c->s[k];
		for (int i = 0; i < s->n; i++) {
			const double x = s->x[i], y = s->y[i];
			const double e = s->err && isfinite(s->err[i]) ? fabs(s->err[i]) : 0;
			if (!isfinite(x) || !isfinite(y))
				continue;
			if (c->logx && !(x > 0))
				return dbv_seterr(DBV_EUSAGE, "--logx: x = %g is not "
						  "positive", x);
			xmn = fmin(xmn, x);
			xmx = fmax(xmx, x);
			ymn = fmin(ymn, y - e);
			ymx = fmax(ymx, y + e);
		}
		if (s->label && s->label[0]) {
			legw = imax(legw, dbv_text_width(s->label, t));
			legn++;
		}
	}
	if (!(xmn <= xmx))
		return dbv_seterr(DBV_EUSAGE, "line chart: no point to draw");
	ax.log = c->logx;
	ax_limits(&ax, xmn, xmx);
	ax_limits(&ay, ymn, ymx);
	ax.len = w;
	ay.len = -h; /* y grows upward */
	/* Ticks first (their labels' width places the plot), with the plot
	 * at the origin: only distances matter. */
	ax.p0 = 0;
	ay.p0 = h;
	nx = axis_ticks(&ax, 1, t, xt, &xstep);
	ny = axis_ticks(&ay, 0, t, yt, &ystep);
	for (int k = 0; k < ny; k++) {
		dbv_tick_label(yt[k], ystep, buf, sizeof buf);
		ytw = imax(ytw, dbv_text_width(buf, t));
	}
	const int has_legend = c->legend && legn > 0;
	const int leg_w = has_legend ? 12 * t + 20 * t + 5 * t + legw : 0;
	const int has_yt = c->ylabel && c->ylabel[0], has_xt = c->xlabel && c->xlabel[0];
	L = pad + (has_yt ? line + 5 * t : 0) + ytw + 2 * t + 3 * t + 1;
	T = pad + head_height(c->title, c->note, t) + t + 1;
	W = L + w + 1 + leg_w + pad;
	H = T + h + 1 + 3 * t + 2 * t + line + (has_xt ? 4 * t + line : 0) + pad;
	if (has_legend)
		H = imax(H, T + legn * (line + 5 * t) + pad);
	/* The last x tick label may hang over the plot's right end. */
	if (nx) {
		dbv_tick_label(xt[nx - 1], xstep, buf, sizeof buf);
		W = imax(W, (int)ceil(L + ax_px(&ax, xt[nx - 1]) +
				      dbv_text_width(buf, t) / 2.0) + pad);
	}
	W = imax(W, head_width(c->title, c->note, t) + 2 * pad);
	if ((rc = too_big(W, H)) || (rc = dbv_canvas_init(cv, W, H, DBV_WHITE)))
		return rc;
	ax.p0 = L;
	ay.p0 = T + h;

	/* Grid lines at the ticks, under everything. */
	dbv_canvas_group(cv, "grid");
	for (int k = 0; k < nx; k++) {
		const int x = (int)floor(ax_px(&ax, xt[k]));
		if (x >= L && x < L + w)
			dbv_canvas_rect(cv, x, T, 1, h, GRID);
	}
	for (int k = 0; k < ny; k++) {
		const int y = (int)floor(ax_px(&ay, yt[k]));
		if (y >= T && y < T + h)
			dbv_canvas_rect(cv, L, y, w, 1, GRID);
	}
	dbv_canvas_group_end(cv);
	/* Error bars, then lines, then markers, series by series in order
	 * (a later series on top). */
	dbv_canvas_group(cv, "series");
	const double r = 3.5 * t, lw = 1.25 * t, ew = t, cap = 3 * t;
	for (int k = 0; k < c->nseries; k++) {
		const struct dbv_series *s = &c->s[k];
		const struct dbv_rgb col = dbv_palette(k);
		for (int i = 0; s->err && i < s->n; i++) {
			const double e = fabs(s->err[i]);
			if (!isfinite(s->x[i]) || !isfinite(s->y[i]) || !(e > 0) || !isfinite(e))
				continue;
			const double X = ax_px(&ax, s->x[i]);
			const double y0 = ax_px(&ay, s->y[i] - e), y1 = ax_px(&ay, s->y[i] + e);
			dbv_canvas_stroke(cv, X, y0, X, y1, ew, col);
			dbv_canvas_stroke(cv, X - cap, y0, X + cap, y0, ew, col);
			dbv_canvas_stroke(cv, X - cap, y1, X + cap, y1, ew, col);
		}
		for (int i = 1; i < s->n; i++) {
			if (!isfinite(s->x[i - 1]) || !isfinite(s->y[i - 1]) ||
			    !isfinite(s->x[i]) || !isfinite(s->y[i]))
				continue;
			dbv_canvas_stroke(cv, ax_px(&ax, s->x[i - 1]), ax_px(&ay, s->y[i - 1]),
					 ax_px(&ax, s->x[i]), ax_px(&ay, s->y[i]), lw, col);
		}
		for (int i = 0; i < s->n; i++)
			if (isfinite(s->x[i]) && isfinite(s->y[i]))
				draw_point(cv, k, ax_px(&ax, s->x[i]), ax_px(&ay, s->y[i]), r, t);
	}
	dbv_canvas_group_end(cv);
	/* Frame, ticks (outward) and their labels. */
	dbv_canvas_group(cv, "axes");
	dbv_canvas_frame(cv, L - 1, T - 1, w + 2, h + 2, 1, AXIS);
	for (int k = 0; k < nx; k++) {
		const int x = (int)floor(ax_px(&ax, xt[k]));
		dbv_canvas_rect(cv, x, T + h + 1, imax(1, t / 2), 3 * t, AXIS);
		dbv_tick_label(xt[k], xstep, buf, sizeof buf);
		text_centred(cv, x, T + h + 1 + 5 * t, buf, t, DBV_BLACK);
	}
	for (int k = 0; k < ny; k++) {
		const int y = (int)floor(ax_px(&ay, yt[k]));
		dbv_canvas_rect(cv, L - 1 - 3 * t, y, 3 * t, imax(1, t / 2), AXIS);
		dbv_tick_label(yt[k], ystep, buf, sizeof buf);
		dbv_canvas_text(cv, L - 1 - 5 * t - dbv_text_width(buf, t),
			       y - DBV_FONT_ASCENT * t / 2, buf, t, DBV_BLACK);
	}
	if (has_xt)
		text_centred(cv, L + w / 2, T + h + 1 + 5 * t + line + 4 * t, c->xlabel,
			     t, DBV_BLACK);
	if (has_yt) {
		char s[256];
		snprintf(s, sizeof s, "%s", c->ylabel);
		dbv_text_fit(s, h, t);
		dbv_canvas_text_up(cv, pad, T + (h + dbv_text_width(s, t)) / 2, s, t,
				  DBV_BLACK);
	}
	dbv_canvas_group_end(cv);
	if (has_legend) {
		int x = L + w + 1 + 12 * t, y = T;
		dbv_canvas_group(cv, "legend");
		for (int k = 0; k < c->nseries; k++) {
			const char *s = c->s[k].label;
			if (!s || !s[0])
				continue;
			const double my = y + DBV_FONT_ASCENT * t / 2.0 + t;
			dbv_canvas_stroke(cv, x, my, x + 20 * t, my, lw, dbv_palette(k));
			draw_point(cv, k, x + 10 * t, my, r, t);
			dbv_canvas_text(cv, x + 25 * t, y + t, s, t, DBV_BLACK);
			y += line + 5 * t;
		}
		dbv_canvas_group_end(cv);
	}
	draw_head(cv, L + w / 2, pad, c->title, c->note, t, pad);
	return DBV_OK;
}

/* ---- points of a line chart ----------------------------------------- */

int dbv_chart_key_cmp(const struct dbv_chart_key *a, const struct dbv_chart_key *b)
{
	if (a->num != b->num)
		return a->num ? -1 : 1;
	if (a->num)
		return (a->d > b->d) - (a->d < b->d);
	return strcmp(a->s, b->s);
}

static int cmp_double_asc(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void dbv_chart_points_release(struct dbv_chart_points *p)
{
	free(p->line_item);
	free(p->first);
	free(p->x);
	free(p->start);
	free(p->items);
	memset(p, 0, sizeof *p);
}

/* key[i], or the one key of items without keys. */
static const struct dbv_chart_key *key_of(const struct dbv_chart_key *key, int i)
{
	static const struct dbv_chart_key none;
	return key ? &key[i] : &none;
}

int dbv_chart_points(int n, const double *x, const struct dbv_chart_key *key,
		     struct dbv_chart_points *p)
{
	double *xs;
	int nl = 0, np = 0, m = 0;

	memset(p, 0, sizeof *p);
	if (n < 1)
		return dbv_seterr(DBV_EUSAGE, "line chart: no items");
	p->line_item = dbv_malloc((size_t)n * sizeof *p->line_item);
	p->first = dbv_malloc(((size_t)n + 1) * sizeof *p->first);
	p->x = dbv_malloc((size_t)n * sizeof *p->x);
	p->start = dbv_malloc(((size_t)n + 1) * sizeof *p->start);
	p->items = dbv_malloc((size_t)n * sizeof *p->items);
	xs = dbv_malloc((size_t)n * sizeof *xs);
	if (!p->line_item || !p->first || !p->x || !p->start || !p->items || !xs) {
		free(xs);
		dbv_chart_points_release(p);
		return DBV_EIO;
	}
	/* The lines: the distinct keys in key order (numbers before
	 * strings). */
	for (int i = 0; i < n; i++) {
		int k = 0;
		while (k < nl && dbv_chart_key_cmp(key_of(key, p->line_item[k]),
						   key_of(key, i)))
			k++;
		if (k == nl)
			p->line_item[nl++] = i;
	}
	for (int a = 1; a < nl; a++)
		for (int b = a; b > 0 && dbv_chart_key_cmp(key_of(key, p->line_item[b - 1]),
							   key_of(key, p->line_item[b])) > 0; b--) {
			const int tmp = p->line_item[b];
			p->line_item[b] = p->line_item[b - 1];
			p->line_item[b - 1] = tmp;
		}
	/* A line's points: its items' distinct x, ascending, each with its
	 * items (ascending). */
	for (int l = 0; l < nl; l++) {
		const struct dbv_chart_key *lk = key_of(key, p->line_item[l]);
		int nx = 0;
		p->first[l] = np;
		for (int i = 0; i < n; i++)
			if (!dbv_chart_key_cmp(key_of(key, i), lk))
				xs[nx++] = x[i];
		qsort(xs, (size_t)nx, sizeof *xs, cmp_double_asc);
		for (int a = 0; a < nx; a++) {
			if (a && xs[a] == xs[a - 1])
				continue;
			p->x[np] = xs[a];
			p->start[np] = m;
			for (int i = 0; i < n; i++)
				if (x[i] == xs[a] && !dbv_chart_key_cmp(key_of(key, i), lk))
					p->items[m++] = i;
			np++;
		}
	}
	p->first[nl] = np;
	p->start[np] = m;
	p->nlines = nl;
	p->npoints = np;
	free(xs);
	return DBV_OK;
}

int dbv_chart_point_lines_on(struct dbv_canvas *cv,
			     const struct dbv_linechart *c,
			     const struct dbv_chart_points *p, const double *y,
			     const double *err, const char *by,
			     const struct dbv_chart_key *key)
{
	const size_t nl = p->nlines > 0 ? (size_t)p->nlines : 1;
	struct dbv_series *ser = dbv_calloc(nl, sizeof *ser);
	char (*lab)[160] = dbv_calloc(nl, sizeof *lab);
	struct dbv_linechart lc = *c;
	int rc = ser && lab ? DBV_OK : DBV_EIO;

	for (int l = 0; l < p->nlines && !rc; l++) {
		const int k = p->first[l];
		ser[l] = (struct dbv_series){
			.x = p->x + k, .y = y + k, .err = err ? err + k : NULL,
			.n = p->first[l + 1] - k,
		};
		if (by) {
			snprintf(lab[l], sizeof lab[l], "%s = %s", by,
				 key_of(key, p->line_item[l])->s);
			ser[l].label = lab[l];
		}
	}
	lc.s = ser;
	lc.nseries = p->nlines;
	if (!rc)
		rc = dbv_chart_lines_on(cv, &lc);
	free(ser);
	free(lab);
	return rc;
}

/* ---- on images ------------------------------------------------------ */

int dbv_chart_heatmap(struct dbv_image *im, const struct dbv_heatmap *h)
{
	struct dbv_canvas cv = {0};
	return dbv_canvas_to_image(&cv, dbv_chart_heatmap_on(&cv, h), im);
}

int dbv_chart_lines(struct dbv_image *im, const struct dbv_linechart *c)
{
	struct dbv_canvas cv = {0};
	return dbv_canvas_to_image(&cv, dbv_chart_lines_on(&cv, c), im);
}

int dbv_chart_point_lines(struct dbv_image *im, const struct dbv_linechart *c,
			  const struct dbv_chart_points *p, const double *y,
			  const double *err, const char *by,
			  const struct dbv_chart_key *key)
{
	struct dbv_canvas cv = {0};
	return dbv_canvas_to_image(&cv, dbv_chart_point_lines_on(&cv, c, p, y, err,
								  by, key), im);
}
