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
	struct dbv_table_pairs pairs;
	struct dbv_table_groups grp;
	struct dbv_table_frag frag;
	struct dbv_table_acc acc;
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

/* Write t as a table stream: the header (pipeline: this command line
 * alone), then over a data set the accuracy record, over planes the
 * pairs, groups and fragmentation records that t has, in this order. */
int dbv_table_write(struct dbv_writer *w, const struct dbv_table *t, int argc,
		    char *const *argv);
/* dbv-compare's text forms of t (dbv-compare(1), TSV OUTPUT and JSON
 * OUTPUT); DBV_EIO when f fails. */
int dbv_table_write_tsv(FILE *f, const struct dbv_table *t);
int dbv_table_write_json(FILE *f, const struct dbv_table *t);

#endif /* DBV_KINDS_TABLE_H */
