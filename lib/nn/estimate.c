/*
 * estimate.c - the arithmetic of dbv-train --estimate and dbv-predict
 * --estimate: seconds from measured rates, bytes from what was
 * allocated, and the JSON line.  The measuring (timed batches) is in
 * trainer.c, next to the loop it times.
 */
#include <stdio.h>

#include "base/json.h"
#include "nn/nn.h"

double dbv_estimate_seconds(int epochs, int64_t items, double rate,
			    int64_t eval_items, double eval_rate)
{
	double per_epoch = (double)items / rate;

	if (eval_items > 0)
		per_epoch += (double)eval_items / eval_rate;
	return (double)epochs * per_epoch;
}

uint64_t dbv_dataset_bytes(const struct dbv_dataset *d)
{
	uint64_t n = (uint64_t)d->n;

	if (!d->x)
		return 0;
	return n * (uint64_t)(d->c * d->h * d->w) * dbv_dtype_size(d->dtype) +
	       n * (2 * sizeof(int32_t) + sizeof(int64_t)); /* y, y_true, idx */
}

uint64_t dbv_trainer_bytes(const struct dbv_trainer *t)
{
	const struct dbv_arch *a = &t->model.arch;
	uint64_t b = (uint64_t)t->cfg.batch, mom = t->optim.m2 ? 2 : 1;

	return dbv_model_bytes(&t->model) +
	       mom * (uint64_t)t->model.total * sizeof(float) +
	       b * (uint64_t)a->c * (uint64_t)a->h * (uint64_t)a->w * sizeof(float) +
	       b * (uint64_t)a->classes * sizeof(float) +
	       b * (sizeof *t->idx + sizeof *t->ybuf) +
	       (uint64_t)t->st.n * sizeof *t->st.perm +
	       (uint64_t)t->cfg.epochs * sizeof *t->st.logs +
	       dbv_dataset_bytes(t->train) + (t->test ? dbv_dataset_bytes(t->test) : 0);
}

void dbv_estimate_json(FILE *f, const struct dbv_estimate *e)
{
	struct dbv_json j;

	dbv_json_init(&j, f);
	dbv_json_obj(&j);
	dbv_json_key(&j, e->train ? "images_per_s" : "points_per_s");
	dbv_json_double(&j, e->rate);
	dbv_json_key(&j, e->train ? "images" : "points");
	dbv_json_i64(&j, e->items);
	if (e->train) {
		dbv_json_key(&j, "epochs");
		dbv_json_i64(&j, e->epochs);
		dbv_json_key(&j, "eval_images_per_s");
		dbv_json_double(&j, e->eval_rate);
		dbv_json_key(&j, "eval_images");
		dbv_json_i64(&j, e->eval_items);
	}
	dbv_json_key(&j, "seconds");
	dbv_json_double(&j, e->seconds);
	dbv_json_key(&j, "cpu_seconds");
	dbv_json_double(&j, e->cpu_seconds);
	dbv_json_key(&j, "threads");
	dbv_json_i64(&j, e->threads);
	dbv_json_key(&j, "memory_bytes");
	dbv_json_u64(&j, e->memory);
	dbv_json_obj_end(&j);
	fputc('\n', f);
}
