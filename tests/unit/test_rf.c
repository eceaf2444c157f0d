/*
 * test_rf.c - squared loss and the random-features model: the loss and
 * its gradient against a direct sum and finite differences; the rf
 * model's fixed layer (drawn within its bounds, never trained nor
 * decayed, no gradient); dbv_lstsq_minnorm against the normal equations
 * solved here by Gaussian elimination; and gradient descent from zero
 * converging to the same minimum-norm fit as dbv_rf_lstsq.
 */
#include <string.h>

#include "check.h"

/* Solve the s x s system g y = r (k right-hand sides, row-major [s, k])
 * in place by Gaussian elimination with partial pivoting. */
static void gauss(int s, int k, double *g, double *r)
{
	for (int c = 0; c < s; c++) {
		int p = c;
		for (int i = c + 1; i < s; i++)
			if (fabs(g[i * s + c]) > fabs(g[p * s + c]))
				p = i;
		for (int j = 0; j < s; j++) {
			double t = g[c * s + j]; g[c * s + j] = g[p * s + j]; g[p * s + j] = t;
		}
		for (int j = 0; j < k; j++) {
			double t = r[c * k + j]; r[c * k + j] = r[p * k + j]; r[p * k + j] = t;
		}
		for (int i = 0; i < s; i++) {
			if (i == c)
				continue;
			double f = g[i * s + c] / g[c * s + c];
			for (int j = 0; j < s; j++)
				g[i * s + j] -= f * g[c * s + j];
			for (int j = 0; j < k; j++)
				r[i * k + j] -= f * r[c * k + j];
		}
	}
	for (int i = 0; i < s; i++)
		for (int j = 0; j < k; j++)
			r[i * k + j] /= g[i * s + i];
}

/* The minimum-norm least-squares solution x [f, k] of a [n, f] x = b
 * [n, k] (row-major), a of full rank: x = a' (a a')^-1 b when n <= f,
 * (a' a)^-1 a' b otherwise. */
static void minnorm_ref(int n, int f, int k, const double *a, const double *b,
			double *x)
{
	int s = n <= f ? n : f;
	double *g = calloc((size_t)s * s, sizeof *g), *r = calloc((size_t)s * k, sizeof *r);

	for (int i = 0; i < s; i++)
		for (int j = 0; j < s; j++)
			for (int l = 0; l < (n <= f ? f : n); l++)
				g[i * s + j] += n <= f ? a[i * f + l] * a[j * f + l]
						       : a[l * f + i] * a[l * f + j];
	for (int i = 0; i < s; i++)
		for (int j = 0; j < k; j++)
			if (n <= f)
				r[i * k + j] = b[i * k + j];
			else
				for (int l = 0; l < n; l++)
					r[i * k + j] += a[l * f + i] * b[l * k + j];
	gauss(s, k, g, r);
	for (int i = 0; i < f; i++)
		for (int j = 0; j < k; j++) {
			if (n > f) {
				x[i * k + j] = r[i * k + j];
				continue;
			}
			x[i * k + j] = 0;
			for (int l = 0; l < n; l++)
				x[i * k + j] += a[l * f + i] * r[l * k + j];
		}
	free(g);
	free(r);
}

/* ---- the squared loss --------------------------------------------------- */

static void test_mse(void)
{
	enum { n = 5, k = 4 };
	struct dbv_rng r;
	float z[n * k], d[n * k];
	int32_t y[n];
	double want = 0;
	int correct, want_correct = 0;

	dbv_rng_seed(&r, 11);
	for (int i = 0; i < n * k; i++)
		z[i] = 4 * dbv_rng_float(&r) - 2;
	for (int i = 0; i < n; i++) {
		y[i] = (int32_t)dbv_rng_below(&r, k);
		int am = 0;
		for (int j = 0; j < k; j++) {
			double e = z[i * k + j] - (j == y[i] ? 1.0 : 0.0);
			want += e * e;
			if (z[i * k + j] > z[i * k + am])
				am = j;
		}
		want_correct += am == y[i];
	}
	want /= n * k;
	double loss = dbv_mse_onehot(n, k, z, y, d, &correct);
	CHECK_NEAR(loss, want, 1e-12);
	CHECK_EQ_INT(correct, want_correct);
	CHECK_NEAR(dbv_loss("mse", n, k, z, y, NULL, NULL), want, 1e-12);
	CHECK(fabs(dbv_loss("xent", n, k, z, y, NULL, NULL) - want) > 1e-3);
	/* Central differences of the loss in double: the loss is quadratic,
	 * so they are exact up to rounding. */
	for (int i = 0; i < n * k; i++) {
		float keep = z[i], h = 1e-2f;
		z[i] = keep + h;
		double up = dbv_mse_onehot(n, k, z, y, NULL, NULL);
		z[i] = keep - h;
		double down = dbv_mse_onehot(n, k, z, y, NULL, NULL);
		z[i] = keep;
		CHECK_NEAR(d[i], (up - down) / (2.0 * h), 2e-6);
	}
	y[2] = k; /* not a class: NaN */
	CHECK(isnan(dbv_mse_onehot(n, k, z, y, NULL, NULL)));
}

/* ---- the rf model -------------------------------------------------------- */

static const struct dbv_arch rf = {.name = "rf", .width = 30, .depth = 1,
				   .c = 1, .h = 3, .w = 3, .classes = 3};

static void test_rf_model(void)
{
	struct dbv_model m;
	struct dbv_train_cfg c;
	struct dbv_optim o;
	float x[2 * 9];

	CHECK_OK(dbv_model_build(&m, &rf));
	dbv_model_init(&m, 5);
	CHECK_EQ_INT(m.nparams, 3);
	struct dbv_param *fw = dbv_model_param(&m, "features.weight");
	struct dbv_param *w = dbv_model_param(&m, "fc.weight");
	struct dbv_param *b = dbv_model_param(&m, "fc.bias");
	CHECK(fw && w && b && fw->kind == DBV_P_FIXED);
	CHECK(fw->shape[0] == 30 && fw->shape[1] == 9 && w->shape[0] == 3 && w->shape[1] == 30);
	CHECK_EQ_INT(dbv_model_count(&m, 1), 3 * 30 + 3);
	/* U(-a, a), a = sqrt(3/(9*30)): in bounds, variance near a^2/3. */
	double a = sqrt(3.0 / (9 * 30)), var = 0, fmax = 0;
	for (size_t i = 0; i < fw->numel; i++) {
		double v = m.p[fw->offset + i];
		var += v * v;
		fmax = fabs(v) > fmax ? fabs(v) : fmax;
	}
	var /= (double)fw->numel;
	CHECK(fmax <= a && fmax > 0.9 * a);
	CHECK_NEAR(var, a * a / 3, 0.15 * a * a / 3);
	for (size_t i = 0; i < w->numel; i++)
		CHECK(m.p[w->offset + i] == 0);
	/* Another seed, other features. */
	struct dbv_model m2;
	CHECK_OK(dbv_model_build(&m2, &rf));
	dbv_model_init(&m2, 6);
	CHECK(memcmp(m.p + fw->offset, m2.p + fw->offset, fw->numel * sizeof(float)));
	dbv_model_release(&m2);
	/* A step with weight decay moves fc only; features get no gradient. */
	float *keep = malloc(fw->numel * sizeof *keep);
	memcpy(keep, m.p + fw->offset, fw->numel * sizeof *keep);
	for (int i = 0; i < 18; i++)
		x[i] = (float)(i % 7) - 3;
	CHECK_OK(dbv_model_reserve(&m, 2));
	for (const char *opt = "sgd"; opt; opt = strcmp(opt, "sgd") ? NULL : "adamw") {
		dbv_train_cfg_default(&c);
		strcpy(c.optim, opt);
		c.weight_decay = 0.5;
		CHECK_OK(dbv_optim_init(&o, &m, &c));
		float dl[6] = {1, -1, 0.5f, 0.25f, 0, -2};
		dbv_model_forward(&m, x, 2, 1);
		dbv_model_zero_grad(&m);
		dbv_model_backward(&m, dl, 2);
		for (size_t i = 0; i < fw->numel; i++)
			CHECK(m.g[fw->offset + i] == 0);
		double gsum = 0;
		for (size_t i = 0; i < w->numel; i++)
			gsum += fabs(m.g[w->offset + i]);
		CHECK(gsum > 0);
		dbv_optim_step(&o, &m, &c, 0.1);
		CHECK(!memcmp(keep, m.p + fw->offset, fw->numel * sizeof *keep));
		dbv_optim_release(&o);
	}
	free(keep);
	dbv_model_release(&m);
	/* An unknown architecture names rf among the known. */
	struct dbv_arch bad = rf;
	strcpy(bad.name, "rff");
	CHECK_RC(dbv_model_build(&m, &bad), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "rf)") != NULL);
}

/* ---- least squares ------------------------------------------------------- */

static void check_lstsq(int n, int f, int k, uint64_t seed)
{
	struct dbv_rng r;
	int ldb = n > f ? n : f, rank = 0;
	double *a = malloc((size_t)n * f * sizeof *a), *acm = malloc((size_t)n * f * sizeof *a);
	double *b = malloc((size_t)n * k * sizeof *b), *bcm = calloc((size_t)ldb * k, sizeof *b);
	double *x = malloc((size_t)f * k * sizeof *x);

	dbv_rng_seed(&r, seed);
	for (int i = 0; i < n * f; i++)
		a[i] = 2 * dbv_rng_float(&r) - 1;
	for (int i = 0; i < n * k; i++)
		b[i] = dbv_rng_float(&r);
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < f; j++)
			acm[(size_t)j * n + i] = a[i * f + j];
		for (int j = 0; j < k; j++)
			bcm[(size_t)j * ldb + i] = b[i * k + j];
	}
	CHECK_OK(dbv_lstsq_minnorm(n, f, k, acm, bcm, &rank));
	CHECK_EQ_INT(rank, n < f ? n : f);
	minnorm_ref(n, f, k, a, b, x);
	for (int i = 0; i < f; i++)
		for (int j = 0; j < k; j++)
			CHECK_NEAR(bcm[(size_t)j * ldb + i], x[i * k + j], 1e-9);
	free(a), free(acm), free(b), free(bcm), free(x);
}

/* Twelve 1x3x3 images of three classes, the labels partly at random
 * (nothing separates them but memorising). */
static void make_set(struct dbv_dataset *d)
{
	struct dbv_rng r;
	enum { n = 12 };

	memset(d, 0, sizeof *d);
	dbv_rng_seed(&r, 21);
	d->n = n;
	d->c = 1;
	d->h = d->w = 3;
	d->nclasses = 3;
	d->x = malloc(n * 9);
	d->y = malloc(n * sizeof *d->y);
	for (int i = 0; i < n; i++) {
		d->y[i] = (int32_t)dbv_rng_below(&r, 3);
		for (int j = 0; j < 9; j++)
			d->x[i * 9 + j] = (uint8_t)dbv_rng_below(&r, 256);
	}
	d->mean[0] = 0.5;
	d->std[0] = 0.25;
}

/* Gradient descent from zero (full batch, SGD with momentum: updates stay
 * in the span of the features, so the limit is the minimum-norm fit)
 * against dbv_rf_lstsq through the trainer, and both against the normal
 * equations on the features computed here. */
static void test_gd_limit(void)
{
	struct dbv_dataset d;
	struct dbv_train_cfg c;
	struct dbv_trainer gd, ls;
	static const struct dbv_train_hooks none;

	make_set(&d);
	dbv_train_cfg_default(&c);
	strcpy(c.loss, "mse");
	c.batch = 12;
	c.lr = 5;
	c.epochs = 20000;
	c.seed = 3;
	c.threads = 1;
	CHECK_OK(dbv_trainer_init(&gd, &rf, &c, &d, NULL));
	CHECK_OK(dbv_trainer_run(&gd, &none));
	strcpy(c.optim, "lstsq");
	c.epochs = 1;
	CHECK_OK(dbv_train_cfg_check(&c));
	CHECK_OK(dbv_trainer_init(&ls, &rf, &c, &d, NULL));
	CHECK_OK(dbv_trainer_run(&ls, &none));
	CHECK_NEAR(ls.st.logs[0].train_acc, 1, 0);
	CHECK(ls.st.logs[0].train_loss < 1e-9);

	/* The reference: features by hand (relu(W x)), then [features, 1]. */
	struct dbv_model *m = &ls.model;
	const float *fw = m->p + dbv_model_param(m, "features.weight")->offset;
	enum { n = 12, f = 31, k = 3 };
	double a[n * f], b[n * k], x[f * k];
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < f - 1; j++) {
			double s = 0;
			for (int l = 0; l < 9; l++)
				s += fw[j * 9 + l] * ((d.x[i * 9 + l] / 255.0 - 0.5) / 0.25);
			a[i * f + j] = s > 0 ? s : 0;
		}
		a[i * f + f - 1] = 1;
		for (int j = 0; j < k; j++)
			b[i * k + j] = j == d.y[i];
	}
	minnorm_ref(n, f, k, a, b, x);
	const float *lw = m->p + dbv_model_param(m, "fc.weight")->offset;
	const float *lb = m->p + dbv_model_param(m, "fc.bias")->offset;
	struct dbv_model *g = &gd.model;
	const float *gw = g->p + dbv_model_param(g, "fc.weight")->offset;
	const float *gb = g->p + dbv_model_param(g, "fc.bias")->offset;
	double xmax = 0;
	for (int i = 0; i < f * k; i++)
		xmax = fabs(x[i]) > xmax ? fabs(x[i]) : xmax;
	CHECK(xmax > 0.1);
	for (int j = 0; j < k; j++) {
		for (int i = 0; i < f - 1; i++) {
			CHECK_NEAR(lw[j * (f - 1) + i], x[i * k + j], 1e-4 * xmax);
			CHECK_NEAR(gw[j * (f - 1) + i], x[i * k + j], 1e-3 * xmax);
		}
		CHECK_NEAR(lb[j], x[(f - 1) * k + j], 1e-4 * xmax);
		CHECK_NEAR(gb[j], x[(f - 1) * k + j], 1e-3 * xmax);
	}
	dbv_trainer_release(&gd);
	dbv_trainer_release(&ls);
	/* Refusals: another arch, another loss, more epochs. */
	struct dbv_arch mlp = rf;
	strcpy(mlp.name, "mlp");
	CHECK_OK(dbv_trainer_init(&ls, &mlp, &c, &d, NULL));
	CHECK_RC(dbv_trainer_run(&ls, &none), DBV_EUSAGE);
	dbv_trainer_release(&ls);
	c.epochs = 2;
	CHECK_RC(dbv_train_cfg_check(&c), DBV_EUSAGE);
	c.epochs = 1;
	strcpy(c.loss, "xent");
	CHECK_RC(dbv_train_cfg_check(&c), DBV_EUSAGE);
	strcpy(c.loss, "l1");
	strcpy(c.optim, "sgd");
	CHECK_RC(dbv_train_cfg_check(&c), DBV_EUSAGE);
	free(d.x);
	free(d.y);
}

int main(void)
{
	test_mse();
	test_rf_model();
	check_lstsq(7, 19, 3, 1); /* under-determined */
	check_lstsq(30, 9, 2, 2); /* over-determined */
	check_lstsq(10, 10, 1, 3);
	test_gd_limit();
	return check_done();
}
