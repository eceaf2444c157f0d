/*
 * test_torch.c - dbv's models and optimizers against PyTorch.
 *
 * The fixtures in tests/fixtures/torch/ (or $DBV_TORCH_FIXTURES) are dbv
 * streams of kind "fixture" written by tests/gen/torch_fixtures.py, which
 * documents their records; regenerate them with
 *
 *     /usr/bin/python3 tests/gen/torch_fixtures.py
 *
 * For each model case: build the architecture of the header meta, load
 * every state_dict tensor (their names, order and shapes must be exactly
 * dbv's parameter table), run a train-mode forward, the softmax
 * cross-entropy and the backward, and compare the logits, the loss, every
 * parameter gradient, the BN running statistics after that forward, and
 * the logits of an eval-mode forward after it with PyTorch's (computed in
 * float64).  For each optimizer case: three steps of dbv_optim_step with
 * the recorded gradients and learning rates against torch.optim.
 *
 * Tolerances (dbv computes in float32; PyTorch's own float32 run is about
 * 1e-6 from the float64 reference, see the generator's output):
 *   logits                  max|a - ref| <= 1e-4 * (1 + max|ref|)
 *   running statistics      max|a - ref| <= 1e-5 * (1 + max|ref|)
 *   loss                    |a - ref| <= 1e-5 * (1 + |ref|)
 *   gradients               ||g - ref|| <= 1e-3 * ||ref|| + GRAD_FLOOR * G
 *                           with G the norm of the model's whole gradient
 *                           (the floor serves the biases of convolutions
 *                           followed by BN, whose exact gradient is 0);
 *                           for sampled tensors (fcnet) the same bound on
 *                           the error norm estimated from the samples and
 *                           on the difference of the whole norms
 *   optimizer               max|p - ref| <= 3e-7 * (1 + max|ref|)
 *                           (tight enough to see Adam's 1 - beta2 taken
 *                           in float: 1 - 0.999f is 1.3e-5 off 0.001)
 * The worst error of each case, relative to its tolerance's scale, is
 * printed for the record.
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define TOL_OUT 1e-4
#define TOL_RUN 1e-5
#define TOL_LOSS 1e-5
#define TOL_GRAD 1e-3
#define GRAD_FLOOR 1e-6
#define TOL_OPT 3e-7

struct rec {
	char *name;
	struct dbv_tensor t;
};

struct fixture {
	const char *path;
	int fd;
	struct dbv_reader *r;
	const dbv_val *meta;
	struct rec *recs;
	size_t nrecs;
};

static int fixture_open(struct fixture *f, const char *path)
{
	const dbv_val *rec;
	int rc;

	memset(f, 0, sizeof *f);
	f->path = path;
	f->fd = open(path, O_RDONLY);
	if (f->fd < 0)
		return dbv_seterr(DBV_EIO, "%s: cannot open", path);
	f->r = dbv_reader_new(f->fd, path);
	if (!f->r)
		return DBV_EIO;
	if ((rc = dbv_reader_header(f->r, "fixture", NULL)))
		return rc;
	f->meta = dbv_reader_meta(f->r);
	while ((rc = dbv_reader_next(f->r, &rec)) == DBV_OK) {
		struct rec *nr;
		if (!dbv_record_is(rec, "tensor"))
			continue;
		nr = dbv_realloc(f->recs, (f->nrecs + 1) * sizeof *nr);
		if (!nr)
			return DBV_EIO;
		f->recs = nr;
		nr = &f->recs[f->nrecs];
		memset(nr, 0, sizeof *nr);
		if ((rc = dbv_val_strdup(dbv_map_get(rec, "name"), &nr->name)))
			return rc;
		f->nrecs++;
		if ((rc = dbv_get_tensor(rec, "value", &nr->t)))
			return rc;
	}
	return rc == DBV_END ? DBV_OK : rc;
}

static void fixture_close(struct fixture *f)
{
	for (size_t i = 0; i < f->nrecs; i++) {
		free(f->recs[i].name);
		dbv_tensor_release(&f->recs[i].t);
	}
	free(f->recs);
	dbv_reader_free(f->r);
	if (f->fd >= 0)
		close(f->fd);
	memset(f, 0, sizeof *f);
}

/* The tensor named prefix+key (key may be NULL), or NULL. */
static const struct dbv_tensor *get(const struct fixture *f,
				    const char *prefix, const char *key)
{
	char name[160];
	snprintf(name, sizeof name, "%s%s", prefix, key ? key : "");
	for (size_t i = 0; i < f->nrecs; i++)
		if (!strcmp(f->recs[i].name, name))
			return &f->recs[i].t;
	return NULL;
}

/* get() that requires dtype and element count (n = 0: any). */
static const struct dbv_tensor *need(const struct fixture *f,
				     const char *prefix, const char *key,
				     enum dbv_dtype dt, size_t n)
{
	const struct dbv_tensor *t = get(f, prefix, key);
	if (!t || t->dtype != dt || (n && dbv_tensor_numel(t) != n)) {
		fprintf(stderr, "%s: missing or malformed tensor %s%s\n", f->path,
			prefix, key ? key : "");
		CHECK(0);
		return NULL;
	}
	return t;
}

static double meta_double(const struct fixture *f, const char *key)
{
	double v = NAN;
	CHECK_OK(dbv_get_double(f->meta, key, &v));
	return v;
}

/* max|a - ref| / (1 + max|ref|) */
static double err_max(const float *a, const float *ref, size_t n)
{
	double d = 0, s = 0;
	for (size_t i = 0; i < n; i++) {
		double e = fabs((double)a[i] - ref[i]);
		if (!(e <= d))
			d = e; /* NaN sticks */
		if (fabs(ref[i]) > s)
			s = fabs(ref[i]);
	}
	return d / (1 + s);
}

static double norm_f(const float *a, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * a[i];
	return sqrt(s);
}

static double norm_diff(const float *a, const float *b, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++) {
		double d = (double)a[i] - b[i];
		s += d * d;
	}
	return sqrt(s);
}

struct worst {
	double v;
	char what[96];
};

/* Record e (an error divided by its tolerance) and fail when e > 1. */
static void judge(const char *path, struct worst *w, double e,
		  const char *what, const char *key)
{
	check_count_++;
	if (!(e <= 1)) {
		check_fails_++;
		fprintf(stderr, "%s: %s%s is off: error %.3g x tolerance\n",
			path, what, key ? key : "", e);
	}
	if (!(e <= w->v)) {
		w->v = e;
		snprintf(w->what, sizeof w->what, "%s%s", what, key ? key : "");
	}
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Load the parameters: param/KEY (or index/KEY for a sampled tensor, then
 * dbv_model_init must have given the recorded values), in table order. */
static void load_params(struct fixture *f, struct dbv_model *m)
{
	size_t k = 0;
	for (size_t i = 0; i < f->nrecs; i++) {
		const char *nm = f->recs[i].name, *key;
		const struct dbv_tensor *t = &f->recs[i].t;
		struct dbv_param *p;
		if (!strncmp(nm, "param/", 6))
			key = nm + 6;
		else if (!strncmp(nm, "index/", 6))
			key = nm + 6;
		else
			continue;
		if (k >= m->nparams) {
			fprintf(stderr, "%s: %s: dbv has no parameter %zu\n",
				f->path, nm, k);
			CHECK(0);
			return;
		}
		p = &m->params[k++];
		if (strcmp(p->name, key)) {
			fprintf(stderr, "%s: state_dict key %zu is %s, dbv's is %s\n",
				f->path, k - 1, key, p->name);
			CHECK(0);
			continue;
		}
		if (nm[0] == 'p') {
			CHECK_EQ_INT(t->ndim, p->ndim);
			CHECK_OK(dbv_model_set_param(m, key, strlen(key), t));
		} else {
			const struct dbv_tensor *v =
				need(f, "param_at/", key, DBV_F32, dbv_tensor_numel(t));
			const struct dbv_tensor *sh =
				need(f, "shape/", key, DBV_I64, (size_t)p->ndim);
			const int64_t *idx = t->data;
			size_t bad = 0;
			if (!v || !sh || t->dtype != DBV_I64) {
				CHECK(0);
				continue;
			}
			for (int d = 0; d < p->ndim; d++)
				CHECK_EQ_INT(((int64_t *)sh->data)[d], p->shape[d]);
			for (size_t j = 0; j < dbv_tensor_numel(t); j++)
				if (idx[j] < 0 || (size_t)idx[j] >= p->numel ||
				    m->p[p->offset + idx[j]] != ((float *)v->data)[j])
					bad++;
			if (bad)
				fprintf(stderr, "%s: %s: %zu values differ from dbv_model_init's\n",
					f->path, key, bad);
			CHECK(bad == 0);
		}
	}
	CHECK_EQ_INT(k, m->nparams);
}

static void model_case(struct fixture *f, unsigned *seen)
{
	static const char *const archs[] = {"mlp", "fcnet", "cnn5", "resnet18",
					    "vgg11", "vgg", "wrn", "densenet", "vit", "mixer"};
	struct dbv_arch a;
	struct dbv_model m;
	const struct dbv_tensor *x, *y, *t;
	struct worst wl = {0, ""}, wg = {0, ""}, wr = {0, ""}, we = {0, ""};
	struct worst wloss = {0, ""};
	double loss, eloss = 0, gall = 0;
	float *dl, *logits;
	int64_t seed;
	int n, k;

	CHECK_OK(dbv_arch_from_meta(f->meta, &a));
	for (int i = 0; i < 10; i++)
		if (!strcmp(a.name, archs[i]))
			*seen |= 1u << i;
	/* the token models' cases with dropout on: dbv's masks of this
	 * seed (also the other ones' masks: dropout 0 there) */
	if (dbv_map_get(f->meta, "dropout_seed"))
		*seen |= 1u << 10;
	if (dbv_model_build(&m, &a)) {
		fprintf(stderr, "%s: %s\n", f->path, dbv_errmsg());
		CHECK(0);
		return;
	}
	if (dbv_map_get(f->meta, "init_seed")) {
		CHECK_OK(dbv_get_i64(f->meta, "init_seed", &seed));
		dbv_model_init(&m, (uint64_t)seed);
	}
	load_params(f, &m);
	if (dbv_map_get(f->meta, "dropout_seed")) {
		CHECK_OK(dbv_get_i64(f->meta, "dropout_seed", &seed));
		m.drop_seed = (uint64_t)seed;
	}

	x = need(f, "input", NULL, DBV_F32, 0);
	y = need(f, "labels", NULL, DBV_I32, 0);
	if (!x || !y || x->ndim != 4) {
		CHECK(0);
		goto out;
	}
	n = (int)x->shape[0];
	k = a.classes;
	CHECK(x->shape[1] == a.c && x->shape[2] == a.h && x->shape[3] == a.w);
	CHECK_EQ_INT(dbv_tensor_numel(y), n);
	CHECK_OK(dbv_model_reserve(&m, n));
	logits = dbv_malloc((size_t)n * k * sizeof *logits);
	dl = dbv_malloc((size_t)n * k * sizeof *dl);
	if (!logits || !dl)
		abort();

	/* train forward, loss, backward */
	memcpy(logits, dbv_model_forward(&m, x->data, n, 1),
	       (size_t)n * k * sizeof *logits);
	loss = dbv_softmax_xent(n, k, logits, y->data, dl, NULL);
	dbv_model_zero_grad(&m);
	dbv_model_backward(&m, dl, n);

	if ((t = need(f, "logits", NULL, DBV_F32, (size_t)n * k)))
		judge(f->path, &wl, err_max(logits, t->data, (size_t)n * k) / TOL_OUT,
		      "logits", NULL);
	if ((t = need(f, "loss", NULL, DBV_F64, 1))) {
		double ref = *(double *)t->data;
		eloss = fabs(loss - ref) / (1 + fabs(ref)) / TOL_LOSS;
		judge(f->path, &wloss, eloss, "loss", NULL);
	}

	/* gradients: first the norm of the whole reference gradient */
	for (size_t i = 0; i < m.nparams; i++) {
		const struct dbv_param *p = &m.params[i];
		if (p->kind > DBV_P_BN_BIAS)
			continue;
		if ((t = get(f, "grad/", p->name)))
			gall += pow(norm_f(t->data, dbv_tensor_numel(t)), 2);
		else if ((t = get(f, "grad_norm/", p->name)) && t->dtype == DBV_F64)
			gall += pow(*(double *)t->data, 2);
	}
	gall = sqrt(gall);
	CHECK(gall > 0);
	for (size_t i = 0; i < m.nparams; i++) {
		const struct dbv_param *p = &m.params[i];
		const float *g = m.g + p->offset;
		const struct dbv_tensor *ix, *gs, *gn;
		if (p->kind > DBV_P_BN_BIAS) {
			if (!(t = need(f, "running/", p->name,
				       p->kind == DBV_P_COUNTER ? DBV_I64 : DBV_F32,
				       p->numel)))
				continue;
			if (p->kind == DBV_P_COUNTER)
				judge(f->path, &wr,
				      m.p[p->offset] == (float)*(int64_t *)t->data ? 0 : 2,
				      "running/", p->name);
			else
				judge(f->path, &wr,
				      err_max(m.p + p->offset, t->data, p->numel) / TOL_RUN,
				      "running/", p->name);
			continue;
		}
		if ((t = get(f, "grad/", p->name))) {
			double e;
			CHECK(t->dtype == DBV_F32 && dbv_tensor_numel(t) == p->numel);
			if (t->dtype != DBV_F32 || dbv_tensor_numel(t) != p->numel)
				continue;
			e = norm_diff(g, t->data, p->numel) /
			    (TOL_GRAD * norm_f(t->data, p->numel) + GRAD_FLOOR * gall);
			judge(f->path, &wg, e, "grad/", p->name);
			continue;
		}
		/* sampled: the error's norm over the whole tensor estimated
		 * from the samples, and the whole gradient's norm */
		ix = need(f, "index/", p->name, DBV_I64, 0);
		gs = ix ? need(f, "grad_at/", p->name, DBV_F32,
			       dbv_tensor_numel(ix)) : NULL;
		gn = need(f, "grad_norm/", p->name, DBV_F64, 1);
		if (!ix || !gs || !gn)
			continue;
		{
			size_t s = dbv_tensor_numel(ix);
			const int64_t *idx = ix->data;
			const float *ref = gs->data;
			double d = 0, ngn = *(double *)gn->data;
			for (size_t j = 0; j < s; j++) {
				double e = g[idx[j]] - (double)ref[j];
				d += e * e;
			}
			d = sqrt(d * (double)p->numel / (double)s);
			judge(f->path, &wg, d / (TOL_GRAD * ngn + GRAD_FLOOR * gall),
			      "grad_at/", p->name);
			judge(f->path, &wg,
			      fabs(norm_f(g, p->numel) - ngn) /
				      (TOL_GRAD * ngn + GRAD_FLOOR * gall),
			      "grad_norm/", p->name);
		}
	}

	/* eval forward after the train forward */
	if ((t = need(f, "eval_logits", NULL, DBV_F32, (size_t)n * k)))
		judge(f->path, &we,
		      err_max(dbv_model_forward(&m, x->data, n, 0), t->data,
			      (size_t)n * k) / TOL_OUT,
		      "eval_logits", NULL);

	printf("  %-22s error/tolerance: logits %.2g, loss %.2g, worst grad %.2g"
	       " (%s), worst running %.2g (%s), eval logits %.2g\n",
	       base(f->path), wl.v, eloss, wg.v, wg.what, wr.v,
	       wr.what[0] ? wr.what : "-", we.v);
	free(logits);
	free(dl);
out:
	dbv_model_release(&m);
}

static void optim_case(struct fixture *f, unsigned *seen)
{
	struct dbv_arch a;
	struct dbv_model m;
	struct dbv_train_cfg c;
	struct dbv_optim o;
	const dbv_val *lrs = dbv_map_get(f->meta, "lrs");
	const char *s;
	size_t sl;
	int64_t steps = 0;
	int nest = 0;
	struct worst w = {0, ""};

	CHECK_OK(dbv_arch_from_meta(f->meta, &a));
	CHECK_OK(dbv_model_build(&m, &a));
	load_params(f, &m);
	dbv_train_cfg_default(&c);
	CHECK_OK(dbv_val_str(dbv_map_get(f->meta, "optim"), &s, &sl));
	CHECK(sl > 0 && sl < sizeof c.optim);
	memcpy(c.optim, s, sl < sizeof c.optim ? sl : 0);
	if (!strcmp(c.optim, "sgd"))
		*seen |= 1u << 11;
	if (!strcmp(c.optim, "adam"))
		*seen |= 1u << 12;
	if (!strcmp(c.optim, "adamw"))
		*seen |= 1u << 13;
	c.momentum = meta_double(f, "momentum");
	c.weight_decay = meta_double(f, "weight_decay");
	CHECK_OK(dbv_val_bool(dbv_map_get(f->meta, "nesterov"), &nest));
	c.nesterov = nest;
	if (nest)
		*seen |= 1u << 14;
	c.beta1 = meta_double(f, "beta1");
	c.beta2 = meta_double(f, "beta2");
	c.adam_eps = meta_double(f, "eps");
	CHECK_OK(dbv_get_i64(f->meta, "steps", &steps));
	CHECK(steps >= 1 && dbv_val_len(lrs) == (size_t)steps);
	CHECK_OK(dbv_train_cfg_check(&c));
	CHECK_OK(dbv_optim_init(&o, &m, &c));
	for (int64_t st = 1; st <= steps && dbv_val_len(lrs) == (size_t)steps; st++) {
		char pre[32];
		double lr = NAN;
		CHECK_OK(dbv_val_double(dbv_array_at(lrs, (size_t)st - 1), &lr));
		snprintf(pre, sizeof pre, "step%lld/grad/", (long long)st);
		for (size_t i = 0; i < m.nparams; i++) {
			const struct dbv_param *p = &m.params[i];
			const struct dbv_tensor *t =
				need(f, pre, p->name, DBV_F32, p->numel);
			if (t)
				memcpy(m.g + p->offset, t->data, p->numel * sizeof(float));
		}
		dbv_optim_step(&o, &m, &c, lr);
		snprintf(pre, sizeof pre, "step%lld/param/", (long long)st);
		for (size_t i = 0; i < m.nparams; i++) {
			const struct dbv_param *p = &m.params[i];
			const struct dbv_tensor *t =
				need(f, pre, p->name, DBV_F32, p->numel);
			char what[48];
			snprintf(what, sizeof what, "step%lld/param/", (long long)st);
			if (t)
				judge(f->path, &w,
				      err_max(m.p + p->offset, t->data, p->numel) / TOL_OPT,
				      what, p->name);
		}
	}
	printf("  %-22s error/tolerance: worst %.2g (%s)\n", base(f->path), w.v,
	       w.what);
	dbv_optim_release(&o);
	dbv_model_release(&m);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *dir = getenv("DBV_TORCH_FIXTURES");
	char **names = NULL;
	size_t nn = 0;
	unsigned seen = 0;
	DIR *d;
	struct dirent *e;

	if (!dir)
		dir = "tests/fixtures/torch";
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "test_torch: cannot open %s (run from the repository root)\n",
			dir);
		CHECK(0);
		return check_done();
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char **nx;
		if (l < 5 || strcmp(e->d_name + l - 4, ".dbv"))
			continue;
		nx = realloc(names, (nn + 1) * sizeof *nx);
		if (!nx)
			abort();
		names = nx;
		names[nn] = malloc(strlen(dir) + l + 2);
		if (!names[nn])
			abort();
		sprintf(names[nn++], "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, nn, sizeof *names, cmp_str);

	for (size_t i = 0; i < nn; i++) {
		struct fixture f;
		int rc = fixture_open(&f, names[i]);
		if (rc) {
			fprintf(stderr, "%s: %s\n", names[i], dbv_errmsg());
			CHECK(0);
		} else if (dbv_map_get(f.meta, "optim")) {
			optim_case(&f, &seen);
		} else {
			model_case(&f, &seen);
		}
		fixture_close(&f);
		free(names[i]);
	}
	free(names);
	/* every architecture and optimizer has a case */
	CHECK_EQ_INT(seen, 0x7fff);
	fflush(stdout);
	return check_done();
}
