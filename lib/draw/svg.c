/*
 * svg.c - the canvas that charts and plane pictures draw on: the pixels
 * of an image (image.c, for PNG) or the elements of an SVG document.
 *
 * Every shape of a picture goes through one dbv_canvas_* call, which
 * either calls image.c's function of the same name (so PNG files are the
 * bytes they were before canvases) or appends the SVG element that draws
 * the same shape at the same coordinates: <rect> for rectangles and
 * frames, <line> for strokes, <circle> and <polygon> for markers, <text>
 * for text, <image> (a base64 PNG in a data: URI) for blits, a
 * <linearGradient> for colour ramps.  The layout code knows nothing of
 * the difference, so a picture's PNG and SVG cannot drift apart.
 *
 * The SVG body is text in memory; growing it past DBV_SVG_MAX_BYTES or
 * running out of memory is remembered (cv->failed) and reported when the
 * document is written: drawing calls return nothing, as image.c's do.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "draw/draw.h"

/* ---- base64 --------------------------------------------------------- */

size_t dbv_base64(const void *in, size_t n, char *out)
{
	static const char dig[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *p = in;
	size_t o = 0;

	/* Three bytes (24 bits) make four digits of 6 bits, high first; a
	 * short last group is padded with zero bits and '='. */
	for (size_t i = 0; i < n; i += 3) {
		const uint32_t v = (uint32_t)p[i] << 16 |
				   (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
				   (i + 2 < n ? p[i + 2] : 0);
		out[o++] = dig[v >> 18 & 63];
		out[o++] = dig[v >> 12 & 63];
		out[o++] = i + 1 < n ? dig[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? dig[v & 63] : '=';
	}
	out[o] = 0;
	return o;
}

#define DBV_SVG_BLIT_PIXELS (4096 * 4096)

/* ---- the SVG text --------------------------------------------------- */

/* Append n bytes; on failure remember it and drop the rest. */
static void put_bytes(struct dbv_canvas *cv, const char *s, size_t n)
{
	if (cv->failed)
		return;
	if (n > DBV_SVG_MAX_BYTES - cv->len) {
		cv->failed = DBV_EUSAGE;
		return;
	}
	if (cv->len + n + 1 > cv->cap) {
		size_t nc = cv->cap ? cv->cap : 4096;
		while (nc < cv->len + n + 1)
			nc *= 2;
		char *b = dbv_realloc(cv->svg, nc);
		if (!b) {
			cv->failed = DBV_EIO;
			return;
		}
		cv->svg = b;
		cv->cap = nc;
	}
	memcpy(cv->svg + cv->len, s, n);
	cv->len += n;
	cv->svg[cv->len] = 0;
}

static void put(struct dbv_canvas *cv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct dbv_canvas *cv, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	const int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	/* Formats here are elements without text: they fit. */
	if (n > 0)
		put_bytes(cv, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Coordinates: 7 significant digits, hundredths of a pixel up to the
 * largest side. */
#define N "%.7g"
#define RGB "#%02x%02x%02x"
#define RGBV(c) (c).r, (c).g, (c).b

/*
 * s as XML character data or attribute text: the five specials as
 * entities, a well-formed UTF-8 sequence of a character XML allows as it
 * is, anything else (control bytes, broken or overlong sequences,
 * surrogates) as one '?', as image.c draws it: the text keeps the number
 * of characters the layout measured.
 */
static void put_text(struct dbv_canvas *cv, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		const unsigned char c = *p;
		const char *e = c == '&' ? "&amp;" : c == '<' ? "&lt;"
			      : c == '>' ? "&gt;" : c == '"' ? "&quot;"
			      : c == '\'' ? "&apos;" : NULL;
		if (e) {
			put_bytes(cv, e, strlen(e));
			p++;
			continue;
		}
		if (c >= 32 && c < 127) {
			put_bytes(cv, (const char *)p++, 1);
			continue;
		}
		/* The sequence image.c counts as one character: a lead
		 * byte and the continuation bytes after it. */
		size_t n = 1;
		while ((p[n] & 0xc0) == 0x80)
			n++;
		const int want = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 && c < 0xf0 ? 3
			       : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		uint32_t u = want == 4 ? c & 7 : want == 3 ? c & 15 : c & 31;
		for (size_t i = 1; i < n; i++)
			u = u << 6 | (p[i] & 63);
		const int ok = want && (size_t)want == n &&
			       u >= (want == 4 ? 0x10000u : want == 3 ? 0x800u : 0x80u) &&
			       u <= 0x10ffff && !(u >= 0xd800 && u <= 0xdfff) &&
			       u != 0xfffe && u != 0xffff;
		put_bytes(cv, ok ? (const char *)p : "?", ok ? n : 1);
		p += n;
	}
}

/* ---- the canvas ----------------------------------------------------- */

int dbv_canvas_init(struct dbv_canvas *cv, int w, int h, struct dbv_rgb bg)
{
	int rc;

	cv->w = cv->h = 0;
	if (!cv->vector) {
		if ((rc = dbv_image_init(&cv->im, w, h, bg)))
			return rc;
	} else {
		if (w < 1 || h < 1 || w > DBV_IMAGE_MAX_SIDE || h > DBV_IMAGE_MAX_SIDE)
			return dbv_seterr(DBV_EUSAGE, "image of %dx%d pixels: each "
					  "side must be 1 to %d", w, h,
					  DBV_IMAGE_MAX_SIDE);
		cv->len = 0;
		cv->failed = 0;
		cv->ids = 0;
		put(cv, "<rect width=\"%d\" height=\"%d\" fill=\"" RGB "\"/>\n", w,
		    h, RGBV(bg));
	}
	cv->w = w;
	cv->h = h;
	return DBV_OK;
}

void dbv_canvas_release(struct dbv_canvas *cv)
{
	dbv_image_release(&cv->im);
	free(cv->svg);
	cv->svg = NULL;
	cv->len = cv->cap = 0;
	cv->w = cv->h = 0;
}

int dbv_canvas_to_image(struct dbv_canvas *cv, int rc, struct dbv_image *im)
{
	if (rc)
		dbv_canvas_release(cv);
	*im = cv->im;
	return rc;
}

void dbv_canvas_group(struct dbv_canvas *cv, const char *name)
{
	if (!cv->vector)
		return;
	put(cv, "<g class=\"");
	put_text(cv, name);
	put(cv, "\">\n");
}

void dbv_canvas_group_end(struct dbv_canvas *cv)
{
	if (cv->vector)
		put(cv, "</g>\n");
}

void dbv_canvas_rect(struct dbv_canvas *cv, int x, int y, int w, int h,
		     struct dbv_rgb c)
{
	if (!cv->vector)
		dbv_image_fill_rect(&cv->im, x, y, w, h, c);
	else if (w > 0 && h > 0)
		put(cv, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		    "fill=\"" RGB "\"/>\n", x, y, w, h, RGBV(c));
}

void dbv_canvas_frame(struct dbv_canvas *cv, int x, int y, int w, int h,
		      int t, struct dbv_rgb c)
{
	if (!cv->vector) {
		dbv_image_frame(&cv->im, x, y, w, h, t, c);
	} else if (t > 0 && w > 0 && h > 0) {
		if (2 * t >= w || 2 * t >= h)
			dbv_canvas_rect(cv, x, y, w, h, c);
		else /* the stroke centred on a line t/2 inside */
			put(cv, "<rect x=\"" N "\" y=\"" N "\" width=\"%d\" "
			    "height=\"%d\" fill=\"none\" stroke=\"" RGB "\" "
			    "stroke-width=\"%d\"/>\n", x + t / 2.0, y + t / 2.0,
			    w - t, h - t, RGBV(c), t);
	}
}

void dbv_canvas_stroke(struct dbv_canvas *cv, double x0, double y0, double x1,
		       double y1, double w, struct dbv_rgb c)
{
	if (!cv->vector)
		dbv_image_stroke(&cv->im, x0, y0, x1, y1, w, c);
	else if (w > 0 && isfinite(x0) && isfinite(y0) && isfinite(x1) &&
		 isfinite(y1))
		put(cv, "<line x1=\"" N "\" y1=\"" N "\" x2=\"" N "\" y2=\"" N
		    "\" stroke=\"" RGB "\" stroke-width=\"" N "\" "
		    "stroke-linecap=\"round\"/>\n", x0, y0, x1, y1, RGBV(c), w);
}

/*
 * The outline of marker m of size r grown by g (image.c's inside():
 * the border is the shape grown by the border's width, the fill the
 * shape itself, drawn on top), as a circle or a polygon.
 */
static void marker_shape(struct dbv_canvas *cv, enum dbv_marker m, double cx,
			 double cy, double r, double g, struct dbv_rgb c)
{
	const double s3 = 0.8660254037844386, h = 0.7071067811865476;
	double pt[12][2];
	int n = 0;

	switch (m) {
	case DBV_MARKER_CIRCLE:
		put(cv, "<circle cx=\"" N "\" cy=\"" N "\" r=\"" N "\" fill=\""
		    RGB "\"/>\n", cx, cy, r + g, RGBV(c));
		return;
	case DBV_MARKER_TRIANGLE: {
		/* Edges at the inradius i from the centroid, the vertices
		 * at 2i: one up, two down left and right. */
		const double i = r / 2 + g;
		pt[n][0] = 0, pt[n++][1] = -2 * i;
		pt[n][0] = 2 * i * s3, pt[n++][1] = i;
		pt[n][0] = -2 * i * s3, pt[n++][1] = i;
		break;
	}
	case DBV_MARKER_SQUARE:
	case DBV_MARKER_DIAMOND: {
		const double d = m == DBV_MARKER_SQUARE ? r + g : r + g * 1.4142135623730951;
		for (int k = 0; k < 4; k++) {
			/* Square: the corners; diamond: points on the axes. */
			const int sx = k == 0 || k == 3 ? 1 : -1, sy = k < 2 ? -1 : 1;
			pt[n][0] = m == DBV_MARKER_SQUARE ? sx * d : (k & 1 ? 0 : sx * d);
			pt[n++][1] = m == DBV_MARKER_SQUARE ? sy * d : (k & 1 ? sy * d : 0);
		}
		break;
	}
	case DBV_MARKER_CROSS: {
		/* A plus of arms w wide (half) and l long (half), turned 45
		 * degrees: (u, v) -> ((u - v) h, (u + v) h). */
		const double w = 0.275 * r + g, l = r + g;
		const double uv[12][2] = {
			{w, l}, {-w, l}, {-w, w}, {-l, w}, {-l, -w}, {-w, -w},
			{-w, -l}, {w, -l}, {w, -w}, {l, -w}, {l, w}, {w, w},
		};
		for (; n < 12; n++) {
			pt[n][0] = (uv[n][0] - uv[n][1]) * h;
			pt[n][1] = (uv[n][0] + uv[n][1]) * h;
		}
		break;
	}
	}
	put(cv, "<polygon points=\"");
	for (int k = 0; k < n; k++)
		put(cv, "%s" N "," N, k ? " " : "", cx + pt[k][0], cy + pt[k][1]);
	put(cv, "\" fill=\"" RGB "\"/>\n", RGBV(c));
}

void dbv_canvas_marker(struct dbv_canvas *cv, enum dbv_marker m, double cx,
		       double cy, double r, double ow, struct dbv_rgb fill,
		       struct dbv_rgb edge)
{
	const double ext = 1.5 * (r + ow) + 2;
	if (!cv->vector) {
		dbv_image_marker(&cv->im, m, cx, cy, r, ow, fill, edge);
		return;
	}
	/* Off the canvas or not a number: nothing, as image.c. */
	if (!(cx + ext >= 0 && cy + ext >= 0 && cx - ext < cv->w &&
	      cy - ext < cv->h))
		return;
	if (ow > 0)
		marker_shape(cv, m, cx, cy, r, ow, edge);
	marker_shape(cv, m, cx, cy, r, 0, fill);
}

/*
 * Text: the font's cell puts the capitals' baseline DBV_FONT_ASCENT
 * rows below y; a monospace face at 10 px a scale unit has about that
 * cap height (0.73 em) and the font's advance (0.6 em).
 */
static void text_el(struct dbv_canvas *cv, double bx, double by, int up,
		    const char *s, int scale, struct dbv_rgb c)
{
	if (!*s)
		return;
	put(cv, "<text x=\"" N "\" y=\"" N "\" font-size=\"%d\" fill=\"" RGB "\"",
	    bx, by, 10 * scale, RGBV(c));
	if (up)
		put(cv, " transform=\"rotate(-90 " N " " N ")\"", bx, by);
	put(cv, ">");
	put_text(cv, s);
	put(cv, "</text>\n");
}

void dbv_canvas_text(struct dbv_canvas *cv, int x, int y, const char *s,
		     int scale, struct dbv_rgb c)
{
	if (scale < 1)
		scale = 1;
	if (!cv->vector)
		dbv_image_text(&cv->im, x, y, s, scale, c);
	else
		text_el(cv, x, y + DBV_FONT_ASCENT * scale, 0, s, scale, c);
}

void dbv_canvas_text_up(struct dbv_canvas *cv, int x, int y, const char *s,
			int scale, struct dbv_rgb c)
{
	if (scale < 1)
		scale = 1;
	/* Turned, the baseline is the column DBV_FONT_ASCENT right of x
	 * and the text starts at y, going up. */
	if (!cv->vector)
		dbv_image_text_up(&cv->im, x, y, s, scale, c);
	else
		text_el(cv, x + DBV_FONT_ASCENT * scale, y, 1, s, scale, c);
}

/* src as a PNG in memory, base64 into the document. */
static void put_png(struct dbv_canvas *cv, const struct dbv_image *src)
{
	char *png = NULL, *b64;
	size_t n = 0;
	FILE *f = open_memstream(&png, &n);
	int bad = !f;

	if (f) {
		bad = dbv_image_write_png(src, f, NULL) != DBV_OK;
		bad |= fclose(f) != 0;
	}
	if (bad) {
		free(png);
		cv->failed = cv->failed ? cv->failed : DBV_EIO;
		return;
	}
	if (n / 3 + 1 > (DBV_SVG_MAX_BYTES - cv->len) / 4) {
		free(png);
		cv->failed = DBV_EUSAGE;
		return;
	}
	if (!(b64 = dbv_malloc(4 * (n / 3 + 1) + 1))) {
		free(png);
		cv->failed = DBV_EIO;
		return;
	}
	put_bytes(cv, b64, dbv_base64(png, n, b64));
	free(b64);
	free(png);
}

void dbv_canvas_blit(struct dbv_canvas *cv, int x, int y, int w, int h,
		     const struct dbv_image *src)
{
	if (!cv->vector) {
		dbv_image_blit(&cv->im, x, y, w, h, src);
		return;
	}
	if (w <= 0 || h <= 0)
		return;
	/* Scaled by nearest neighbour, as image.c does: blocks of pixels,
	 * not a blur.  Not every renderer honours image-rendering (librsvg
	 * 2.54 smooths), so the PNG is the source already scaled, up to
	 * DBV_SVG_BLIT_PIXELS (flat blocks: it compresses to about the
	 * source's size). */
	struct dbv_image big = {0};
	const int scale = (int64_t)w * h <= DBV_SVG_BLIT_PIXELS &&
			  (w != src->w || h != src->h) &&
			  !dbv_image_init(&big, w, h, DBV_WHITE);
	if (scale)
		dbv_image_blit(&big, 0, 0, w, h, src);
	put(cv, "<image x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
	    "preserveAspectRatio=\"none\" image-rendering=\"optimizeSpeed\" "
	    "style=\"image-rendering:pixelated\" "
	    "xlink:href=\"data:image/png;base64,", x, y, w, h);
	put_png(cv, scale ? &big : src);
	put(cv, "\"/>\n");
	dbv_image_release(&big);
}

void dbv_canvas_ramp(struct dbv_canvas *cv, int x, int y, int w, int h,
		     struct dbv_rgb (*f)(double t))
{
	const int stops = 32;
	if (w <= 0 || h <= 0)
		return;
	if (!cv->vector) {
		/* Pixel row k shows f(1 - k/(h - 1)): the ends are f's. */
		for (int k = 0; k < h; k++)
			dbv_image_fill_rect(&cv->im, x, y + k, w, 1,
					    f(h > 1 ? 1 - (double)k / (h - 1) : 1));
		return;
	}
	/* The same colours at the centres of the rows they fall on, with
	 * stops+1 stops: f(1 - i/stops) at row k = i (h - 1)/stops. */
	const int id = cv->ids++;
	put(cv, "<defs><linearGradient id=\"ramp%d\" x1=\"0\" y1=\"0\" x2=\"0\" "
	    "y2=\"1\">\n", id);
	for (int i = 0; i <= stops; i++) {
		const double k = (double)i * (h - 1) / stops;
		const struct dbv_rgb c = f(1 - (double)i / stops);
		put(cv, "<stop offset=\"" N "\" stop-color=\"" RGB "\"/>\n",
		    (k + 0.5) / h, RGBV(c));
	}
	put(cv, "</linearGradient></defs>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" "
	    "height=\"%d\" fill=\"url(#ramp%d)\"/>\n", x, y, w, h, id);
}

/* ---- writing -------------------------------------------------------- */

static int write_svg(const struct dbv_canvas *cv, FILE *f, const char *title)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<!-- made by dbv " DBV_VERSION " -->\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" "
		"xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"DejaVu Sans Mono, monospace\" "
		"xml:space=\"preserve\">\n", cv->w, cv->h, cv->w, cv->h);
	if (title && title[0]) {
		/* The title as the body's text would be: escaped the same. */
		struct dbv_canvas t = {.vector = 1};
		put_text(&t, title);
		if (t.failed) {
			free(t.svg);
			return dbv_seterr(DBV_EIO, "SVG: out of memory");
		}
		fprintf(f, "<title>%s</title>\n", t.svg);
		free(t.svg);
	}
	if (cv->len)
		fwrite(cv->svg, 1, cv->len, f);
	fputs("</svg>\n", f);
	if (fflush(f) || ferror(f))
		return dbv_seterr(DBV_EIO, "SVG: write error: %s", strerror(errno));
	return DBV_OK;
}

int dbv_canvas_write(const struct dbv_canvas *cv, FILE *f, const char *title)
{
	if (!cv->vector)
		return dbv_image_write_png(&cv->im, f, title);
	if (cv->w < 1 || cv->h < 1)
		return dbv_seterr(DBV_EUSAGE, "SVG: empty picture");
	if (cv->failed == DBV_EUSAGE)
		return dbv_seterr(DBV_EUSAGE, "SVG: the picture would be over %d "
				  "MiB: draw a smaller one, or PNG",
				  (int)(DBV_SVG_MAX_BYTES >> 20));
	if (cv->failed)
		return dbv_seterr(DBV_EIO, "SVG: out of memory");
	return write_svg(cv, f, title);
}

static int canvas_to(FILE *f, const void *cv, const char *title)
{
	return dbv_canvas_write(cv, f, title);
}

int dbv_canvas_write_fd(const struct dbv_canvas *cv, int fd, const char *name,
			const char *title)
{
	return dbv_draw_write_fd(fd, name, canvas_to, cv, title);
}
