/*
 * test_models.c - whole-network gradient checks for every architecture,
 * parameter tables, initialisation, schedules, batch making, model stream
 * round trips.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

/* Mean cross-entropy of the model on (x, y) in train mode. */
static double loss_of(struct dbv_model *m, const float *x, const int32_t *y,
		      int n, float *dl)
{
	const float *logits = dbv_model_forward(m, x, n, 1);
	return dbv_softmax_xent(n, m->arch.classes, logits, y, dl, NULL);
}

/*
 * Central differences (eps 1e-4: batch norm over 4 values is far from
 * linear at 1e-2) on a sample of every trainable tensor.  Kinks of
 * ReLU and max pool can spoil a few samples; a wrong backward spoils
 * most, so the test allows 5% of samples off and checks the relative
 * error of the sampled gradient vector as a whole.
 */
static void gradcheck_arch(const struct dbv_arch *a0)
{
	struct dbv_arch a = *a0;
	const char *arch = a.name;
	int width = a.width, c = a.c, h = a.h, w = a.w;
	struct dbv_model m;
	struct dbv_rng r;
	const int n = 4;
	float x[4 * 3 * 16 * 16], dl[4 * 3];
	int32_t y[4] = {0, 1, 2, 1};
	size_t sampled = 0, bad = 0;
	double num2 = 0, diff2 = 0;

	CHECK_OK(dbv_model_build(&m, &a));
	if (!m.p)
		return;
	dbv_model_init(&m, 7);
	m.drop_seed = 123; /* dropout's masks fixed across the differences */
	CHECK_OK(dbv_model_reserve(&m, n));
	dbv_rng_seed(&r, 99);
	for (int i = 0; i < n * c * h * w; i++)
		x[i] = (float)dbv_rng_normal(&r);
	loss_of(&m, x, y, n, dl);
	dbv_model_zero_grad(&m);
	dbv_model_backward(&m, dl, n);
	float *g = malloc(m.total * sizeof *g);
	memcpy(g, m.g, m.total * sizeof *g);
	for (size_t pi = 0; pi < m.nparams; pi++) {
		const struct dbv_param *p = &m.params[pi];
		if (p->kind > DBV_P_BN_BIAS)
			continue;
		for (int k = 0; k < 6; k++) {
			size_t j = p->offset + dbv_rng_below(&r, p->numel);
			float keep = m.p[j];
			const float eps = getenv("EPS") ? (float)atof(getenv("EPS")) : 1e-4f;
			m.p[j] = keep + eps;
			double lp = loss_of(&m, x, y, n, dl);
			m.p[j] = keep - eps;
			double lm = loss_of(&m, x, y, n, dl);
			m.p[j] = keep;
			double num = (lp - lm) / (2.0 * eps), ana = g[j];
			sampled++;
			num2 += num * num;
			diff2 += (num - ana) * (num - ana);
			if (fabs(num - ana) > 2e-2 * fmax(fabs(num), fabs(ana)) + 2e-3) {
				bad++;
				if (bad <= 3)
					fprintf(stderr, "  %s %s[%zu]: numeric %.6g analytic %.6g\n",
						arch, p->name, j - p->offset, num, ana);
			}
		}
	}
	fprintf(stderr, "gradcheck %-8s w%d: %zu samples, %zu off, relative error %.2e\n",
		arch, width, sampled, bad, sqrt(diff2 / (num2 + 1e-30)));
	CHECK(bad * 20 <= sampled);
	CHECK(sqrt(diff2 / (num2 + 1e-30)) < 0.05);
	free(g);
	dbv_model_release(&m);
}

static void gradcheck(const char *arch, int width, int depth, int c, int h,
		      int w)
{
	struct dbv_arch a = {.width = width, .depth = depth, .c = c, .h = h,
			     .w = w, .classes = 3};

	strcpy(a.name, arch);
	gradcheck_arch(&a);
}

/* The token models, small, dropout on (masks fixed by m.drop_seed). */
static void gradcheck_tokens(void)
{
	struct dbv_arch v = {.name = "vit", .width = 8, .depth = 2, .c = 3,
			     .h = 8, .w = 8, .classes = 3, .patch = 4,
			     .heads = 2, .dim_head = 4, .mlp_dim = 12,
			     .dropout = 0.2f, .emb_dropout = 0.1f};
	struct dbv_arch x = {.name = "mixer", .width = 6, .depth = 2, .c = 1,
			     .h = 8, .w = 12, .classes = 3, .patch = 2,
			     .expansion = 2, .dropout = 0.2f};

	gradcheck_arch(&v);
	gradcheck_arch(&x);
}

/* The token models: parameter counts from the reference code's modules,
 * the state_dict order, the defaults and the refusals. */
static void test_token_tables(void)
{
	struct dbv_arch v, x;
	struct dbv_model m;
	size_t t = 49, d = 512, want;

	/* vit on 1x28x28 with the paper's defaults: 49 patches of 16 */
	dbv_arch_init(&v);
	strcpy(v.name, "vit");
	v.c = 1, v.h = v.w = 28, v.classes = 10;
	CHECK_OK(dbv_model_build(&m, &v));
	CHECK_EQ_INT(m.arch.depth, 6);
	CHECK_EQ_INT(m.arch.width, 512);
	CHECK(m.arch.dropout == 0.1 && m.arch.emb_dropout == 0.1);
	want = (t + 1) * d + d + (16 * d + d) +
	       6 * (2 * d + 3 * 512 * d + (512 * d + d) + 2 * d +
		    (512 * d + 512) + (512 * d + d)) + 2 * d + (d * 10 + 10);
	CHECK_EQ_INT(dbv_model_count(&m, 1), want);
	CHECK(!strcmp(m.params[0].name, "pos_embedding"));
	CHECK(!strcmp(m.params[1].name, "cls_token"));
	CHECK(!strcmp(m.params[2].name, "to_patch_embedding.1.weight"));
	CHECK(dbv_model_param(&m, "transformer.layers.5.0.fn.to_qkv.weight") != NULL);
	CHECK(dbv_model_param(&m, "transformer.layers.5.0.fn.to_qkv.bias") == NULL);
	CHECK(!strcmp(m.params[m.nparams - 1].name, "mlp_head.1.bias"));
	dbv_model_release(&m);

	/* mixer on 3x32x32: 64 patches of 48, depth 12, expansion 4 */
	dbv_arch_init(&x);
	strcpy(x.name, "mixer");
	x.c = 3, x.h = x.w = 32, x.classes = 10;
	CHECK_OK(dbv_model_build(&m, &x));
	t = 64;
	want = (48 * d + d) +
	       12 * (2 * d + (4 * t * t + 4 * t) + (4 * t * t + t) + 2 * d +
		     (4 * d * d + 4 * d) + (4 * d * d + d)) + 2 * d + (d * 10 + 10);
	CHECK_EQ_INT(dbv_model_count(&m, 1), want);
	CHECK(dbv_model_param(&m, "2.0.fn.0.weight")->ndim == 3);
	CHECK(dbv_model_param(&m, "13.1.fn.3.bias") != NULL);
	CHECK(dbv_model_param(&m, "14.weight") != NULL); /* final LayerNorm */
	CHECK(!strcmp(m.params[m.nparams - 1].name, "16.bias"));
	dbv_model_release(&m);

	/* a patch that does not divide the input; a bad option */
	x.patch = 5;
	CHECK_RC(dbv_model_build(&m, &x), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "patch size 5") != NULL);
	CHECK_RC(dbv_arch_option(&x, "heads", "0"), DBV_EUSAGE);
	CHECK_RC(dbv_arch_option(&x, "dropout", "1"), DBV_EUSAGE);
	CHECK_RC(dbv_arch_option(&x, "kernel", "3"), DBV_EUSAGE);
	CHECK_OK(dbv_arch_option(&x, "dim-head", "16"));
	CHECK_EQ_INT(x.dim_head, 16);
	CHECK_OK(dbv_arch_option(&x, "emb_dropout", "0.25"));
	CHECK(x.emb_dropout == 0.25);
	/* options the architecture lacks are refused */
	x.patch = 4;
	CHECK_RC(dbv_model_build(&m, &x), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "mixer has no option 'dim-head'") != NULL);
	dbv_arch_init(&v);
	strcpy(v.name, "cnn5");
	v.c = 1, v.h = v.w = 28, v.classes = 10, v.patch = 4;
	CHECK_RC(dbv_model_build(&m, &v), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "cnn5 has no option 'patch'") != NULL);
}

static void test_tables(void)
{
	struct dbv_arch a = {.name = "resnet18", .width = 64, .c = 3, .h = 32,
			     .w = 32, .classes = 10};
	struct dbv_model m;
	CHECK_OK(dbv_model_build(&m, &a));
	/* The standard pre-activation ResNet-18 on CIFAR-10 has 11,171,146
	 * trainable parameters (torchvision-style count of Liu's model). */
	CHECK_EQ_INT(dbv_model_count(&m, 1), 11171146);
	CHECK(dbv_model_param(&m, "layer2.0.shortcut.0.weight") != NULL);
	CHECK(dbv_model_param(&m, "layer1.0.shortcut.0.weight") == NULL);
	CHECK(dbv_model_param(&m, "layer4.1.bn2.running_var") != NULL);
	CHECK(!strcmp(m.params[0].name, "conv1.weight"));
	CHECK(!strcmp(m.params[m.nparams - 1].name, "linear.bias"));
	dbv_model_release(&m);

	/* cnn5 K=16 on 28x28: conv biases included. */
	struct dbv_arch c5 = {.name = "cnn5", .width = 16, .c = 1, .h = 28,
			      .w = 28, .classes = 10};
	CHECK_OK(dbv_model_build(&m, &c5));
	size_t want = (16 * 9 + 16) + (32 * 16 * 9 + 32) + (64 * 32 * 9 + 64) +
		      (128 * 64 * 9 + 128) + 2 * (16 + 32 + 64 + 128) +
		      (10 * 128 + 10);
	CHECK_EQ_INT(dbv_model_count(&m, 1), want);
	dbv_model_release(&m);

	/* mlp 784-256-10 */
	struct dbv_arch ml = {.name = "mlp", .width = 256, .depth = 1, .c = 1,
			      .h = 28, .w = 28, .classes = 10};
	CHECK_OK(dbv_model_build(&m, &ml));
	CHECK_EQ_INT(dbv_model_count(&m, 1), 784 * 256 + 256 + 256 * 10 + 10);
	dbv_model_release(&m);

	/* Refusals */
	struct dbv_arch bad = c5;
	bad.h = bad.w = 4; /* pooled away */
	CHECK_RC(dbv_model_build(&m, &bad), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "shrinks to nothing") != NULL);
	bad = c5;
	strcpy(bad.name, "lenet");
	CHECK_RC(dbv_model_build(&m, &bad), DBV_EUSAGE);
	bad = c5;
	bad.width = 65537;
	CHECK_RC(dbv_model_build(&m, &bad), DBV_EUSAGE);
	/* width 0: the architecture's default (16; the token models' 512) */
	bad.width = 0;
	CHECK_OK(dbv_model_build(&m, &bad));
	CHECK_EQ_INT(m.arch.width, 16);
	dbv_model_release(&m);
	test_token_tables();
}

static void test_init(void)
{
	struct dbv_arch a = {.name = "cnn5", .width = 4, .c = 1, .h = 16, .w = 16,
			     .classes = 10};
	struct dbv_model m1, m2, m3;
	CHECK_OK(dbv_model_build(&m1, &a));
	CHECK_OK(dbv_model_build(&m2, &a));
	CHECK_OK(dbv_model_build(&m3, &a));
	dbv_model_init(&m1, 1);
	dbv_model_init(&m2, 1);
	dbv_model_init(&m3, 2);
	CHECK(!memcmp(m1.p, m2.p, m1.total * sizeof(float)));
	CHECK(memcmp(m1.p, m3.p, m1.total * sizeof(float)) != 0);
	/* bounds 1/sqrt(fan_in); BN weight 1, running var 1 */
	const struct dbv_param *w = dbv_model_param(&m1, "conv2.weight");
	float mx = 0;
	for (size_t i = 0; i < w->numel; i++)
		mx = fmaxf(mx, fabsf(m1.p[w->offset + i]));
	CHECK(mx <= 1.0f / sqrtf(4 * 9) && mx > 0.8f / sqrtf(4 * 9));
	CHECK(m1.p[dbv_model_param(&m1, "bn3.weight")->offset] == 1);
	CHECK(m1.p[dbv_model_param(&m1, "bn3.running_var")->offset + 2] == 1);
	CHECK(m1.p[dbv_model_param(&m1, "bn3.running_mean")->offset + 2] == 0);
	dbv_model_release(&m1);
	dbv_model_release(&m2);
	dbv_model_release(&m3);
}

/*
 * wrn's initialisation (the paper's reference code): convolutions
 * N(0, 2/fan_out) with fan_out = cout*k*k, the linear bias 0, its weight
 * PyTorch's default, BN 1 and 0.  The sample standard deviation of the
 * largest convolution (64x64x3x3, 36864 values) within 3% of the target,
 * the mean near 0, and the tables' tails (|v| > 3 sd) rare.
 */
static void test_wrn_init(void)
{
	struct dbv_arch a = {.name = "wrn", .width = 1, .depth = 10, .c = 3,
			     .h = 8, .w = 8, .classes = 10};
	struct dbv_model m;
	static const struct { const char *name; double fan_out; } cs[] = {
		{ "conv1.weight", 16 * 9 }, { "block3.layer.0.conv2.weight", 64 * 9 },
		{ "block3.layer.0.convShortcut.weight", 64 },
	};

	CHECK_OK(dbv_model_build(&m, &a));
	dbv_model_init(&m, 5);
	for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
		const struct dbv_param *p = dbv_model_param(&m, cs[k].name);
		double s1 = 0, s2 = 0, sd = sqrt(2 / cs[k].fan_out), tail = 0;

		CHECK(p != NULL);
		if (!p)
			continue;
		for (size_t i = 0; i < p->numel; i++) {
			double v = m.p[p->offset + i];

			s1 += v;
			s2 += v * v;
			tail += fabs(v) > 3 * sd;
		}
		s1 /= (double)p->numel;
		s2 = sqrt(s2 / (double)p->numel - s1 * s1);
		CHECK(fabs(s2 / sd - 1) < (p->numel > 10000 ? 0.03 : 0.15));
		CHECK(fabs(s1) < 5 * sd / sqrt((double)p->numel));
		CHECK(tail / (double)p->numel < 0.01);
	}
	const struct dbv_param *fb = dbv_model_param(&m, "fc.bias");
	const struct dbv_param *fw = dbv_model_param(&m, "fc.weight");
	float mx = 0;

	for (size_t i = 0; i < fb->numel; i++)
		CHECK(m.p[fb->offset + i] == 0);
	for (size_t i = 0; i < fw->numel; i++)
		mx = fmaxf(mx, fabsf(m.p[fw->offset + i]));
	CHECK(mx <= 1 / sqrtf(64) && mx > 0.8f / sqrtf(64));
	CHECK(m.p[dbv_model_param(&m, "block2.layer.0.bn1.weight")->offset] == 1);
	CHECK(m.p[dbv_model_param(&m, "bn1.bias")->offset] == 0);
	dbv_model_release(&m);
}

/*
 * The new architectures' shapes and refusals: wrn's depth 6n+4, vgg's
 * 11/13/16/19 (and vgg --depth 11 the same table as vgg11), DenseNet's
 * channel counts (growth 32: 1024 features before the classifier, as
 * DenseNet-121), the default depths.
 */
static void test_new_archs(void)
{
	struct dbv_arch a = {.width = 1, .c = 3, .h = 32, .w = 32,
			     .classes = 10};
	struct dbv_model m, m2;
	static const int bad_wrn[] = { 4, 9, 12, 29 }, bad_vgg[] = { 1, 12, 20 };

	strcpy(a.name, "wrn");
	for (size_t i = 0; i < sizeof bad_wrn / sizeof *bad_wrn; i++) {
		a.depth = bad_wrn[i];
		CHECK(dbv_model_build(&m, &a) == DBV_EUSAGE);
	}
	strcpy(a.name, "vgg");
	for (size_t i = 0; i < sizeof bad_vgg / sizeof *bad_vgg; i++) {
		a.depth = bad_vgg[i];
		CHECK(dbv_model_build(&m, &a) == DBV_EUSAGE);
	}
	CHECK_EQ_INT(dbv_arch_default_depth("wrn"), 28);
	CHECK_EQ_INT(dbv_arch_default_depth("vgg"), 19);
	CHECK_EQ_INT(dbv_arch_default_depth("cnn5"), 1);
	/* vgg --depth 11 and vgg11: one parameter table */
	a.depth = 11;
	a.width = 2;
	CHECK_OK(dbv_model_build(&m, &a));
	strcpy(a.name, "vgg11");
	CHECK_OK(dbv_model_build(&m2, &a));
	CHECK(m.nparams == m2.nparams && m.total == m2.total);
	for (size_t i = 0; i < m.nparams && i < m2.nparams; i++)
		CHECK(!strcmp(m.params[i].name, m2.params[i].name));
	dbv_model_release(&m);
	dbv_model_release(&m2);
	/* VGG-19: 16 convolutions; the last is features.49 */
	strcpy(a.name, "vgg");
	a.depth = 19;
	CHECK_OK(dbv_model_build(&m, &a));
	CHECK(dbv_model_param(&m, "features.49.weight") != NULL);
	CHECK(dbv_model_param(&m, "features.52.weight") == NULL);
	dbv_model_release(&m);
	/* DenseNet-121: 2g + 6g = 256 -> 128 -> 512 -> 256 -> 1024 -> 512
	 * -> 1024 features; trans3.conv 1024 -> 512 */
	strcpy(a.name, "densenet");
	a.width = 32;
	CHECK_OK(dbv_model_build(&m, &a));
	const struct dbv_param *p = dbv_model_param(&m, "linear.weight");
	CHECK(p && p->shape[1] == 1024);
	p = dbv_model_param(&m, "trans3.conv.weight");
	CHECK(p && p->shape[0] == 512 && p->shape[1] == 1024);
	p = dbv_model_param(&m, "dense4.15.conv2.weight");
	CHECK(p && p->shape[0] == 32 && p->shape[1] == 128);
	dbv_model_release(&m);
	/* trained elements as PyTorch counts them (tests/gen/torch_fixtures.py
	 * modules, sum of p.numel()) on CIFAR-10 */
	static const struct { const char *name; int width, depth, n; } cs[] = {
		{ "densenet", 32, 1, 6956298 }, { "wrn", 1, 28, 369498 },
		{ "vgg", 8, 19, 315698 },
	};
	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++) {
		strcpy(a.name, cs[i].name);
		a.width = cs[i].width;
		a.depth = cs[i].depth;
		CHECK_OK(dbv_model_build(&m, &a));
		CHECK_EQ_INT(dbv_model_count(&m, 1), cs[i].n);
		dbv_model_release(&m);
	}
	strcpy(a.name, "densenet");
	/* 28x28 maps: 14, 7, 3; a 1x1 map cannot be pooled */
	a.width = 2;
	a.c = 1;
	a.h = a.w = 28;
	CHECK_OK(dbv_model_build(&m, &a));
	dbv_model_release(&m);
	a.h = a.w = 4;
	CHECK(dbv_model_build(&m, &a) == DBV_EUSAGE);
}

static void test_schedule(void)
{
	struct dbv_train_cfg c;
	dbv_train_cfg_default(&c);
	c.lr = 0.1;
	c.epochs = 8;
	/* 10 batches per epoch */
	CHECK_NEAR(dbv_train_lr(&c, 3, 5, 10), 0.1, 1e-15);
	strcpy(c.schedule, "step");
	c.nmilestones = 2;
	c.milestones[0] = 3;
	c.milestones[1] = 6;
	/* MultiStepLR(milestones=[3,6]) stepped per epoch: epochs 0-2 at
	 * 0.1 (all batches, the last included), 3-5 at 0.01, then 0.001 */
	CHECK_NEAR(dbv_train_lr(&c, 2, 9, 10), 0.1, 1e-15);
	CHECK_NEAR(dbv_train_lr(&c, 3, 0, 10), 0.01, 1e-15);
	CHECK_NEAR(dbv_train_lr(&c, 6, 5, 10), 0.001, 1e-15);
	strcpy(c.schedule, "cosine");
	/* CosineAnnealingLR(T_max = 80 steps): step i has
	 * 0.05*(1+cos(pi*i/80)) */
	CHECK_NEAR(dbv_train_lr(&c, 0, 0, 10), 0.1, 1e-15);
	CHECK_NEAR(dbv_train_lr(&c, 4, 0, 10), 0.05, 1e-12);
	CHECK_NEAR(dbv_train_lr(&c, 2, 0, 10), 0.05 * (1 + cos(M_PI / 4)), 1e-12);
	CHECK_NEAR(dbv_train_lr(&c, 7, 9, 10), 0.05 * (1 + cos(M_PI * 79 / 80)), 1e-12);
	CHECK(dbv_train_lr(&c, 7, 9, 10) > 0);
	c.warmup = 2;
	/* update 10 (epoch 1, batch 0): warm-up factor 11/20 */
	CHECK_NEAR(dbv_train_lr(&c, 1, 0, 10), 0.55 * 0.05 * (1 + cos(M_PI * 10 / 80)), 1e-12);
	CHECK_NEAR(dbv_train_lr(&c, 0, 0, 10), 0.1 / 20 * 1, 1e-12);
	CHECK_NEAR(dbv_train_lr(&c, 2, 0, 10), 0.05 * (1 + cos(M_PI * 20 / 80)), 1e-12);
	CHECK_OK(dbv_train_cfg_check(&c));
	c.warmup = 9;
	CHECK_RC(dbv_train_cfg_check(&c), DBV_EUSAGE);
}

static void test_make_batch(void)
{
	/* 2 items of 1x3x3: pixel = 10*i + k */
	uint8_t src[18];
	float out[18];
	int64_t idx[2] = {1, 0};
	double mean[1] = {0.5}, std[1] = {0.25};
	for (int i = 0; i < 18; i++)
		src[i] = (uint8_t)(10 * (i / 9) + i % 9);
	dbv_make_batch(src, 1, 3, 3, idx, 2, mean, std, 0, 0, NULL, out);
	for (int i = 0; i < 9; i++) {
		CHECK_NEAR(out[i], ((10 + i) / 255.0 - 0.5) / 0.25, 1e-5);
		CHECK_NEAR(out[9 + i], (i / 255.0 - 0.5) / 0.25, 1e-5);
	}
	/* Augmentation: every output is either a zero-padding value or a
	 * pixel of the item, and a flip-only batch is a mirror. */
	struct dbv_rng r;
	int flipped = 0, plain = 0;
	for (int t = 0; t < 40; t++) {
		dbv_rng_seed(&r, (uint64_t)t);
		dbv_make_batch(src, 1, 3, 3, idx, 1, mean, std, 0, 1, &r, out);
		int is_flip = fabsf(out[0] - (float)(((10 + 2) / 255.0 - 0.5) / 0.25)) < 1e-5f;
		flipped += is_flip;
		plain += !is_flip;
		for (int row = 0; row < 3; row++)
			for (int col = 0; col < 3; col++) {
				int sc = is_flip ? 2 - col : col;
				CHECK_NEAR(out[row * 3 + col],
					   ((10 + row * 3 + sc) / 255.0 - 0.5) / 0.25, 1e-5);
			}
	}
	CHECK(flipped > 5 && plain > 5);
	float pad = (float)((0 - 0.5) / 0.25);
	for (int t = 0; t < 40; t++) {
		dbv_rng_seed(&r, (uint64_t)t);
		uint64_t dy = dbv_rng_below(&r, 5), dx = dbv_rng_below(&r, 5);
		dbv_rng_seed(&r, (uint64_t)t);
		dbv_make_batch(src, 1, 3, 3, idx, 1, mean, std, 2, 0, &r, out);
		for (int row = 0; row < 3; row++)
			for (int col = 0; col < 3; col++) {
				int sr = row + (int)dy - 2, sc = col + (int)dx - 2;
				float want = (sr < 0 || sr > 2 || sc < 0 || sc > 2)
						     ? pad
						     : (float)(((10 + sr * 3 + sc) / 255.0 - 0.5) / 0.25);
				CHECK_NEAR(out[row * 3 + col], want, 1e-5);
			}
	}
}

static void test_sgd_by_hand(void)
{
	struct dbv_arch a = {.name = "mlp", .width = 2, .depth = 1, .c = 1,
			     .h = 1, .w = 2, .classes = 2};
	struct dbv_model m;
	struct dbv_optim o;
	struct dbv_train_cfg c;
	CHECK_OK(dbv_model_build(&m, &a));
	dbv_train_cfg_default(&c);
	c.momentum = 0.5;
	c.weight_decay = 0.1;
	c.nesterov = 1;
	CHECK_OK(dbv_optim_init(&o, &m, &c));
	m.p[0] = 1;
	m.g[0] = 2;
	/* step 1: d = 2 + 0.1 = 2.1; b = 2.1; d = 2.1 + 0.5*2.1 = 3.15 */
	dbv_optim_step(&o, &m, &c, 0.1);
	CHECK_NEAR(m.p[0], 1 - 0.315, 1e-6);
	/* step 2: d = 2 + 0.1*0.685 = 2.0685; b = 0.5*2.1 + 2.0685 = 3.1185;
	 * d = 2.0685 + 0.5*3.1185 = 3.62775 */
	dbv_optim_step(&o, &m, &c, 0.1);
	CHECK_NEAR(m.p[0], 0.685 - 0.362775, 1e-6);
	dbv_optim_release(&o);
	dbv_model_release(&m);
}

static void test_model_stream(const char *tmp)
{
	struct dbv_arch a = {.name = "vgg11", .width = 2, .c = 3, .h = 8, .w = 8,
			     .classes = 4};
	struct dbv_model m, m2;
	char path[600];
	char *argv[] = {"t", NULL};
	double mean[4] = {0.1, 0.2, 0.3, 0}, std[4] = {0.5, 0.6, 0.7, 1};
	double mean2[4], std2[4];
	snprintf(path, sizeof path, "%s/model.dbv", tmp);
	CHECK_OK(dbv_model_build(&m, &a));
	dbv_model_init(&m, 3);
	m.p[dbv_model_param(&m, "features.1.num_batches_tracked")->offset] = 17;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct dbv_writer *w = dbv_writer_new(fd, "t");
	dbv_writer_header_begin(w, "model", NULL, 1, argv, DBV_MODEL_META_PAIRS);
	dbv_model_write_meta(w, &m, NULL, mean, std);
	dbv_writer_header_end(w);
	dbv_model_write_params(w, &m);
	CHECK_OK(dbv_writer_finish(w));
	dbv_writer_free(w);
	close(fd);
	fd = open(path, O_RDONLY);
	struct dbv_reader *r = dbv_reader_new(fd, path);
	CHECK_OK(dbv_model_read(r, &m2, mean2, std2));
	CHECK(m2.total == m.total && !memcmp(m.p, m2.p, m.total * sizeof(float)));
	CHECK(mean2[2] == 0.3 && std2[1] == 0.6);
	dbv_reader_free(r);
	close(fd);
	dbv_model_release(&m);
	dbv_model_release(&m2);
}

/*
 * dbv_model_reserve_eval shares buffers between slots whose lives do not
 * overlap: evaluation through it must give the logits of the ordinary
 * reservation bit for bit, for every architecture (after a training step,
 * so that BN's running statistics are not trivial), with less memory.
 */
static void test_eval_arena(void)
{
	static const struct { const char *name; int width, depth, c, h; } as[] = {
		{ "mlp", 7, 2, 1, 8 }, { "fcnet", 1, 1, 1, 8 },
		{ "cnn5", 2, 1, 3, 16 }, { "resnet18", 2, 1, 3, 16 },
		{ "vgg11", 4, 1, 1, 16 }, { "vgg", 2, 13, 1, 16 },
		{ "wrn", 1, 10, 3, 16 }, { "densenet", 2, 0, 1, 16 },
		{ "densenet", 3, 0, 3, 12 },
	};
	for (size_t k = 0; k < sizeof as / sizeof as[0]; k++) {
		struct dbv_arch a = {.width = as[k].width, .depth = as[k].depth,
				     .c = as[k].c, .h = as[k].h, .w = as[k].h,
				     .classes = 4};
		struct dbv_model m1, m2;
		struct dbv_rng r;
		const int n = 5, f = a.c * a.h * a.w;
		float *x = malloc((size_t)n * f * sizeof *x);
		const float *l1, *l2;
		size_t full = 0;

		strcpy(a.name, as[k].name);
		CHECK_OK(dbv_model_build(&m1, &a));
		CHECK_OK(dbv_model_build(&m2, &a));
		dbv_model_init(&m1, 3);
		dbv_rng_seed(&r, 5);
		for (int i = 0; i < n * f; i++)
			x[i] = (float)dbv_rng_normal(&r);
		CHECK_OK(dbv_model_reserve(&m1, n));
		dbv_model_forward(&m1, x, n, 1); /* running statistics move */
		memcpy(m2.p, m1.p, m1.total * sizeof(float));
		CHECK_OK(dbv_model_reserve_eval(&m2, n));
		CHECK(dbv_model_forward(&m2, x, n, 1) == NULL);
		for (int rep = 0; rep < 2; rep++) { /* n, then fewer */
			int nn = rep ? 3 : n;

			l1 = dbv_model_forward(&m1, x, nn, 0);
			l2 = dbv_model_forward(&m2, x, nn, 0);
			CHECK(l1 && l2 && memcmp(l1, l2, (size_t)nn * 4 * sizeof *l1) == 0);
		}
		/* The arena's extent against one buffer per slot. */
		size_t used = 0;
		for (int i = 1; i < m1.nslots; i++) {
			size_t end = (size_t)(m2.act[i] - m2.arena) +
				     m2.slot_size[i] * n;
			full += m1.slot_size[i] * n;
			if (end > used)
				used = end;
		}
		if (strcmp(as[k].name, "mlp") && strcmp(as[k].name, "fcnet"))
			CHECK(used < full / 2);
		dbv_model_release(&m1);
		dbv_model_release(&m2);
		free(x);
	}
}

/*
 * The fused BN + ReLU passes (forward in both modes, backward) against
 * the two ops run apart (no_fuse), and densenet's shared BN statistics
 * against every BN computing its own (no_share): logits, every gradient
 * and the running statistics bit for bit, for every architecture, with
 * 2 threads.
 */
static void test_fusion(void)
{
	static const struct { const char *name; int width, depth, c, h; } as[] = {
		{ "mlp", 7, 2, 1, 8 }, { "cnn5", 2, 1, 3, 16 },
		{ "resnet18", 2, 1, 3, 16 }, { "vgg11", 4, 1, 1, 16 },
		{ "wrn", 1, 10, 3, 16 }, { "densenet", 2, 0, 1, 16 },
	};
	for (size_t k = 0; k < sizeof as / sizeof as[0]; k++) {
		struct dbv_arch a = {.width = as[k].width, .depth = as[k].depth,
				     .c = as[k].c, .h = as[k].h, .w = as[k].h,
				     .classes = 4};
		struct dbv_model m[3];
		struct dbv_rng r;
		const int n = 6, f = a.c * a.h * a.w;
		float *x = malloc((size_t)n * f * sizeof *x), dl[6 * 4];
		int32_t y[6] = { 0, 1, 2, 3, 0, 1 };
		const float *lt[3], *le[3];

		strcpy(a.name, as[k].name);
		dbv_rng_seed(&r, 21);
		for (int i = 0; i < n * f; i++)
			x[i] = (float)dbv_rng_normal(&r);
		for (int v = 0; v < 3; v++) {
			CHECK_OK(dbv_model_build(&m[v], &a));
			dbv_model_init(&m[v], 4);
			m[v].no_fuse = v == 1;
			m[v].no_share = v == 2;
			CHECK_OK(dbv_model_reserve(&m[v], n));
			lt[v] = dbv_model_forward(&m[v], x, n, 1);
			dbv_softmax_xent(n, 4, lt[v], y, dl, NULL);
			dbv_model_zero_grad(&m[v]);
			dbv_model_backward(&m[v], dl, n);
			le[v] = dbv_model_forward(&m[v], x, n, 0);
		}
		for (int v = 1; v < 3; v++) {
			CHECK(memcmp(m[0].g, m[v].g, m[0].total * sizeof(float)) == 0);
			CHECK(memcmp(m[0].p, m[v].p, m[0].total * sizeof(float)) == 0);
			CHECK(memcmp(le[0], le[v], (size_t)n * 4 * sizeof(float)) == 0);
		}
		for (int v = 0; v < 3; v++)
			dbv_model_release(&m[v]);
		free(x);
	}
}

/*
 * The token models' evaluation by chunks of items (dbv_model_reserve_eval
 * on a vit or mixer) against the layer-by-layer forward of the ordinary
 * reservation, in evaluation mode: the same logits to float rounding
 * (within 1e-5 of the largest: the AVX-512 linears and attention sum in
 * other orders than OpenBLAS, GELU's vector form rounds apart), for 37
 * items (two full chunks and a part, dropout on and skipped), then 5;
 * bit for bit the same with 1 and with 2 threads (a chunk is one
 * thread's whole).
 */
static void test_tok_eval(void)
{
	struct dbv_arch as[2] = {
		{.name = "vit", .width = 16, .depth = 2, .c = 1, .h = 12, .w = 12,
		 .classes = 5, .patch = 4, .heads = 2, .dim_head = 8,
		 .mlp_dim = 32, .dropout = 0.2f, .emb_dropout = 0.1f},
		{.name = "mixer", .width = 16, .depth = 2, .c = 3, .h = 8, .w = 8,
		 .classes = 5, .patch = 2, .expansion = 2, .dropout = 0.2f},
	};
	const int n = 37;

	for (int k = 0; k < 2; k++) {
		struct dbv_model m1, m2, m3;
		const int f = as[k].c * as[k].h * as[k].w;
		float *x = malloc((size_t)n * f * sizeof *x), *l2 = NULL;
		struct dbv_rng r;
		double worst = 0, big = 0;

		CHECK_OK(dbv_model_build(&m1, &as[k]));
		CHECK_OK(dbv_model_build(&m2, &as[k]));
		CHECK_OK(dbv_model_build(&m3, &as[k]));
		dbv_model_init(&m1, 11);
		memcpy(m2.p, m1.p, m1.total * sizeof(float));
		memcpy(m3.p, m1.p, m1.total * sizeof(float));
		dbv_rng_seed(&r, 7);
		for (int i = 0; i < n * f; i++)
			x[i] = (float)dbv_rng_normal(&r);
		dbv_threads_set(2);
		CHECK_OK(dbv_model_reserve(&m1, n));
		CHECK_OK(dbv_model_reserve_eval(&m2, n));
		CHECK(dbv_model_forward(&m2, x, n, 1) == NULL);
		dbv_threads_set(1);
		CHECK_OK(dbv_model_reserve_eval(&m3, n));
		for (int rep = 0; rep < 2; rep++) {
			int nn = rep ? 5 : n;
			const float *l1, *l3;

			dbv_threads_set(2);
			l1 = dbv_model_forward(&m1, x, nn, 0);
			free(l2);
			l2 = malloc((size_t)nn * 5 * sizeof *l2);
			memcpy(l2, dbv_model_forward(&m2, x, nn, 0),
			       (size_t)nn * 5 * sizeof *l2);
			for (int i = 0; i < nn * 5; i++)
				big = fabs(l1[i]) > big ? fabs(l1[i]) : big;
			for (int i = 0; i < nn * 5; i++) {
				double e = fabs((double)l1[i] - l2[i]) / big;

				worst = e > worst ? e : worst;
			}
			dbv_threads_set(1);
			l3 = dbv_model_forward(&m3, x, nn, 0);
			CHECK(memcmp(l2, l3, (size_t)nn * 5 * sizeof *l3) == 0);
		}
		CHECK(worst < 1e-5);
		printf("chunked eval %-5s: worst difference %.2e of the largest logit %.3g\n",
		       as[k].name, worst, big);
		dbv_threads_set(2);
		dbv_model_release(&m1);
		dbv_model_release(&m2);
		dbv_model_release(&m3);
		free(x);
		free(l2);
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	dbv_blas_fix_core(argv);
	const char *tmp = check_tmpdir();
	test_tables();
	test_init();
	test_wrn_init();
	test_new_archs();
	test_schedule();
	test_make_batch();
	test_sgd_by_hand();
	test_model_stream(tmp);
	test_eval_arena();
	test_fusion();
	gradcheck("mlp", 5, 2, 1, 4, 4);
	gradcheck("fcnet", 1, 0, 1, 4, 4);
	gradcheck("cnn5", 2, 0, 1, 12, 12);
	gradcheck("resnet18", 2, 0, 3, 8, 8);
	gradcheck("vgg11", 2, 0, 3, 8, 8);
	/* Deeper nets: float32 central differences lose to rounding (VGG-13
	 * and -19 at these sizes have 5-15% of samples off by noise alone);
	 * test_torch.c holds vgg --depth 19 and both below against PyTorch
	 * in float64. */
	gradcheck("wrn", 1, 10, 3, 8, 8);
	gradcheck("densenet", 1, 0, 3, 12, 12);
	gradcheck("densenet", 2, 0, 1, 16, 16);
	gradcheck_tokens();
	test_tok_eval();
	return check_done();
}
