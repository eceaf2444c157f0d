/*
 * kinds.c - what is asked of a stream whatever its kind.
 */
#include <string.h>

#include "kinds/kinds.h"
#include "base/json.h"

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

void dbv_summary_write_json(struct dbv_json *j, const struct dbv_summary *sm,
			    struct dbv_reader *r, uint64_t nrec)
{
	const dbv_val *meta = dbv_reader_meta(r);
	int64_t classes;
	dbv_json_obj(j);
	dbv_json_key(j, "kind");
	dbv_json_str(j, dbv_reader_kind(r));
	dbv_json_key(j, "records");
	dbv_json_u64(j, nrec);
	for (size_t k = 0; k < sm->n; k++)
		if (!strcmp(sm->s[k].key, dbv_dataset_items_key()) &&
		    sm->s[k].consistent) {
			dbv_json_key(j, "items");
			dbv_json_i64(j, sm->s[k].shape[0]);
			dbv_json_key(j, "item_shape");
			dbv_json_shape(j, sm->s[k].shape + 1, sm->s[k].ndim - 1);
		}
	if (dbv_kind_classes(r, &classes) == DBV_OK) {
		dbv_json_key(j, "classes");
		dbv_json_i64(j, classes);
	}
	dbv_json_key(j, "tensors");
	dbv_summary_keys_json(j, sm);
	dbv_json_key(j, "meta");
	dbv_json_val(j, meta);
	dbv_json_obj_end(j);
	fputc('\n', j->f);
}

