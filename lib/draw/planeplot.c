/*
 * planeplot.c - pictures of a plane's decision regions, alone or in a
 * montage, from plain arrays (struct dbv_planepic): the plot, the anchor
 * markers and thumbnails, the title, row and column labels, the legend.
 *
 * The picture of one plane (S = the plot side, t = the text scale):
 *
 *      +------------------------------------------------------+
 *      |                title (centred on the plot)           |
 *      |  +-----------------+   Predicted class               |
 *      |  | S x S pixels:   |   [#] 3 Dress           41%     |
 *      |  | grid point      |   [#] 8 Bag             59%     |
 *      |  | (i, j) fills    |   paler: less confident         |
 *      |  | the block of    |                                 |
 *      |  | pixels nearest  |   Anchors                       |
 *      |  | to it; i grows  |   (o) x1: Bag #30               |
 *      |  | upward          |   /_\ x2: Dress #72             |
 *      |  +-----------------+   (x) x3: Sandal #42            |
 *      +------------------------------------------------------+
 *
 * An anchor at (x, y) grid units sits at px = x*S/res, py = S - y*S/res
 * (continuous pixel coordinates), so one placed by dbv_planeplot_place
 * is centred on the block of the grid point it falls on.  A montage is a
 * grid of such plots (labels left of the rows and above the columns) with
 * the legend below.  man/dbv-render.1 documents the geometry.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw/draw.h"

int dbv_planeplot_side(int res, int montage)
{
	const int base = montage ? 250 : 500;
	if (res >= base)
		return res > DBV_PLANEPLOT_MAX_SIDE ? DBV_PLANEPLOT_MAX_SIDE : res;
	return res * ((base + res - 1) / res);
}

void dbv_planeplot_place(const double range[4], int res, double x, double y,
			 double at[2])
{
	const double fx = (x - range[0]) / (range[1] - range[0]);
	const double fy = (y - range[2]) / (range[3] - range[2]);
	at[0] = fx * (res - 1) + 0.5;
	at[1] = fy * (res - 1) + 0.5;
}

/* ---- the plot ------------------------------------------------------- */

struct marks {
	double x[3], y[3]; /* canvas coordinates of the anchors */
	double r, ow;      /* circle radius, outline width */
};

static const enum dbv_marker anchor_marker[3] = {
	DBV_MARKER_CIRCLE, DBV_MARKER_TRIANGLE, DBV_MARKER_CROSS,
};
/* Sizes relative to the circle's radius, so the three look as heavy. */
static const double marker_scale[3] = {1.0, 1.3, 1.15};

static void draw_marker(struct dbv_canvas *cv, int k, double x, double y,
			double r, double ow)
{
	dbv_canvas_marker(cv, anchor_marker[k], x, y, r * marker_scale[k], ow,
			 DBV_WHITE, DBV_BLACK);
}

/* Pixel i of the anchor images. */
static uint8_t image_at(const struct dbv_planeplot *p, size_t i)
{
	if (p->images)
		return p->images[i];
	/* Noise anchors may leave 0..255: clamp (NaN to 0). */
	const float v = p->images_f32[i];
	return (uint8_t)(v > 0 ? (v < 255 ? lrintf(v) : 255) : 0);
}

/* A thumbnail of anchor k beside its marker, inside the plot if it can
 * be, not over the other markers. */
static void draw_thumb(struct dbv_canvas *cv, const struct dbv_planeplot *p,
		       int k, const struct marks *m, int ox, int oy, int S,
		       struct dbv_image *th)
{
	const int big = p->h > p->w ? p->h : p->w;
	const int f = S / 7 / big > 1 ? S / 7 / big : 1;
	const int tw = p->w * f, tht = p->h * f;
	const double d = m->r * 1.4 + m->ow + 3;
	const double cand[4][2] = {
		{m->x[k] + d, m->y[k] - d - tht}, {m->x[k] - d - tw, m->y[k] - d - tht},
		{m->x[k] + d, m->y[k] + d}, {m->x[k] - d - tw, m->y[k] + d},
	};
	int best = 0;
	double best_score = -1e18;

	for (int c = 0; c < 4; c++) {
		const double x0 = cand[c][0], y0 = cand[c][1];
		/* Area inside the plot, less a penalty for covering another
		 * marker. */
		double ix = fmin(x0 + tw, ox + S) - fmax(x0, ox);
		double iy = fmin(y0 + tht, oy + S) - fmax(y0, oy);
		double score = (ix > 0 && iy > 0 ? ix * iy : 0);
		for (int q = 0; q < 3; q++) {
			const double rr = m->r * 1.4 + m->ow;
			if (q != k && m->x[q] + rr > x0 && m->x[q] - rr < x0 + tw &&
			    m->y[q] + rr > y0 && m->y[q] - rr < y0 + tht)
				score -= (double)tw * tht / 2;
		}
		if (score > best_score + 0.5) {
			best_score = score;
			best = c;
		}
	}
	/* Then pushed inside the plot, frame included, where it fits (the
	 * markers are drawn after it, on top).  An anchor far off the plot
	 * (coordinates near 1e300) is first brought within an int. */
	int x0 = (int)lround(fmax(fmin(cand[best][0], 1e9), -1e9));
	int y0 = (int)lround(fmax(fmin(cand[best][1], 1e9), -1e9));
	if (tw + 4 <= S)
		x0 = x0 < ox + 2 ? ox + 2 : x0 > ox + S - tw - 2 ? ox + S - tw - 2 : x0;
	if (tht + 4 <= S)
		y0 = y0 < oy + 2 ? oy + 2 : y0 > oy + S - tht - 2 ? oy + S - tht - 2 : y0;
	const size_t hw = (size_t)p->h * p->w, a = (size_t)k * p->c * hw;
	for (int y = 0; y < p->h; y++)
		for (int x = 0; x < p->w; x++) {
			const size_t i = a + (size_t)y * p->w + x;
			struct dbv_rgb c;
			c.r = image_at(p, i);
			c.g = p->c >= 3 ? image_at(p, hw + i) : c.r;
			c.b = p->c >= 3 ? image_at(p, 2 * hw + i) : c.r;
			dbv_image_set(th, x, y, c);
		}
	dbv_canvas_frame(cv, x0 - 2, y0 - 2, tw + 4, tht + 4, 2, DBV_BLACK);
	dbv_canvas_blit(cv, x0, y0, tw, tht, th);
}

/* Draw plane p on cv with the plot's top-left pixel at (ox, oy). */
static int draw_plot(struct dbv_canvas *cv, int ox, int oy, int S,
		     const struct dbv_planeplot *p)
{
	struct dbv_image grid, th;
	struct marks m;
	const int res = p->res;
	int rc;

	/* The grid as an image, row res-1 (highest y) at the top. */
	double limit[DBV_PALETTE_SIZE];
	if (p->conf)
		for (int k = 0; k < DBV_PALETTE_SIZE; k++)
			limit[k] = dbv_shade_limit(k);
	if ((rc = dbv_image_init(&grid, res, res, DBV_WHITE)))
		return rc;
	for (int i = 0; i < res; i++) {
		uint8_t *row = grid.rgb + (size_t)(res - 1 - i) * res * 3;
		for (int j = 0; j < res; j++) {
			const size_t at = (size_t)i * res + j;
			struct dbv_rgb c = dbv_palette(p->labels[at]);
			if (p->conf)
				c = dbv_shade(c, limit[p->labels[at] % DBV_PALETTE_SIZE],
					      p->conf[at]);
			row[3 * j] = c.r;
			row[3 * j + 1] = c.g;
			row[3 * j + 2] = c.b;
		}
	}
	dbv_canvas_blit(cv, ox, oy, S, S, &grid);
	dbv_image_release(&grid);

	m.r = fmin(fmax(S / 42.0, 4.5), 14);
	m.ow = fmax(1.5, m.r * 0.2);
	for (int k = 0; k < 3; k++) {
		m.x[k] = ox + p->at[k][0] * S / res;
		m.y[k] = oy + S - p->at[k][1] * S / res;
	}
	if (p->images || p->images_f32) {
		if ((rc = dbv_image_init(&th, p->w, p->h, DBV_WHITE)))
			return rc;
		for (int k = 0; k < 3; k++)
			draw_thumb(cv, p, k, &m, ox, oy, S, &th);
		dbv_image_release(&th);
	}
	for (int k = 0; k < 3; k++)
		draw_marker(cv, k, m.x[k], m.y[k], m.r, m.ow);
	return DBV_OK;
}

/* ---- the legend ----------------------------------------------------- */

/*
 * A list of items (a class swatch or an anchor marker with text, a
 * heading, a note), laid out in columns of equal width that wrap at
 * max_w.  Measuring and drawing share one walk (cv NULL: measure).
 */
enum { IT_CLASS, IT_ANCHOR, IT_HEAD, IT_NOTE };
struct item {
	int kind;
	int64_t k;        /* class or anchor number */
	char text[160];
	char right[16];   /* share of the plane, right-aligned */
};
struct legend {
	struct item *it;
	size_t n, cap;
};

static int legend_add(struct legend *l, int kind, int64_t k, const char *text,
		      const char *right)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? 2 * l->cap : 32;
		struct item *v = dbv_realloc(l->it, nc * sizeof *v);
		if (!v)
			return DBV_EIO;
		l->it = v;
		l->cap = nc;
	}
	struct item *it = &l->it[l->n++];
	it->kind = kind;
	it->k = k;
	snprintf(it->text, sizeof it->text, "%s", text);
	snprintf(it->right, sizeof it->right, "%s", right ? right : "");
	return DBV_OK;
}

static const char *class_name(const struct dbv_planepic *p, int64_t k,
			      char *buf, size_t cap)
{
	if (p->names && k >= 0 && k < p->classes)
		return p->names[k];
	snprintf(buf, cap, "%lld", (long long)k);
	return buf;
}

/* The share of each class < 256 in the plot, in percent ("<1%" for a
 * trace), into right[k]. */
static void class_shares(const struct dbv_planeplot *p, char (*right)[16])
{
	const size_t n = (size_t)p->res * p->res;
	double share[256] = {0};
	for (size_t i = 0; i < n; i++)
		if (p->labels[i] < 256)
			share[p->labels[i]] += 1.0 / (double)n;
	for (int k = 0; k < 256; k++) {
		const double s = share[k] * 100;
		if (s > 0 && s < 1)
			snprintf(right[k], sizeof right[k], "<1%%");
		else
			snprintf(right[k], sizeof right[k], "%.0f%%", s);
	}
}

/* The anchors of p (the first cell): "x1: Bag #30", "x2: 3 (true 5)". */
static int legend_anchors(struct legend *l, const struct dbv_planepic *pic,
			  const struct dbv_planeplot *p)
{
	char buf[200];
	int rc = DBV_OK;
	for (int k = 0; k < 3 && !rc; k++) {
		char n1[32], n2[32], idx[32] = "";
		const char *yn = p->y[k] >= 0 && p->y[k] < pic->classes
					 ? class_name(pic, p->y[k], n1, sizeof n1)
					 : "?";
		if (p->idx[k] >= 0)
			snprintf(idx, sizeof idx, " #%lld", (long long)p->idx[k]);
		if (p->y[k] != p->y_true[k]) {
			const char *tn = p->y_true[k] >= 0 && p->y_true[k] < pic->classes
						 ? class_name(pic, p->y_true[k], n2, sizeof n2)
						 : "?";
			snprintf(buf, sizeof buf, "x%d: %s (true %s)%s", k + 1, yn,
				 tn, idx);
		} else {
			snprintf(buf, sizeof buf, "x%d: %s%s", k + 1, yn, idx);
		}
		rc = legend_add(l, IT_ANCHOR, k, buf, NULL);
	}
	return rc;
}

/* Every class of the data set (classes 0 .. p->classes - 1, in class
 * order, so that the legends of one data set's figures match; only those
 * present when there are over DBV_PLANEPIC_LEGEND_ALL) and any other
 * class present in a cell, with their share when one cell; the shading
 * note; the anchors of the first cell. */
static int legend_build(struct legend *l, const struct dbv_planepic *p)
{
	char buf[200], num[32], (*right)[16] = NULL;
	const int64_t all = p->classes <= DBV_PLANEPIC_LEGEND_ALL ? p->classes : 0;
	int64_t maxc = all > 0 ? all : 0;
	int shaded = 0, rc;

	for (int q = 0; q < p->n; q++) {
		const struct dbv_planeplot *c = p->cells[q];
		if (!c)
			continue;
		shaded |= c->conf != NULL;
		for (size_t i = 0; i < (size_t)c->res * c->res; i++)
			if (c->labels[i] >= maxc)
				maxc = c->labels[i] + 1;
	}
	unsigned char *present = dbv_calloc((size_t)maxc + 1, 1);
	if (!present)
		return DBV_EIO;
	if (p->n == 1 && !(right = dbv_malloc(256 * sizeof *right))) {
		free(present);
		return DBV_EIO;
	}
	for (int q = 0; q < p->n; q++)
		if (p->cells[q])
			for (size_t i = 0; i < (size_t)p->cells[q]->res * p->cells[q]->res; i++)
				present[p->cells[q]->labels[i]] = 1;
	if (right)
		class_shares(p->cells[0], right);
	rc = legend_add(l, IT_HEAD, 0, "Predicted class", NULL);
	for (int64_t k = 0; k < maxc && !rc; k++) {
		if (!present[k] && k >= all)
			continue;
		snprintf(buf, sizeof buf, "%lld %s", (long long)k,
			 class_name(p, k, num, sizeof num));
		rc = legend_add(l, IT_CLASS, k, buf, right && k < 256 ? right[k] : "");
	}
	free(present);
	free(right);
	if (!rc && shaded)
		rc = legend_add(l, IT_NOTE, 0, "paler: less confident", NULL);
	if (!rc)
		rc = legend_add(l, IT_HEAD, 0, "Anchors", NULL);
	return rc ? rc : legend_anchors(l, p, p->cells[0]);
}

/*
 * Lay out (and with cv, draw) the legend at (x, y), items in columns of
 * one width wrapping at max_w (at least one column).  Returns the height;
 * *wout gets the width used.
 */
static int legend_walk(struct dbv_canvas *cv, const struct legend *l, int x,
		       int y, int max_w, int ts, int *wout)
{
	const int lh = (DBV_FONT_LINE + 3) * ts, icon = 9 * ts, gap = 5 * ts;
	int tw = 0, rw = 0, cw, cx = 0, cy = 0, used = 0, in_row = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct item *it = &l->it[i];
		const int w = dbv_text_width(it->text, ts);
		if (it->kind == IT_CLASS || it->kind == IT_ANCHOR) {
			tw = w > tw ? w : tw;
			const int r = dbv_text_width(it->right, ts);
			rw = r > rw ? r : rw;
		}
	}
	cw = icon + gap + tw + (rw ? 3 * DBV_FONT_ADVANCE * ts + rw : 0) + 4 * gap;
	for (size_t i = 0; i < l->n; i++) {
		const struct item *it = &l->it[i];
		const int w = dbv_text_width(it->text, ts);
		if (it->kind == IT_HEAD || it->kind == IT_NOTE) {
			/* On a line of its own (a little space above a head). */
			if (in_row)
				cy += lh;
			if (it->kind == IT_HEAD && i > 0)
				cy += lh / 2;
			if (cv)
				dbv_canvas_text(cv, x, y + cy + ts, it->text, ts,
					       it->kind == IT_HEAD ? DBV_BLACK
								   : DBV_RGB(0x555555));
			used = w > used ? w : used;
			cy += lh;
			cx = 0;
			in_row = 0;
			continue;
		}
		if (in_row && cx + cw - 4 * gap > max_w) {
			cy += lh;
			cx = 0;
			in_row = 0;
		}
		if (cv) {
			const int ix = x + cx, iy = y + cy + ts;
			/* The icon centred on the capitals' middle. */
			const double mx = ix + icon / 2.0, my = iy + 3.5 * ts;
			if (it->kind == IT_CLASS) {
				dbv_canvas_rect(cv, ix, (int)lround(my - icon / 2.0),
						    icon, icon, dbv_palette(it->k));
				dbv_canvas_frame(cv, ix, (int)lround(my - icon / 2.0),
						icon, icon, 1, DBV_RGB(0x333333));
			} else {
				const double r = icon * 0.36;
				draw_marker(cv, (int)it->k, mx, my, r,
					    fmax(1.2, r * 0.2));
			}
			dbv_canvas_text(cv, ix + icon + gap, iy, it->text, ts,
				       DBV_BLACK);
			if (it->right[0])
				dbv_canvas_text(cv, ix + cw - 4 * gap -
						       dbv_text_width(it->right, ts),
					       iy, it->right, ts, DBV_BLACK);
		}
		const int right = cx + cw - 4 * gap;
		used = right > used ? right : used;
		cx += cw;
		in_row = 1;
	}
	if (in_row)
		cy += lh;
	*wout = used;
	return cy;
}

/* ---- the picture ---------------------------------------------------- */

static int check_pic(const struct dbv_planepic *p)
{
	if (p->n < 1 || p->n > DBV_IMAGE_MAX_SIDE || p->cols < 1 || p->cols > p->n)
		return dbv_seterr(DBV_EUSAGE, "plane picture: %d plots in %d "
				  "columns", p->n, p->cols);
	if (!p->cells || !p->cells[0])
		return dbv_seterr(DBV_EUSAGE, "plane picture: no first plot");
	if (p->size < 0 || p->size > DBV_IMAGE_MAX_SIDE || p->ts < 0 ||
	    p->ts > DBV_PLANEPLOT_MAX_TS)
		return dbv_seterr(DBV_EUSAGE, "plane picture: plot side %d or text "
				  "scale %d out of range", p->size, p->ts);
	for (int q = 0; q < p->n; q++) {
		const struct dbv_planeplot *c = p->cells[q];
		if (!c)
			continue;
		if (c->res < 1 || c->res > DBV_IMAGE_MAX_SIDE || !c->labels)
			return dbv_seterr(DBV_EUSAGE, "plane picture: plot %d has "
					  "res %d", q, c->res);
		if ((c->images || c->images_f32) && (c->c < 1 || c->c > 4 ||
		    c->h < 1 || c->w < 1 || c->h > DBV_IMAGE_MAX_SIDE ||
		    c->w > DBV_IMAGE_MAX_SIDE))
			return dbv_seterr(DBV_EUSAGE, "plane picture: anchor images "
					  "of %d channels, %dx%d pixels", c->c,
					  c->w, c->h);
		for (size_t i = 0; i < (size_t)c->res * c->res; i++)
			if (c->labels[i] < 0)
				return dbv_seterr(DBV_EUSAGE, "plane picture: label "
						  "%d", c->labels[i]);
	}
	return DBV_OK;
}

void dbv_planepic_title(const struct dbv_planepic *p, char *buf, size_t cap)
{
	const struct dbv_planeplot *c = p->cells[0];
	const int model = c->model && c->model[0], seed = c->seed && c->seed[0];
	char what[96], anchors[3][64];

	if (p->bare || p->title) {
		snprintf(buf, cap, "%s", p->bare ? "" : p->title);
		return;
	}
	/* What the picture shows: the data set (else the plane's number)
	 * and the three anchors, "#30 Bag" (a noise anchor: its class). */
	if (p->data && p->data[0])
		snprintf(what, sizeof what, "%s", p->data);
	else
		snprintf(what, sizeof what, "plane %lld", (long long)c->plane);
	for (int k = 0; k < 3; k++) {
		char num[32], idx[32] = "";
		const char *name = c->y[k] >= 0 && c->y[k] < p->classes
					   ? class_name(p, c->y[k], num, sizeof num)
					   : "?";
		if (c->idx[k] >= 0)
			snprintf(idx, sizeof idx, "#%lld ", (long long)c->idx[k]);
		snprintf(anchors[k], sizeof anchors[k], "%s%s", idx, name);
	}
	if (p->montage || !model)
		snprintf(buf, cap, "%s: %s, %s, %s", what, anchors[0], anchors[1],
			 anchors[2]);
	else
		snprintf(buf, cap, "%s%s%s, %s: %s, %s, %s", c->model,
			 seed ? " " : "", seed ? c->seed : "", what, anchors[0],
			 anchors[1], anchors[2]);
}

/* The seed (else the model) shared by the cells q0, q0 + step, ... (at
 * most count; blank ones skipped): "" when none is known, NULL when they
 * differ. */
static const char *shared_label(const struct dbv_planepic *p, int q0,
				int step, int count, int seed)
{
	const char *l = NULL;
	for (int q = q0, i = 0; i < count && q < p->n; q += step, i++) {
		const struct dbv_planeplot *c = p->cells[q];
		const char *s = !c ? NULL : seed ? c->seed : c->model;
		if (!c)
			continue;
		if (l && strcmp(l, s ? s : ""))
			return NULL;
		l = s ? s : "";
	}
	return l ? l : "";
}

/* Montage labels: given, or what the cells of row r (the seed) / of
 * column k (the model) share; "" when they differ, and then every cell
 * carries its own (cell_labels). */
static const char *row_label(const struct dbv_planepic *p, int r)
{
	const char *l = shared_label(p, r * p->cols, 1, p->cols, 1);
	return p->row_labels ? p->row_labels[r] : l ? l : "";
}

static const char *col_label(const struct dbv_planepic *p, int k)
{
	const char *l = shared_label(p, k, p->cols, p->n, 0);
	return p->col_labels ? p->col_labels[k] : l ? l : "";
}

/* Whether an automatic row or column label would not hold for every cell
 * it labels (a row of seeds 0 and 1): then each cell is labelled above
 * itself with its model and seed. */
static int cell_labels(const struct dbv_planepic *p)
{
	const int rows = (p->n + p->cols - 1) / p->cols;
	for (int r = 0; r < rows && !p->row_labels; r++)
		if (!shared_label(p, r * p->cols, 1, p->cols, 1))
			return 1;
	for (int k = 0; k < p->cols && !p->col_labels; k++)
		if (!shared_label(p, k, p->cols, p->n, 0))
			return 1;
	return 0;
}

/* Title, column and row labels (montage) of a picture laid out. */
static void draw_texts(struct dbv_canvas *cv, const struct dbv_planepic *p,
		       int S, int ts, int margin, int gap, int gx, int gy,
		       int grid_w, int rlw, int clh, int cap)
{
	const int rows = (p->n + p->cols - 1) / p->cols;
	char t[512];
	dbv_planepic_title(p, t, sizeof t);
	if (t[0]) {
		/* A long title in smaller text before it is shortened. */
		int s = ts;
		while (s > 1 && dbv_text_width(t, s) > cv->w - 2 * margin)
			s--;
		dbv_text_fit(t, cv->w - 2 * margin, s);
		int tx = gx + (grid_w - dbv_text_width(t, s)) / 2;
		if (tx + dbv_text_width(t, s) > cv->w - margin)
			tx = cv->w - margin - dbv_text_width(t, s);
		dbv_canvas_group(cv, "title");
		dbv_canvas_text(cv, tx < margin ? margin : tx, margin, t, s,
				DBV_BLACK);
		dbv_canvas_group_end(cv);
	}
	if (p->bare || !p->montage)
		return;
	dbv_canvas_group(cv, "labels");
	for (int c = 0; c < p->cols; c++) {
		snprintf(t, 256, "%s", col_label(p, c));
		dbv_text_fit(t, S, ts);
		dbv_canvas_text(cv, gx + c * (S + gap) + (S - dbv_text_width(t, ts)) / 2,
			       gy - cap - clh, t, ts, DBV_BLACK);
	}
	for (int r = 0; r < rows; r++)
		dbv_canvas_text(cv, gx - rlw, gy + r * (S + gap + cap) + S / 2 -
					     DBV_FONT_ASCENT * ts / 2,
			       row_label(p, r), ts, DBV_BLACK);
	for (int q = 0; cap && q < p->n; q++) {
		const struct dbv_planeplot *c = p->cells[q];
		if (!c)
			continue;
		snprintf(t, sizeof t, "%s%s%s", c->model ? c->model : "",
			 c->model && c->model[0] && c->seed && c->seed[0] ? " " : "",
			 c->seed ? c->seed : "");
		dbv_text_fit(t, S, ts);
		dbv_canvas_text(cv, gx + q % p->cols * (S + gap) +
				   (S - dbv_text_width(t, ts)) / 2,
			       gy + q / p->cols * (S + gap + cap) - cap, t, ts,
			       DBV_BLACK);
	}
	dbv_canvas_group_end(cv);
}

int dbv_planepic_draw_on(struct dbv_canvas *cv, const struct dbv_planepic *p)
{
	int rc = check_pic(p);
	if (rc)
		return rc;
	const int cols = p->cols, rows = (p->n + cols - 1) / cols;
	const int S = p->size ? p->size
			      : dbv_planeplot_side(p->cells[0]->res, p->montage);
	const int ts = p->ts ? p->ts : S >= 200 ? 2 : 1;
	const int margin = p->bare ? 0 : 10 * ts;
	const int gap = p->bare ? 4 : 10 * ts;
	struct legend leg = {0};
	int rlw = 0, clh = 0, cap = 0, th = 0, lw = 0, lh = 0, W, H, gx, gy;
	char title[512];

	dbv_planepic_title(p, title, sizeof title);
	if (title[0])
		th = (DBV_FONT_LINE + 4) * ts;
	if (!p->bare && p->montage) {
		for (int r = 0; r < rows; r++) {
			const int w = dbv_text_width(row_label(p, r), ts);
			rlw = w > rlw ? w : rlw;
		}
		if (rlw)
			rlw += 8 * ts;
		for (int c = 0; c < cols; c++)
			if (col_label(p, c)[0])
				clh = (DBV_FONT_LINE + 5) * ts;
		/* Cell labels: a line above every row of cells. */
		if (cell_labels(p))
			cap = (DBV_FONT_LINE + 5) * ts;
	}
	const int grid_w = cols * S + (cols - 1) * gap;
	const int grid_h = rows * S + (rows - 1) * (gap + cap);
	gx = margin + rlw;
	gy = margin + th + clh + cap;
	W = gx + grid_w + margin;
	H = gy + grid_h + margin;
	if (p->legend && !p->bare) {
		if ((rc = legend_build(&leg, p))) {
			free(leg.it);
			return rc;
		}
		if (p->montage) {
			lh = legend_walk(NULL, &leg, 0, 0, grid_w, ts, &lw);
			if (margin + lw + margin > W)
				W = margin + lw + margin;
			H += 6 * ts + lh;
		} else {
			lh = legend_walk(NULL, &leg, 0, 0, 0, ts, &lw);
			W += lw + margin;
			if (gy + lh + margin > H)
				H = gy + lh + margin;
		}
	}
	if (W > DBV_IMAGE_MAX_SIDE || H > DBV_IMAGE_MAX_SIDE) {
		free(leg.it);
		return dbv_seterr(DBV_EUSAGE, "the picture would be %dx%d pixels, "
				  "over %d: use a smaller --size or fewer --cols",
				  W, H, DBV_IMAGE_MAX_SIDE);
	}
	if ((rc = dbv_canvas_init(cv, W, H, DBV_WHITE))) {
		free(leg.it);
		return rc;
	}
	for (int q = 0; q < p->n && !rc; q++) {
		const int x = gx + (q % cols) * (S + gap);
		const int y = gy + (q / cols) * (S + gap + cap);
		if (!p->cells[q])
			continue;
		dbv_canvas_group(cv, "plot");
		if (!p->bare)
			dbv_canvas_frame(cv, x - 1, y - 1, S + 2, S + 2, 1, DBV_BLACK);
		rc = draw_plot(cv, x, y, S, p->cells[q]);
		dbv_canvas_group_end(cv);
	}
	if (!rc) {
		draw_texts(cv, p, S, ts, margin, gap, gx, gy, grid_w, rlw, clh, cap);
		dbv_canvas_group(cv, "legend");
		if (leg.n && p->montage)
			legend_walk(cv, &leg, margin, gy + grid_h + 6 * ts, grid_w, ts, &lw);
		else if (leg.n)
			legend_walk(cv, &leg, gx + grid_w + margin, gy, 0, ts, &lw);
		dbv_canvas_group_end(cv);
	} else {
		dbv_canvas_release(cv);
	}
	free(leg.it);
	return rc;
}

int dbv_planepic_draw(struct dbv_image *im, const struct dbv_planepic *p)
{
	struct dbv_canvas cv = {0};
	return dbv_canvas_to_image(&cv, dbv_planepic_draw_on(&cv, p), im);
}
