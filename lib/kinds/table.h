/*
 * lib/kinds/table.h - the table stream kind (dbv-stream(5), THE TABLE
 * STREAM): dbv-compare's figures of S pred streams, P planes of R x R
 * points or one data set.  Written by dbv-compare (also as TSV or JSON
 * text); read by dbv-render's charts.
 *
 *   struct dbv_table t;
 *   rc = dbv_table_read(r, &t);          -- header to trailer, all checked
 *   ... t.streams[i].desc, t.pairs.agreement[k], t.frag.per_plane ...
 *   dbv_table_release(&t);
 *
 * A struct dbv_table holds only plain arrays (all owned, freed by
 * dbv_table_release), laid out as in the stream: streams numbered from 0
 * in the order of "streams"; pairs (i, j), i < j, in the order (0,1),
 * (0,2), ..., (1,2), ...; [A, B] arrays row-major (entry (a, b) at
 * a*B + b).  NaN marks a missing figure where the format allows one.
 */
#ifndef DBV_KINDS_TABLE_H
#define DBV_KINDS_TABLE_H

#include "base/base.h"
#include "stream/stream.h"
#include "kinds/pred.h"

/* Bounds of a table's reader (a table holds S^2 numbers and more). */
#define DBV_TABLE_MAX_STREAMS 100000   /* S, and the groups G <= S */
#define DBV_TABLE_MAX_PLANES INT32_MAX /* P */

/* One compared pred stream ("streams" of the header). */
struct dbv_table_stream {
	char *file;                  /* the path given */
	char *group;                 /* its group's name, or NULL */
	char *desc;                  /* "ARCH w=WIDTH seed=SEED"; NULL if none */
	struct dbv_pred_model model; /* its pred header's; .present 0: nil */
};

/* The "pairs" record: n = S(S-1)/2 pairs. */
struct dbv_table_pairs {
	int64_t n;
	int64_t *pair;               /* [n, 2]: the two streams, i < j */
	double *agreement, *std;     /* [n]: mean and std over planes */
	double *ci95_lo, *ci95_hi;   /* [n]: bootstrap interval (NaN: none) */
	double *iou;                 /* [n]: mean class IoU over planes */
	double *per_plane;           /* [n, P]: the agreement on each plane */
};

/* The "groups" record: entry (g, h) over all pairs of distinct streams of
 * group g x group h; NaN where there is no such pair. */
struct dbv_table_groups {
	double *agreement, *std;     /* [G, G] */
	double *ci95_lo, *ci95_hi;   /* [G, G] */
	double *iou;                 /* [G, G] */
	int64_t *pairs;              /* [G, G]: the pairs of each entry */
};

/* The "fragmentation" record: regions per plane of each stream. */
struct dbv_table_frag {
	double *mean, *std;          /* [S] */
	double *per_plane;           /* [S, P] */
};

/* The "accuracy" record (over a data set). */
struct dbv_table_acc {
	double *acc, *acc_true;      /* [S] */
	double *churn;               /* [S, S] */
};

/* The "margins" record (dbv-margin): the points of every stream, rows of
 * [n] arrays, and each stream's figures and settings.  Groups (the 3 of
 * an [S, 3] row): mislabeled, correctly labelled, all. */
struct dbv_table_margins {
	int64_t n;                   /* points, all streams together */
	int64_t *stream;             /* [n]: the point's stream */
	int64_t *idx, *y, *y_true;   /* [n]: the item and its labels */
	int64_t *label;              /* [n]: the model's class at the point */
	int64_t *hits;               /* [n]: directions that found a change */
	double *margin;              /* [n]: their mean distance (NaN: too
				      * few hits) */
	double *mean, *std;          /* [S, 3]: over the points with a margin */
	double *ci95_lo, *ci95_hi;   /* [S, 3]: bootstrap 95% interval */
	int64_t *points;             /* [S, 3]: those points */
	double *range, *step, *tol;  /* [S]: the search (step and tol 0 for
				      * a ladder) */
	int64_t *ladder;             /* [S]: ladder points (0: bisection) */
	int64_t *directions, *min_hits; /* [S] */
	int64_t *passes;             /* [S]: points classified (forward
				      * passes of one item) in all */
};

/* The "skips" record (dbv-margin --skips): the pairs of every stream and
 * each stream's figures. */
struct dbv_table_skips {
	int64_t n;                   /* pairs, all streams together */
	int64_t *stream;             /* [n] */
	int64_t *a, *b, *cls;        /* [n]: the two items (idx), their class */
	int64_t *changes, *classes;  /* [n]: changes of class, distinct classes */
	double *mean, *std;          /* [S]: of changes over the pairs */
	double *ci95_lo, *ci95_hi;   /* [S] */
	double *classes_mean;        /* [S]: of classes over the pairs */
	int64_t *res;                /* [S]: points a segment */
};

struct dbv_table {
	int planes_input;            /* "input": 1 "planes", 0 "dataset" */
	int64_t planes, res;         /* P and R; 0 over a data set */
	int64_t classes;
	int64_t items;               /* data set: the items compared (text
				      * output only; not in the stream: 0 when
				      * read back) */
	int S;
	struct dbv_table_stream *streams; /* S */
	int G;
	char **groups;               /* G group names ("groups"; the groups
				      * record's "names" are the same) */
	/* The records present, each at most once. */
	int have_pairs, have_groups, have_frag, have_acc;
	int have_margins, have_skips; /* over a data set */
	struct dbv_table_pairs pairs;
	struct dbv_table_groups grp;
	struct dbv_table_frag frag;
	struct dbv_table_acc acc;
	struct dbv_table_margins mg;
	struct dbv_table_skips sk;
};

/* Read a whole table stream: its header (kind "table") to its trailer.
 * Records of other types are skipped.  Every failure of the content is
 * "NAME: record N (byte B): ..." (record 0: the header).  A reader of one
 * stream calls dbv_reader_expect_end after.  Release t after a failure
 * too. */
int dbv_table_read(struct dbv_reader *r, struct dbv_table *t);
/* The same after the caller has read the header (its kind checked). */
int dbv_table_read_body(struct dbv_reader *r, struct dbv_table *t);
/* The current header's meta only (read by dbv_reader_header) into t,
 * from zero; release t after it either way. */
int dbv_table_read_header(struct dbv_reader *r, struct dbv_table *t);
void dbv_table_release(struct dbv_table *t);

/* Zeroed arrays for every field of record type ("margins", "skips", ...)
 * in t, of the shapes t's counts give (S; the record's n rows). */
int dbv_table_alloc_record(struct dbv_table *t, const char *type);

/* The streams of n tables of margins and class skips (dbv-margin), one
 * table after the other, as one table *out: its records' arrays are new,
 * its streams shallow copies of in's (release out with
 * dbv_table_concat_release, before in).  DBV_EUSAGE (naming names[i])
 * when a table holds another record, or lacks a margins or skips record
 * that the first has, or has one the first lacks, or another number of
 * classes. */
int dbv_table_concat(const struct dbv_table *in, int n,
		     const char *const *names, struct dbv_table *out);
void dbv_table_concat_release(struct dbv_table *out);

/* Write t as a table stream: the header (pipeline: this command line
 * alone), then over a data set the accuracy, margins and skips records
 * that t has, over planes the pairs, groups and fragmentation records,
 * in this order. */
int dbv_table_write(struct dbv_writer *w, const struct dbv_table *t, int argc,
		    char *const *argv);
/* dbv-compare's text forms of t (dbv-compare(1), TSV OUTPUT and JSON
 * OUTPUT); DBV_EIO when f fails. */
int dbv_table_write_tsv(FILE *f, const struct dbv_table *t);
int dbv_table_write_json(FILE *f, const struct dbv_table *t);
/* Either, made in memory, then written to fd in one checked write
 * (dbv_write_all); DBV_EIO when it fails. */
int dbv_table_write_text(int fd, const struct dbv_table *t, int json);

/* ------------------------------------------------------------------ */
/* Charts of a table (dbv-chart): its figures as plain arrays           */
/* ------------------------------------------------------------------ */
/* Messages name dbv-chart's options (--x, --y, --by, --logx, --value,
 * --chart) and NAME, the table's name. */

/* The label of each of the S streams into label[S] (pointing into t):
 * its desc, or where one would be missing or ambiguous, the file names. */
void dbv_table_stream_labels(const struct dbv_table *t, char **label);

/* What a heat map of t shows: the G x G group matrix when t has a groups
 * record, else stream x stream, the pairs' figures (both halves) or over
 * a data set the agreement 1 - churn; class IoU instead of agreement
 * when iou. */
struct dbv_table_matrix {
	int n;
	double *v;                   /* [n, n]; NaN: no value */
	char **labels;               /* n, pointing into t */
	int blank_diagonal;          /* stream x stream */
	const char *title;           /* "reproducibility (agreement)", ... */
	const char *bar_label;       /* "agreement" or "class IoU" */
	char note[200];              /* what the matrix is made of */
};
/* DBV_EUSAGE when t has no figures for it; release m after it either way. */
int dbv_table_matrix(const struct dbv_table *t, int iou, const char *name,
		     struct dbv_table_matrix *m);
void dbv_table_matrix_release(struct dbv_table_matrix *m);

/* The figure --y names ("fragmentation", "error", "acc", "acc_true",
 * "agreement", "margin", "margin_correct", "margin_mislabeled",
 * "skips"), or 0. */
int dbv_table_figure(const char *name);
/* A line chart of figure fig against the number model[x] of each stream
 * (one line per value of model[by] when by is not NULL, x on a log
 * scale when logx): its points and values (dbv_chart_points,
 * dbv_curve_values) and its texts. */
struct dbv_table_curve {
	double *x;                   /* [S]: model[x] of each stream */
	struct dbv_chart_key *key;   /* [S]: model[by] (all alike without by) */
	struct dbv_chart_points pts;
	double *y, *err;             /* [pts.npoints] */
	struct dbv_curve_stats st;
	char title[512];             /* "reproducibility vs width, by arch" */
	char note[200];              /* what a point and a bar are */
	char xlabel[160];
	const char *ylabel;
};
/* DBV_EUSAGE when t lacks the record fig needs, when a stream has no
 * such numeric x or by value (a number, string or boolean), and when no
 * point has a value; release c after it either way. */
int dbv_table_curve(const struct dbv_table *t, enum dbv_curve_fig fig,
		    const char *x, const char *by, int logx, const char *name,
		    struct dbv_table_curve *c);
void dbv_table_curve_release(struct dbv_table_curve *c);

#endif /* DBV_KINDS_TABLE_H */
