/*
 * kinds.c - what is asked of a stream whatever its kind.
 */
#include <string.h>

#include "kinds/kinds.h"

int dbv_kind_classes(struct dbv_reader *r, int64_t *classes)
{
	const char *kind = dbv_reader_kind(r);
	int rc;

	*classes = -1;
	if (!strcmp(kind, "model") || !strcmp(kind, "checkpoint")) {
		struct dbv_arch a;
		if ((rc = dbv_arch_from_meta(dbv_reader_meta(r), &a)))
			return rc;
		*classes = a.classes;
		return DBV_OK;
	}
	if (!strcmp(kind, "table")) {
		struct dbv_table t;
		memset(&t, 0, sizeof t);
		if (!(rc = dbv_table_read_header(r, &t)))
			*classes = t.classes;
		dbv_table_release(&t);
		return rc;
	}
	struct dbv_dataset d;
	if (!(rc = dbv_dataset_read_meta(r, &d, NULL)))
		*classes = d.nclasses;
	dbv_dataset_release(&d);
	return rc;
}
