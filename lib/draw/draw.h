/*
 * lib/draw/draw.h - the drawing layer: RGB canvases, text, PNG, charts,
 * plane pictures.
 */
#ifndef DBV_DRAW_H
#define DBV_DRAW_H

#include "base/base.h"

/* Images (lib/draw/image.c): an RGB8 canvas, drawing, text, PNG            */
/* ------------------------------------------------------------------ */
/*
 * Pixel (x, y) of a canvas is rgb[3*(y*w + x)] .. +2 (red, green, blue),
 * row 0 at the TOP as in PNG.  Drawing calls clip to the canvas, so shapes
 * may hang over its edges.  Coordinates of shapes are in pixels; the
 * centre of pixel (x, y) is (x + 0.5, y + 0.5).
 */
struct dbv_rgb {
	uint8_t r, g, b;
};
#define DBV_RGB(hex) ((struct dbv_rgb){(uint8_t)((hex) >> 16 & 255), \
				       (uint8_t)((hex) >> 8 & 255),  \
				       (uint8_t)((hex) & 255)})
#define DBV_WHITE DBV_RGB(0xffffff)
#define DBV_BLACK DBV_RGB(0x000000)

struct dbv_image {
	int w, h;
	uint8_t *rgb; /* h rows of w pixels, 3 bytes each; owned */
};
#define DBV_IMAGE_MAX_SIDE 32767

/* Allocate a w x h canvas filled with bg; DBV_EUSAGE for a side outside
 * 1..DBV_IMAGE_MAX_SIDE, DBV_EIO without memory. */
int dbv_image_init(struct dbv_image *im, int w, int h, struct dbv_rgb bg);
void dbv_image_release(struct dbv_image *im);
/* Pixel access; get wants (x, y) inside, set ignores pixels outside. */
struct dbv_rgb dbv_image_get(const struct dbv_image *im, int x, int y);
void dbv_image_set(struct dbv_image *im, int x, int y, struct dbv_rgb c);
/* a + (b - a)*t per channel, rounded to nearest; t in [0, 1]. */
struct dbv_rgb dbv_rgb_mix(struct dbv_rgb a, struct dbv_rgb b, double t);

/* The w x h rectangle with top-left pixel (x, y). */
void dbv_image_fill_rect(struct dbv_image *im, int x, int y, int w, int h,
			 struct dbv_rgb c);
/* Its border, t pixels thick, drawn inside the rectangle. */
void dbv_image_frame(struct dbv_image *im, int x, int y, int w, int h,
		     int t, struct dbv_rgb c);
/* A line between pixel centres (Bresenham), t pixels thick (square pen). */
void dbv_image_line(struct dbv_image *im, int x0, int y0, int x1, int y1,
		    int t, struct dbv_rgb c);
/* Copy src scaled to w x h with top-left at (x, y), nearest neighbour:
 * pixel (x+i, y+j) gets src pixel (floor(i*src->w/w), floor(j*src->h/h)). */
void dbv_image_blit(struct dbv_image *dst, int x, int y, int w, int h,
		    const struct dbv_image *src);

/*
 * Markers centred on (cx, cy), anti-aliased (4x4 samples a pixel):
 * filled with `fill` inside a border of `edge` `ow` pixels wide.  r is the
 * size: the circle's radius, the triangle's circumradius (it points up,
 * centred on its centroid), the cross's half diagonal (an "x" of two bars
 * r*0.55 wide), the square's and diamond's half side / half diagonal.
 */
enum dbv_marker {
	DBV_MARKER_CIRCLE, DBV_MARKER_TRIANGLE, DBV_MARKER_CROSS,
	DBV_MARKER_SQUARE, DBV_MARKER_DIAMOND
};
void dbv_image_marker(struct dbv_image *im, enum dbv_marker m, double cx,
		      double cy, double r, double ow, struct dbv_rgb fill,
		      struct dbv_rgb edge);

/*
 * The class palette: DBV_PALETTE_SIZE qualitative colours, none near white
 * or black, ordered so that every prefix is as well separated as the list
 * allows (the first 20: CIELAB distance >= 26).  Class k is entry
 * k mod DBV_PALETTE_SIZE (k >= 0).
 */
#define DBV_PALETTE_SIZE 24
struct dbv_rgb dbv_palette(int64_t k);

/* CIELAB (D65, the 1976 formulas) of an sRGB colour: L 0..100, a, b. */
void dbv_rgb_to_lab(struct dbv_rgb c, double lab[3]);
/* The palette entry nearest to c in CIELAB (Euclidean, Delta E 1976);
 * -1 when two are equally near. */
int dbv_palette_nearest(struct dbv_rgb c);

/*
 * The confidence shading: class k's colour mixed toward white (lightness
 * up, hue kept) by limit*(1 - conf), conf clamped to [0, 1] (NaN: 0).
 * dbv_shade_limit(k) is the largest n/256 <= DBV_SHADE_MAX such that
 * every colour of that mix for limit*(1 - conf) in [0, n/256], as
 * dbv_rgb_mix rounds it, has dbv_palette(k) as its nearest palette entry
 * (dbv_palette_nearest): a shaded region never looks like another class.
 * It walks every rounding step of the mix (about 1 ms): compute it once
 * per picture.
 */
#define DBV_SHADE_MAX 0.6
double dbv_shade_limit(int64_t k);
struct dbv_rgb dbv_shade(struct dbv_rgb c, double limit, double conf);

/*
 * Text: an embedded 5x7 bitmap font (2 more rows for descenders) for
 * ASCII 32..126, scaled by an integer factor.  A glyph's cell is
 * DBV_FONT_ADVANCE x DBV_FONT_LINE pixels at scale 1; (x, y) in
 * dbv_image_text is the top-left of the first cell; capitals occupy rows
 * 0..6 of the cell, descenders rows 7..8.  Other bytes draw as '?' (a
 * UTF-8 sequence as one '?').
 */
#define DBV_FONT_WIDTH 5
#define DBV_FONT_ROWS 9
#define DBV_FONT_ASCENT 7
#define DBV_FONT_ADVANCE 6
#define DBV_FONT_LINE 11
/* The 9 rows of a glyph, bit 4 = leftmost column; '?' for others. */
const uint8_t *dbv_font_glyph(int ch);
/* Width in pixels of s at scale (advance x characters, less the last
 * column of spacing); 0 for "". */
int dbv_text_width(const char *s, int scale);
/* Shorten s in place, ending it with "..", until it fits w pixels at
 * scale (or is 2 bytes long). */
void dbv_text_fit(char *s, int w, int scale);
void dbv_image_text(struct dbv_image *im, int x, int y, const char *s,
		    int scale, struct dbv_rgb c);
/* The same text turned 90 degrees counter-clockwise (reading upward, the
 * tops of the glyphs to the left): it fills [x, x + DBV_FONT_ROWS*scale)
 * x [y - dbv_text_width(s, scale), y), its first character at the bottom. */
void dbv_image_text_up(struct dbv_image *im, int x, int y, const char *s,
		       int scale, struct dbv_rgb c);

/* An anti-aliased segment from (x0, y0) to (x1, y1) (continuous pixel
 * coordinates), w pixels wide with round ends: each pixel is mixed toward
 * c by the share of its 4x4 samples within w/2 of the segment. */
void dbv_image_stroke(struct dbv_image *im, double x0, double y0, double x1,
		      double y1, double w, struct dbv_rgb c);

/*
 * The sequential colour scale of charts: matplotlib's viridis, 256
 * colours from dark purple (#440154, t = 0) through teal to yellow
 * (#FDE725, t = 1), its lightness (CAM02-UCS) rising monotonically;
 * t is clamped to [0, 1] (NaN to 0) and entry round(255 t) returned.
 */
struct dbv_rgb dbv_viridis(double t);
/* Relative luminance (WCAG 2.x, 0 black .. 1 white) of an sRGB colour. */
double dbv_rgb_luminance(struct dbv_rgb c);
/* Black or white, whichever has the higher WCAG contrast ratio on bg
 * (black when the luminance of bg is at least about 0.179). */
struct dbv_rgb dbv_text_colour_on(struct dbv_rgb bg);

/*
 * PNG: 8-bit RGB, with tEXt "Software" (dbv and its version) and "Title"
 * when title is non-NULL.  No time stamps: the same image gives the same
 * bytes with the same libpng and zlib.  (Atomic files are the tools'
 * business: tools/tool.h, dbv_write_file_atomic.)
 */
int dbv_image_write_png(const struct dbv_image *im, FILE *f,
			const char *title);
/* To an open descriptor (a file or standard output), through a stdio
 * stream of its own: fd stays open.  name is the output's name in
 * messages ("cannot write 'NAME': ...", "NAME: PNG: ..."). */
int dbv_image_write_png_fd(const struct dbv_image *im, int fd,
			   const char *name, const char *title);
/* fn(f, what, title) on a stdio stream of fd's own (fd stays open), the
 * errors of opening and closing it as dbv_image_write_png_fd's: how
 * pictures are written to descriptors. */
int dbv_draw_write_fd(int fd, const char *name,
		      int (*fn)(FILE *f, const void *what, const char *title),
		      const void *what, const char *title);
/* Read any PNG (palette, grey, 16-bit, alpha: converted to RGB8, alpha
 * dropped).  DBV_EINPUT for a bad file, DBV_EIO when it cannot be read. */
int dbv_image_read_png(struct dbv_image *im, const char *path);

/* ------------------------------------------------------------------ */
/* Canvases (lib/draw/svg.c): pixels for PNG, or elements for SVG          */
/* ------------------------------------------------------------------ */
/*
 * What charts and plane pictures draw on.  With vector 0 each call draws
 * pixels into im with the dbv_image_* function of the same name (a PNG
 * of it is the bytes those functions make); with vector 1 it appends the
 * SVG element that draws the same shape at the same coordinates: <rect>
 * (rectangles, frames), <line> (strokes, round ends), <circle> and
 * <polygon> (markers: the border as the shape grown by its width, the
 * fill on top), <text> (a monospace face, 10*scale pixels: the bitmap
 * font's advance and cap height; valid UTF-8 kept, other bytes '?'; the
 * five XML specials escaped), <image> (a blit: the source as a base64 PNG
 * in a data: URI, scaled by nearest neighbour), a vertical
 * <linearGradient> (a ramp).  The elements are kept in memory, at most
 * DBV_SVG_MAX_BYTES; running out is remembered and reported by
 * dbv_canvas_write.  Zero the struct and set vector before
 * dbv_canvas_init; release with dbv_canvas_release.
 */
#define DBV_SVG_MAX_BYTES ((size_t)1 << 30)
struct dbv_canvas {
	int vector;             /* set by the caller: 0 pixels, 1 SVG      */
	int w, h;               /* set by dbv_canvas_init                  */
	struct dbv_image im;    /* the pixels (vector 0)                   */
	char *svg;              /* the SVG elements, NUL-terminated        */
	size_t len, cap;
	int ids;                /* gradient ids given out                  */
	int failed;             /* DBV_EIO (memory), DBV_EUSAGE (too big)  */
};
/* A w x h canvas filled with bg (the sides as dbv_image_init's). */
int dbv_canvas_init(struct dbv_canvas *cv, int w, int h, struct dbv_rgb bg);
void dbv_canvas_release(struct dbv_canvas *cv);
/* Hand the image of a raster canvas over to *im after a drawing call that
 * returned rc (on failure: released, *im empty); returns rc. */
int dbv_canvas_to_image(struct dbv_canvas *cv, int rc, struct dbv_image *im);
/* The dbv_image_* calls of the same names, on a canvas. */
void dbv_canvas_rect(struct dbv_canvas *cv, int x, int y, int w, int h,
		     struct dbv_rgb c);
void dbv_canvas_frame(struct dbv_canvas *cv, int x, int y, int w, int h,
		      int t, struct dbv_rgb c);
void dbv_canvas_stroke(struct dbv_canvas *cv, double x0, double y0, double x1,
		       double y1, double w, struct dbv_rgb c);
void dbv_canvas_marker(struct dbv_canvas *cv, enum dbv_marker m, double cx,
		       double cy, double r, double ow, struct dbv_rgb fill,
		       struct dbv_rgb edge);
void dbv_canvas_text(struct dbv_canvas *cv, int x, int y, const char *s,
		     int scale, struct dbv_rgb c);
void dbv_canvas_text_up(struct dbv_canvas *cv, int x, int y, const char *s,
			int scale, struct dbv_rgb c);
void dbv_canvas_blit(struct dbv_canvas *cv, int x, int y, int w, int h,
		     const struct dbv_image *src);
/* A vertical colour ramp filling the w x h rectangle at (x, y): pixel
 * row k shows f(1 - k/(h - 1)), f(1) at the top (SVG: a gradient through
 * 33 of those colours). */
void dbv_canvas_ramp(struct dbv_canvas *cv, int x, int y, int w, int h,
		     struct dbv_rgb (*f)(double t));
/* SVG: what follows, until group_end, in <g class="name"> (pixels:
 * nothing). */
void dbv_canvas_group(struct dbv_canvas *cv, const char *name);
void dbv_canvas_group_end(struct dbv_canvas *cv);
/* The picture as PNG (dbv_image_write_png) or as an SVG document: the
 * canvas's size, <title> when title is not NULL or "", the elements.
 * DBV_EIO for a write error or a canvas that ran out of memory,
 * DBV_EUSAGE for one over DBV_SVG_MAX_BYTES.  _fd as
 * dbv_image_write_png_fd. */
int dbv_canvas_write(const struct dbv_canvas *cv, FILE *f, const char *title);
int dbv_canvas_write_fd(const struct dbv_canvas *cv, int fd, const char *name,
			const char *title);
/* The base64 digits (RFC 4648, '=' padded) of n bytes into out, which
 * holds 4*ceil(n/3) + 1 bytes; NUL-terminated; returns their number. */
size_t dbv_base64(const void *in, size_t n, char *out);

/* ------------------------------------------------------------------ */
/* Charts (lib/draw/chart.c): a heat map and a line chart on a canvas        */
/* ------------------------------------------------------------------ */
/*
 * Ticks at nice numbers: the multiples inside [lo, hi] of the smallest
 * step of 1, 2 or 5 times a power of ten that is at least
 * (hi - lo)/target (so at most target + 1 of them); up to max into t,
 * ascending.  Returns the count (0 for an empty or non-finite range).
 */
int dbv_ticks(double lo, double hi, int target, double *t, int max,
	      double *step);
/* Ticks of a log axis over [lo, hi] (0 < lo < hi): the powers of ten
 * times 1 (level 0), 1, 2, 5 (level 1) or 1 to 9 (level 2) inside it. */
int dbv_log_ticks(double lo, double hi, int level, double *t, int max);
/* A tick's label: as many decimals as the step needs ("0.2", "5",
 * "0.05"); step 0 (log ticks), huge or tiny: %g. */
void dbv_tick_label(double v, double step, char *buf, size_t cap);

/* A square matrix as coloured cells (dbv_viridis over [lo, hi]), each
 * with its value ("0.93", black or white for contrast), labels left of
 * the rows and below the columns, a colour bar with ticks on the right. */
struct dbv_heatmap {
	int n;                  /* rows = columns, >= 1                    */
	char *const *labels;    /* n: rows top to bottom = columns left to right */
	const double *v;        /* n*n, row-major; NaN: "n/a" on grey      */
	int blank_diagonal;     /* leave the diagonal's cells white        */
	double lo, hi;          /* the colour scale's ends, lo < hi        */
	const char *title, *note, *bar_label; /* NULL or "": none         */
	int cell;               /* cell pitch in pixels; 0: the default    */
	int colour_bar;
	int ts;                 /* text scale >= 1                         */
};
int dbv_chart_heatmap(struct dbv_image *im, const struct dbv_heatmap *h);
/* The same on a canvas (pixels or SVG, dbv_canvas_init'ed here); so are
 * dbv_chart_lines_on, dbv_chart_point_lines_on, dbv_planepic_draw_on. */
int dbv_chart_heatmap_on(struct dbv_canvas *cv, const struct dbv_heatmap *h);
/* Set h->lo, h->hi from h->v (n, blank_diagonal set): the range of the
 * finite values drawn, widened to tenths (at least 0.1 apart); 0..1 when
 * there is none. */
void dbv_heatmap_autoscale(struct dbv_heatmap *h);

/* One line of a line chart: n points in drawing order (a non-finite x or
 * y leaves the point out and breaks the line); err NULL or n half-lengths
 * of vertical error bars (0 or NaN: none). */
struct dbv_series {
	const char *label;      /* legend text; NULL or "": not listed     */
	int n;
	const double *x, *y, *err;
};
/* Series k is drawn in dbv_palette(k) with marker k mod 5 (circle,
 * square, triangle, diamond, cross); axes with ticks at nice numbers,
 * light grid lines, a legend to the right. */
struct dbv_linechart {
	int nseries;
	const struct dbv_series *s;
	const char *title, *note, *xlabel, *ylabel;
	int logx;               /* x on a log10 scale (every x > 0)        */
	int w, h;               /* the plot area in pixels                 */
	int legend;
	int ts;                 /* text scale >= 1                         */
};
int dbv_chart_lines(struct dbv_image *im, const struct dbv_linechart *c);
int dbv_chart_lines_on(struct dbv_canvas *cv, const struct dbv_linechart *c);

/* What puts an item (a model) on a line of a line chart: a number, or a
 * string (s holds the number as %g too).  Keys order numbers first,
 * ascending, then strings (strcmp). */
struct dbv_chart_key {
	int num;
	double d;
	char s[64];
};
int dbv_chart_key_cmp(const struct dbv_chart_key *a,
		      const struct dbv_chart_key *b);
/*
 * Items grouped into the points of a line chart: the items of one key
 * and one x make a point, a key's points (x ascending) a line, the lines
 * in key order.  Line l holds points first[l] .. first[l + 1] - 1; point
 * k is at x[k] with items items[start[k] .. start[k + 1] - 1], ascending.
 */
struct dbv_chart_points {
	int nlines, npoints;
	int *line_item;         /* nlines: an item of the line's key       */
	int *first;             /* nlines + 1                              */
	double *x;              /* npoints                                 */
	int *start;             /* npoints + 1                             */
	int *items;             /* n: every item once                      */
};
/* n >= 1 items at x[n] (not NaN); key NULL: one line. */
int dbv_chart_points(int n, const double *x, const struct dbv_chart_key *key,
		     struct dbv_chart_points *p);
void dbv_chart_points_release(struct dbv_chart_points *p);
/* The line chart c of grouped points p: line l through its points with
 * values y and error bars err [p->npoints] (err NULL: none), labelled
 * "BY = KEY" (the key of an item of the line) when by is not NULL, else
 * not listed.  c->s and c->nseries are not read. */
int dbv_chart_point_lines(struct dbv_image *im, const struct dbv_linechart *c,
			  const struct dbv_chart_points *p, const double *y,
			  const double *err, const char *by,
			  const struct dbv_chart_key *key);
int dbv_chart_point_lines_on(struct dbv_canvas *cv,
			     const struct dbv_linechart *c,
			     const struct dbv_chart_points *p, const double *y,
			     const double *err, const char *by,
			     const struct dbv_chart_key *key);

/* ------------------------------------------------------------------ */
/* Plane pictures (lib/draw/planeplot.c): decision regions, montages       */
/* ------------------------------------------------------------------ */
/*
 * A plane's picture (the style of Figure 1 of Somepalli et al., CVPR
 * 2022): its res x res grid of predicted classes as an S x S plot, each
 * grid point the block of pixels nearest it in the class's colour
 * (dbv_palette), paler where the model is less confident; the three
 * anchors marked (circle, triangle, cross: white inside a black edge),
 * with their images beside them on request; a title above and a legend
 * of classes and anchors.  The geometry is the one man/dbv-render.1
 * documents (THE PICTURE): plot pixel (px, py), py from the top, shows
 * grid point (i, j) = (res - 1 - floor(py*res/S), floor(px*res/S)).
 */
#define DBV_PLANEPLOT_MAX_SIDE 8192 /* the largest default plot side */
#define DBV_PLANEPLOT_MAX_TS 64     /* the largest text scale */
#define DBV_PLANEPIC_LEGEND_ALL 64  /* legends list all classes up to this */

/* One plane's plot.  Anchors are placed in grid units: x from the plot's
 * left edge, y from its bottom edge, grid point (i, j) spanning
 * [j, j + 1) x [i, i + 1) (dbv_planeplot_place). */
struct dbv_planeplot {
	int res;                /* grid points a side, >= 1                */
	const int32_t *labels;  /* res*res classes >= 0, row-major, row 0
				   the lowest y                            */
	const float *conf;      /* res*res confidences 0..1 (shading:
				   dbv_shade with the class's
				   dbv_shade_limit); NULL: none             */
	double at[3][2];        /* the anchors' (x, y) in grid units       */
	int32_t y[3], y_true[3]; /* their labels, for the legend           */
	int64_t idx[3];         /* their item numbers; < 0: unknown        */
	int c, h, w;            /* anchor images [3, c, h, w], c = 1 to 4
				   (RGB from the first 3, else grey)      */
	const uint8_t *images;  /* their pixels 0..255, or                 */
	const float *images_f32; /* in those units, clamped (NaN: 0);
				   neither: no thumbnails                  */
	const char *model, *seed; /* for titles and labels: "cnn5 w=16",
				   "seed 0"; NULL or "": not known          */
	int64_t plane;          /* its number, for the default title       */
};

/*
 * A picture of one plot or a montage: n plots in a grid of cols columns,
 * row by row, with a title, labels of rows and columns (montage), and a
 * legend of every class 0 .. classes - 1 in class order (of those present
 * when classes > DBV_PLANEPIC_LEGEND_ALL) and any other present (their
 * share of the plane when n = 1),
 * the shading note, and the anchors of cells[0].  Without montage the
 * legend goes right of the grid, with it below.
 */
struct dbv_planepic {
	const struct dbv_planeplot *const *cells; /* n; NULL: a blank cell,
						      cells[0] not NULL       */
	int n, cols;            /* 1 <= n <= DBV_IMAGE_MAX_SIDE, 1..n      */
	int montage;
	char *const *row_labels, *const *col_labels; /* montage; NULL: the
				   seed the cells of a row share, the model
				   those of a column share; where a row's
				   seeds or a column's models differ, each
				   cell is labelled above itself instead    */
	const char *title;      /* NULL: dbv_planepic_title's; "": none    */
	const char *data;       /* the data set's name for the default
				   title; NULL or "": the plane's number    */
	int64_t classes;        /* legend: names[k] of class k < classes   */
	char *const *names;     /* NULL: classes by number                 */
	int size;               /* the plot side S; 0: dbv_planeplot_side  */
	int ts;                 /* text scale; 0: 2, or 1 when S < 200     */
	int legend;
	int bare;               /* the plots alone: no frame, title, labels
				   or legend; cells 4 pixels apart          */
};
/* The default plot side: the smallest multiple of res >= 500 (250 in a
 * montage), so every grid point gets a square block of one size; res
 * itself when res is larger, at most DBV_PLANEPLOT_MAX_SIDE. */
int dbv_planeplot_side(int res, int montage);
/* Where plane point (x, y) lies in grid units, for a plane of the given
 * range (xmin, xmax, ymin, ymax): grid point (i, j) at (j + 0.5, i + 0.5). */
void dbv_planeplot_place(const double range[4], int res, double x, double y,
			 double at[2]);
/* The title p draws: none when bare, else p->title, else what the first
 * cell shows: "MODEL SEED, DATA: #30 Bag, #72 Dress, #42 Sandal" (the
 * data set, the anchors' indices and classes; "plane N" for DATA without
 * p->data, no "MODEL SEED, " in a montage or without model). */
void dbv_planepic_title(const struct dbv_planepic *p, char *buf, size_t cap);
/* Draw the picture into im (allocated here).  DBV_EUSAGE for a picture
 * over DBV_IMAGE_MAX_SIDE a side and for bad sizes or negative labels. */
int dbv_planepic_draw(struct dbv_image *im, const struct dbv_planepic *p);
int dbv_planepic_draw_on(struct dbv_canvas *cv, const struct dbv_planepic *p);

/* ------------------------------------------------------------------ */

#endif /* DBV_DRAW_H */
