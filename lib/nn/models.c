/*
 * models.c - architectures by name as a small static graph of layer ops.
 *
 * A model is a list of ops in execution order over activation "slots".
 * Slot 0 is the input [n, c*h*w] (NCHW, normalised).  Spatial slots hold
 * [C, n, H, W], flat slots [n, F] (see "Layers" in dbv.h).  Forward runs
 * the ops in order; backward runs them in reverse, each adding into the
 * gradient slots of its inputs and into m->g.  Parameters and buffers sit
 * in one allocation (m->p), gradients in another (m->g), at the offsets of
 * the parameter table, which is in PyTorch state_dict order.  A slot may
 * be a view: a range of channels of another slot's [C, n, H, W] buffer
 * (DenseNet's concatenations, see dense_block).  The layers
 * run their own threads; the loops here (the residual add, zeroing the
 * gradients) split their ranges across dbv_threads() too (lib/base/par.h).
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

enum op_type {
	OP_TOCNHW, OP_CONV, OP_BN, OP_RELU, OP_MAXPOOL, OP_GAP, OP_GMP,
	OP_LINEAR, OP_ADD, OP_AVGPOOL,
	/* the token models (lib/nn/tokens.c, attn.c) */
	OP_PATCH, OP_TLINEAR, OP_CLSPOS, OP_LN, OP_GELU, OP_DROP, OP_ATTN,
	OP_TOKMIX, OP_TOKMEAN, OP_TOKEN0
};

struct dbv_op {
	enum op_type type;
	int in, in2, out;     /* slots */
	int c, h, w;          /* input geometry (spatial ops)            */
	int fin, fout;        /* linear sizes                            */
	struct dbv_conv conv;
	int pw, pb;           /* weight/bias (BN: gamma/beta) params     */
	int prm, prv, pnbt;   /* BN buffers                              */
	size_t save;          /* BN: offset of saved mean/invstd         */
	int stats, fresh;     /* BN: shared statistics (m->bn_stats
				 offset, -1: none), and its first fresh
				 channels (dbv_bn_forward_train_shared) */
	int tok, dim;         /* token ops: input tokens and features    */
	int heads, dh, patch; /* attention, patches                      */
	int site;             /* dropout: its rank among the dropouts    */
	float drop;           /* dropout probability                     */
};

/* Evaluation of the token models by chunks (reserve_tok_eval). */
struct dbv_tok_eval {
	int chunk, nt;   /* items a chunk, threads with buffers */
	size_t per;      /* floats of one thread's buffers */
	float *arena;    /* nt * per floats */
	float *out;      /* the logits [batch, classes] */
	float **act;     /* thread t's slot pointers at t * nslots */
	/* per op: */
	float **wp;      /* a token linear's packed weights (NULL: sgemm) */
	int *ep, *res;   /* its epilogue (DBV_TL_*), the residual's slot */
	char *skip;      /* run as an earlier linear's epilogue */
	char *fast;      /* an attention dbv_attn_forward_eval runs */
	float *wbuf;     /* the packed weights */
};

#define BN_MOMENTUM ((float)DBV_BN_MOMENTUM)
#define BN_EPS ((float)DBV_BN_EPS)

/* ---- construction ---- */

struct builder {
	struct dbv_model *m;
	int cur;           /* current slot */
	int c, h, w;       /* current spatial shape (when !flat) */
	int flat;
	int f;             /* current features (when flat) */
	size_t bn_save;
	size_t bn_stats;   /* doubles of shared BN statistics */
	int rc;
	int tok, dim;      /* token models: [n, tok*dim], f = tok*dim */
	int drop_sites;    /* dropouts so far (emitted or not)        */
};

static void *grow(void *p, size_t n, size_t size)
{
	/* Grow arrays by one element at a time; models have < 200 ops. */
	return dbv_realloc(p, (n + 1) * size);
}

static int new_slot(struct builder *b, int flat, size_t per_item)
{
	struct dbv_model *m = b->m;
	size_t *s = grow(m->slot_size, (size_t)m->nslots, sizeof *s);
	if (!s)
		return b->rc = DBV_EIO, -1;
	m->slot_size = s;
	int *f = grow(m->slot_flat, (size_t)m->nslots, sizeof *f);
	if (!f)
		return b->rc = DBV_EIO, -1;
	m->slot_flat = f;
	s[m->nslots] = per_item;
	f[m->nslots] = flat;
	if (!(f = grow(m->slot_parent, (size_t)m->nslots, sizeof *f)))
		return b->rc = DBV_EIO, -1;
	m->slot_parent = f;
	f[m->nslots] = -1;
	if (!(s = grow(m->slot_off, (size_t)m->nslots, sizeof *s)))
		return b->rc = DBV_EIO, -1;
	m->slot_off = s;
	s[m->nslots] = 0;
	return m->nslots++;
}

static struct dbv_op *new_op(struct builder *b, enum op_type t)
{
	struct dbv_model *m = b->m;
	struct dbv_op *o;
	if (b->rc)
		return NULL;
	o = grow(m->ops, (size_t)m->nops, sizeof *o);
	if (!o) {
		b->rc = DBV_EIO;
		return NULL;
	}
	m->ops = o;
	o = &m->ops[m->nops++];
	memset(o, 0, sizeof *o);
	o->type = t;
	o->in = b->cur;
	o->in2 = -1;
	o->pw = o->pb = o->prm = o->prv = o->pnbt = o->stats = -1;
	o->c = b->c;
	o->h = b->h;
	o->w = b->w;
	return o;
}

static int add_param(struct builder *b, const char *prefix, const char *name,
		     enum dbv_param_kind kind, int ndim, const int64_t *shape,
		     int fan_in)
{
	struct dbv_model *m = b->m;
	struct dbv_param *p;
	if (b->rc)
		return -1;
	p = grow(m->params, m->nparams, sizeof *p);
	if (!p) {
		b->rc = DBV_EIO;
		return -1;
	}
	m->params = p;
	p = &m->params[m->nparams];
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s%s%s", prefix, *prefix ? "." : "",
		 name);
	p->kind = kind;
	p->ndim = ndim;
	p->numel = 1;
	for (int i = 0; i < ndim; i++) {
		p->shape[i] = shape[i];
		p->numel *= (size_t)shape[i];
	}
	p->offset = m->total;
	p->fan_in = fan_in;
	m->total += p->numel;
	return (int)m->nparams++;
}

/* Register a conv's parameters (PyTorch order: weight, bias). */
static void reg_conv(struct builder *b, const char *name, int cin, int cout,
		     int k, int bias, int *pw, int *pb)
{
	int64_t ws[4] = {cout, cin, k, k}, bs[1] = {cout};
	*pw = add_param(b, name, "weight", DBV_P_WEIGHT, 4, ws, cin * k * k);
	*pb = bias ? add_param(b, name, "bias", DBV_P_BIAS, 1, bs, cin * k * k) : -1;
}

static void op_conv_p(struct builder *b, int cout, int k, int stride, int pad,
		      int pw, int pb)
{
	struct dbv_op *o = new_op(b, OP_CONV);
	if (!o)
		return;
	if (dbv_conv_init(&o->conv, b->c, cout, k, stride, pad, b->h, b->w)) {
		b->rc = dbv_seterr(DBV_EUSAGE,
				   "the input shrinks to nothing: a %dx%d convolution (stride %d) on a %dx%d map",
				   k, k, stride, b->h, b->w);
		return;
	}
	o->pw = pw;
	o->pb = pb;
	b->c = cout;
	b->h = o->conv.oh;
	b->w = o->conv.ow;
	o->out = new_slot(b, 0, (size_t)b->c * (size_t)b->h * (size_t)b->w);
	b->cur = o->out;
}

static void op_conv(struct builder *b, const char *name, int cout, int k,
		    int stride, int pad, int bias)
{
	int pw, pb;
	reg_conv(b, name, b->c, cout, k, bias, &pw, &pb);
	op_conv_p(b, cout, k, stride, pad, pw, pb);
}

static void op_bn(struct builder *b, const char *name)
{
	int64_t s[1] = {b->c};
	int pw = add_param(b, name, "weight", DBV_P_BN_WEIGHT, 1, s, 0);
	int pb = add_param(b, name, "bias", DBV_P_BN_BIAS, 1, s, 0);
	int prm = add_param(b, name, "running_mean", DBV_P_BN_MEAN, 1, s, 0);
	int prv = add_param(b, name, "running_var", DBV_P_BN_VAR, 1, s, 0);
	int pnbt = add_param(b, name, "num_batches_tracked", DBV_P_COUNTER, 0, s, 0);
	struct dbv_op *o = new_op(b, OP_BN);
	if (!o)
		return;
	o->pw = pw;
	o->pb = pb;
	o->prm = prm;
	o->prv = prv;
	o->pnbt = pnbt;
	o->save = b->bn_save;
	b->bn_save += 2 * (size_t)b->c;
	o->out = new_slot(b, 0, (size_t)b->c * (size_t)b->h * (size_t)b->w);
	b->cur = o->out;
}

static void op_relu(struct builder *b)
{
	struct dbv_op *o = new_op(b, OP_RELU);
	if (!o)
		return;
	o->fin = b->flat ? b->f : 0;
	o->out = new_slot(b, b->flat, b->m->slot_size[b->cur]);
	b->cur = o->out;
}

/* A 2x2 pool of stride 2: OP_MAXPOOL or OP_AVGPOOL. */
static void op_pool2(struct builder *b, enum op_type t)
{
	struct dbv_op *o;
	if (b->h < 2 || b->w < 2) {
		b->rc = dbv_seterr(DBV_EUSAGE,
				   "the input shrinks to nothing: a 2x2 %s pool on a %dx%d map",
				   t == OP_MAXPOOL ? "max" : "average", b->h, b->w);
		return;
	}
	o = new_op(b, t);
	if (!o)
		return;
	b->h /= 2;
	b->w /= 2;
	o->out = new_slot(b, 0, (size_t)b->c * (size_t)b->h * (size_t)b->w);
	b->cur = o->out;
}

static void op_maxpool(struct builder *b)
{
	op_pool2(b, OP_MAXPOOL);
}

static void op_gpool(struct builder *b, enum op_type t)
{
	struct dbv_op *o = new_op(b, t);
	if (!o)
		return;
	b->flat = 1;
	b->f = b->c;
	o->out = new_slot(b, 1, (size_t)b->f);
	b->cur = o->out;
}

static void op_linear(struct builder *b, const char *name, int out, int bias)
{
	int64_t ws[2] = {out, b->f}, bs[1] = {out};
	int pw = add_param(b, name, "weight", DBV_P_WEIGHT, 2, ws, b->f);
	int pb = bias ? add_param(b, name, "bias", DBV_P_BIAS, 1, bs, b->f) : -1;
	struct dbv_op *o = new_op(b, OP_LINEAR);
	if (!o)
		return;
	o->pw = pw;
	o->pb = pb;
	o->fin = b->f;
	o->fout = out;
	b->f = out;
	o->out = new_slot(b, 1, (size_t)out);
	b->cur = o->out;
}

static void op_add(struct builder *b, int other)
{
	struct dbv_op *o = new_op(b, OP_ADD);
	if (!o)
		return;
	o->in2 = other;
	o->out = new_slot(b, 0, b->m->slot_size[b->cur]);
	b->cur = o->out;
}

static void op_to_cnhw(struct builder *b)
{
	struct dbv_op *o = new_op(b, OP_TOCNHW);
	if (!o)
		return;
	b->flat = 0;
	o->out = new_slot(b, 0, (size_t)b->c * (size_t)b->h * (size_t)b->w);
	b->cur = o->out;
}

/* Pre-activation basic block (as in Kuang Liu's PreActBlock, the model of
 * Nakkiran et al.'s ResNet18-k):
 *   a = relu(bn1(x)); sc = shortcut(a) if shapes change else x;
 *   y = conv2(relu(bn2(conv1(a)))) + sc
 * sc_name names the shortcut convolution: "shortcut.0" (resnet18),
 * "convShortcut" (wrn).                                                */
static void preact_block(struct builder *b, const char *name, int planes,
			 int stride, const char *sc_name)
{
	char pre[96];
	int x = b->cur, in_planes = b->c, a, ah, aw;
	int c1w, c1b, c2w, c2b, scw = -1, scb;
	int need_sc = stride != 1 || in_planes != planes;

	snprintf(pre, sizeof pre, "%s.bn1", name);
	op_bn(b, pre);
	op_relu(b);
	a = b->cur;
	ah = b->h;
	aw = b->w;
	/* Register parameters in PyTorch's order: bn1, conv1, bn2, conv2,
	 * shortcut; bn2 is registered by op_bn below, so conv1 first. */
	snprintf(pre, sizeof pre, "%s.conv1", name);
	reg_conv(b, pre, in_planes, planes, 3, 0, &c1w, &c1b);
	op_conv_p(b, planes, 3, stride, 1, c1w, c1b);
	snprintf(pre, sizeof pre, "%s.bn2", name);
	op_bn(b, pre);
	op_relu(b);
	snprintf(pre, sizeof pre, "%s.conv2", name);
	reg_conv(b, pre, planes, planes, 3, 0, &c2w, &c2b);
	op_conv_p(b, planes, 3, 1, 1, c2w, c2b);
	if (b->rc)
		return;
	if (need_sc) {
		int y = b->cur, yc = b->c, yh = b->h, yw = b->w;
		snprintf(pre, sizeof pre, "%s.%s", name, sc_name);
		reg_conv(b, pre, in_planes, planes, 1, 0, &scw, &scb);
		/* run the shortcut conv on a */
		b->cur = a;
		b->c = in_planes;
		b->h = ah;
		b->w = aw;
		op_conv_p(b, planes, 1, stride, 0, scw, scb);
		if (b->rc)
			return;
		x = b->cur;
		b->cur = y;
		b->c = yc;
		b->h = yh;
		b->w = yw;
	}
	op_add(b, x);
}

/* ---- wrn, vgg, densenet ---- */

/* VGG-`depth` (Kuang Liu's VGG): cfg in multiples of the width k (64 is
 * the paper's), 0 a 2x2 max pool; each number conv3x3 (bias) + BN + ReLU,
 * numbered as the Sequential `features` numbers its modules. */
static void vgg(struct builder *b, int k, int depth, int classes)
{
	static const int c11[] = {1, 0, 2, 0, 4, 4, 0, 8, 8, 0, 8, 8, 0, -1};
	static const int c13[] = {1, 1, 0, 2, 2, 0, 4, 4, 0, 8, 8, 0, 8, 8,
				  0, -1};
	static const int c16[] = {1, 1, 0, 2, 2, 0, 4, 4, 4, 0, 8, 8, 8, 0,
				  8, 8, 8, 0, -1};
	static const int c19[] = {1, 1, 0, 2, 2, 0, 4, 4, 4, 4, 0, 8, 8, 8,
				  8, 0, 8, 8, 8, 8, 0, -1};
	const int *cfg = depth == 11 ? c11 : depth == 13 ? c13 :
			 depth == 16 ? c16 : depth == 19 ? c19 : NULL;
	char name[48];
	int idx = 0;

	if (!cfg) {
		b->rc = dbv_seterr(DBV_EUSAGE,
				   "vgg has --depth 11, 13, 16 or 19, not %d", depth);
		return;
	}
	op_to_cnhw(b);
	for (; *cfg >= 0; cfg++) {
		if (!*cfg) {
			/* Skip a pool once the map is 1 pixel wide. */
			if (b->h >= 2 && b->w >= 2) {
				op_maxpool(b);
				idx++;
			}
			continue;
		}
		snprintf(name, sizeof name, "features.%d", idx);
		op_conv(b, name, k * *cfg, 3, 1, 1, 1);
		snprintf(name, sizeof name, "features.%d", idx + 1);
		op_bn(b, name);
		op_relu(b);
		idx += 3;
	}
	op_gpool(b, OP_GAP);
	op_linear(b, "classifier", classes, 1);
}

/* WideResNet-depth-k as the paper's reference code has it: its basic
 * block is preact_block (the pre-activation feeds the 1x1 shortcut when
 * the shape changes), named convShortcut; convolutions Kaiming normal
 * (fan out), the linear bias 0. */
static void wrn(struct builder *b, int k, int depth, int classes)
{
	char name[48];
	int nb = (depth - 4) / 6;

	if (depth < 10 || (depth - 4) % 6) {
		b->rc = dbv_seterr(DBV_EUSAGE,
				   "wrn needs a --depth of 6n+4 (10, 16, 22, 28, 34, 40, ...), not %d",
				   depth);
		return;
	}
	op_to_cnhw(b);
	op_conv(b, "conv1", 16, 3, 1, 1, 0);
	for (int g = 0; g < 3; g++)
		for (int i = 0; i < nb; i++) {
			snprintf(name, sizeof name, "block%d.layer.%d", g + 1, i);
			preact_block(b, name, (16 * k) << g,
				     g > 0 && i == 0 ? 2 : 1, "convShortcut");
		}
	op_bn(b, "bn1");
	op_relu(b);
	op_gpool(b, OP_GAP);
	op_linear(b, "fc", classes, 1);
	for (size_t i = 0; !b->rc && i < b->m->nparams; i++) {
		struct dbv_param *p = &b->m->params[i];

		if (p->kind == DBV_P_WEIGHT && p->ndim == 4)
			p->init = DBV_INIT_KAIMING_OUT;
		else if (p->kind == DBV_P_BIAS)
			p->init = DBV_INIT_ZERO;
	}
}

/* Make slot s a view of `parent`'s channels from c0 on. */
static void make_view(struct builder *b, int s, int parent, int c0)
{
	if (b->rc)
		return;
	b->m->slot_parent[s] = parent;
	b->m->slot_off[s] = (size_t)c0 * (size_t)b->h * (size_t)b->w;
}

/* The BN just built shares the batch statistics at m->bn_stats + at,
 * computing its first `fresh` channels'. */
static void share_stats(struct builder *b, int at, int fresh)
{
	if (b->rc)
		return;
	b->m->ops[b->m->nops - 1].stats = at;
	b->m->ops[b->m->nops - 1].fresh = fresh;
}

/*
 * A dense block of `layers` bottlenecks of growth g (Kuang Liu's
 * Bottleneck: BN-ReLU-conv1x1(4g)-BN-ReLU-conv3x3(g)), each followed by
 * cat([new, x]).  No copies: the block owns one buffer of all its
 * channels, c0 + layers*g, in their final order
 *
 *     [ new_L | ... | new_2 | new_1 | x ]
 *
 * (new features in front).  The block's input x is written into its tail
 * by the op before (the stem or a transition); bottleneck i reads the
 * suffix from new_{i-1} on (a view) and its last convolution writes new_i
 * into its place (a view).  In [C, n, H, W] a range of channels is one
 * contiguous range, so a view is a pointer.  Backward, the gradients add
 * up in the same buffer: the reader of the whole (a transition) sets it,
 * and each bottleneck, run in reverse, finds its new_i's gradient
 * complete (only later ones read it) and adds into its suffix's.
 *
 * The BNs reading the buffer (each bottleneck's bn1, the transition's)
 * see the same values of every channel but the newest g: each channel's
 * batch mean and variance are computed once, by the first BN that reads
 * it, and shared (dbv_bn_forward_train_shared).  Returns the statistics'
 * offset in m->bn_stats.
 */
static int dense_block(struct builder *b, const char *name, int layers,
		       int g)
{
	char pre[96];
	const int c0 = b->c, total = c0 + layers * g;
	const int stats = (int)b->bn_stats;
	int parent;

	b->bn_stats += 2 * (size_t)total;
	parent = new_slot(b, 0, (size_t)total * (size_t)b->h * (size_t)b->w);
	make_view(b, b->cur, parent, layers * g);
	for (int i = 0; i < layers && !b->rc; i++) {
		const int at = (layers - i) * g; /* the suffix read */
		int in;

		if (i > 0) {
			in = new_slot(b, 0, (size_t)(c0 + i * g) * (size_t)b->h *
					    (size_t)b->w);
			make_view(b, in, parent, at);
			b->cur = in;
			b->c = c0 + i * g;
		}
		snprintf(pre, sizeof pre, "%s.%d.bn1", name, i);
		op_bn(b, pre);
		share_stats(b, stats + 2 * at, i ? g : c0);
		op_relu(b);
		snprintf(pre, sizeof pre, "%s.%d.conv1", name, i);
		op_conv(b, pre, 4 * g, 1, 1, 0, 0);
		snprintf(pre, sizeof pre, "%s.%d.bn2", name, i);
		op_bn(b, pre);
		op_relu(b);
		snprintf(pre, sizeof pre, "%s.%d.conv2", name, i);
		op_conv(b, pre, g, 3, 1, 1, 0);
		make_view(b, b->cur, parent, at - g);
	}
	b->cur = parent;
	b->c = total;
	return stats;
}

/* DenseNet-121's layout (Kuang Liu's DenseNet121 with growth rate g:
 * dense blocks of 6, 12, 24, 16, transitions BN-ReLU-conv1x1(half, floor)
 * -avgpool2), then BN, ReLU, global average pool (his avg_pool2d(4) on
 * CIFAR's 4x4 map), linear. */
static void densenet(struct builder *b, int g, int classes)
{
	static const int blocks[4] = {6, 12, 24, 16};
	char name[48];

	op_to_cnhw(b);
	op_conv(b, "conv1", 2 * g, 3, 1, 1, 0);
	for (int i = 0; i < 4 && !b->rc; i++) {
		int st;

		snprintf(name, sizeof name, "dense%d", i + 1);
		st = dense_block(b, name, blocks[i], g);
		if (i < 3)
			snprintf(name, sizeof name, "trans%d.bn", i + 1);
		op_bn(b, i < 3 ? name : "bn");
		share_stats(b, st, g);
		op_relu(b);
		if (i == 3)
			break;
		snprintf(name, sizeof name, "trans%d.conv", i + 1);
		op_conv(b, name, b->c / 2, 1, 1, 0, 0);
		op_pool2(b, OP_AVGPOOL);
	}
	op_gpool(b, OP_GAP);
	op_linear(b, "linear", classes, 1);
}

/* ---- the token models: ViT and MLP-Mixer ----
 *
 * Token activations are flat slots [n, tok*dim] (lib/nn/tokens.h).  Two
 * ops keep what their backward needs after their output in the same slot
 * (the next op reads the first n*tok*dim floats only): LayerNorm each
 * row's mean and 1/std ([n*tok, 2]), attention the softmax P
 * ([n, heads, tok, tok]). */

/* A token op's output slot of tok x dim per item plus `extra` floats. */
static void tok_out(struct builder *b, struct dbv_op *o, int tok, int dim,
		    size_t extra)
{
	if ((size_t)tok * (size_t)dim + extra > INT_MAX) {
		b->rc = dbv_seterr(DBV_EUSAGE,
				   "%d tokens of %d features are too many for one item",
				   tok, dim);
		return;
	}
	b->tok = tok;
	b->dim = dim;
	b->f = tok * dim;
	o->out = new_slot(b, 1, (size_t)tok * (size_t)dim + extra);
	b->cur = o->out;
}

static struct dbv_op *tok_op(struct builder *b, enum op_type t)
{
	struct dbv_op *o = new_op(b, t);

	if (o) {
		o->tok = b->tok;
		o->dim = b->dim;
		o->fin = b->f;
	}
	return o;
}

/* [n, c, h, w] -> [n, T, p*p*c] */
static void op_patch(struct builder *b, int p)
{
	struct dbv_op *o;

	if (p > b->h || p > b->w || b->h % p || b->w % p) {
		b->rc = dbv_seterr(DBV_EUSAGE,
				   "the patch size %d does not divide the %dx%d input",
				   p, b->h, b->w);
		return;
	}
	if ((o = tok_op(b, OP_PATCH))) {
		o->patch = p;
		tok_out(b, o, (b->h / p) * (b->w / p), p * p * b->c, 0);
	}
}

/* A linear map of every token (PyTorch's nn.Linear on [n, T, D]). */
static void op_tlinear(struct builder *b, const char *name, int out, int bias)
{
	int64_t ws[2] = {out, b->dim}, bs[1] = {out};
	int pw = add_param(b, name, "weight", DBV_P_WEIGHT, 2, ws, b->dim);
	int pb = bias ? add_param(b, name, "bias", DBV_P_BIAS, 1, bs, b->dim) : -1;
	struct dbv_op *o = tok_op(b, OP_TLINEAR);

	if (!o)
		return;
	o->pw = pw;
	o->pb = pb;
	o->fout = out;
	tok_out(b, o, b->tok, out, 0);
}

/* Conv1d(tok, out, 1) over the tokens: weight [out, tok, 1]. */
static void op_tokmix(struct builder *b, const char *name, int out)
{
	int64_t ws[3] = {out, b->tok, 1}, bs[1] = {out};
	int pw = add_param(b, name, "weight", DBV_P_WEIGHT, 3, ws, b->tok);
	int pb = add_param(b, name, "bias", DBV_P_BIAS, 1, bs, b->tok);
	struct dbv_op *o = tok_op(b, OP_TOKMIX);

	if (!o)
		return;
	o->pw = pw;
	o->pb = pb;
	o->fout = out;
	tok_out(b, o, out, b->dim, 0);
}

/* LayerNorm's parameters, for op oi (an OP_LN). */
static void ln_params(struct builder *b, int oi, const char *name, int dim)
{
	int64_t s[1] = {dim};
	int pw = add_param(b, name, "weight", DBV_P_BN_WEIGHT, 1, s, 0);
	int pb = add_param(b, name, "bias", DBV_P_BN_BIAS, 1, s, 0);

	if (!b->rc && oi >= 0) {
		b->m->ops[oi].pw = pw;
		b->m->ops[oi].pb = pb;
	}
}

/* A LayerNorm over the features; its parameters now (name) or later
 * (NULL: ln_params with the op index returned). */
static int op_ln(struct builder *b, const char *name)
{
	struct dbv_op *o = tok_op(b, OP_LN);
	int oi = b->m->nops - 1;

	if (!o)
		return -1;
	tok_out(b, o, b->tok, b->dim, 2 * (size_t)b->tok);
	if (name)
		ln_params(b, oi, name, b->dim);
	return oi;
}

/* GELU, token pools: t; dropout (p > 0 only; every dropout takes a
 * site, emitted or not, so that the sites are the reference code's
 * nn.Dropout modules in order). */
static void op_simple(struct builder *b, enum op_type t, double p)
{
	struct dbv_op *o;
	int site = b->drop_sites;

	if (t == OP_DROP && (b->drop_sites++, p <= 0))
		return;
	if (!(o = tok_op(b, t)))
		return;
	o->drop = (float)p;
	o->site = site;
	tok_out(b, o, t == OP_TOKMEAN || t == OP_TOKEN0 ? 1 : b->tok, b->dim, 0);
}

static void op_attn(struct builder *b, int heads, int dh)
{
	struct dbv_op *o = tok_op(b, OP_ATTN);

	if (!o)
		return;
	o->heads = heads;
	o->dh = dh;
	tok_out(b, o, b->tok, heads * dh,
		(size_t)heads * (size_t)b->tok * (size_t)b->tok);
}

/* lucidrains' vit-pytorch ViT (../ARCHS.md), pool 'cls'. */
static void build_vit(struct builder *b, const struct dbv_arch *a)
{
	char name[64], pre[48];
	int64_t ps[3] = {1, 0, a->width}, cs[3] = {1, 1, a->width};
	int pos, cls, x;

	op_patch(b, a->patch);
	if (b->rc)
		return;
	ps[1] = b->tok + 1;
	/* state_dict order: the ViT's own parameters first */
	pos = add_param(b, "", "pos_embedding", DBV_P_EMBED, 3, ps, 0);
	cls = add_param(b, "", "cls_token", DBV_P_EMBED, 3, cs, 0);
	op_tlinear(b, "to_patch_embedding.1", a->width, 1);
	{
		struct dbv_op *o = tok_op(b, OP_CLSPOS);

		if (!o)
			return;
		o->pw = cls;
		o->pb = pos;
		tok_out(b, o, b->tok + 1, b->dim, 0);
	}
	op_simple(b, OP_DROP, a->emb_dropout);
	for (int l = 0; l < a->depth; l++) {
		snprintf(pre, sizeof pre, "transformer.layers.%d", l);
		x = b->cur;
		snprintf(name, sizeof name, "%s.0.norm", pre);
		op_ln(b, name);
		snprintf(name, sizeof name, "%s.0.fn.to_qkv", pre);
		op_tlinear(b, name, 3 * a->heads * a->dim_head, 0);
		op_attn(b, a->heads, a->dim_head);
		snprintf(name, sizeof name, "%s.0.fn.to_out.0", pre);
		op_tlinear(b, name, a->width, 1);
		op_simple(b, OP_DROP, a->dropout);
		op_add(b, x);
		x = b->cur;
		snprintf(name, sizeof name, "%s.1.norm", pre);
		op_ln(b, name);
		snprintf(name, sizeof name, "%s.1.fn.net.0", pre);
		op_tlinear(b, name, a->mlp_dim, 1);
		op_simple(b, OP_GELU, 0);
		op_simple(b, OP_DROP, a->dropout);
		snprintf(name, sizeof name, "%s.1.fn.net.3", pre);
		op_tlinear(b, name, a->width, 1);
		op_simple(b, OP_DROP, a->dropout);
		op_add(b, x);
	}
	op_simple(b, OP_TOKEN0, 0);
	op_ln(b, "mlp_head.0");
	op_linear(b, "mlp_head.1", a->classes, 1);
}

/* The feed-forward of a Mixer block, pre-norm and residual: token
 * mixing (tokens) or channel mixing. */
static void mixer_ff(struct builder *b, const char *pre, int tokens, int exp,
		     double p)
{
	char name[64];
	int x = b->cur, back = tokens ? b->tok : b->dim, dim = b->dim;
	/* PreNormResidual registers fn before norm: so does the table */
	int ln = op_ln(b, NULL);

	snprintf(name, sizeof name, "%s.fn.0", pre);
	if (tokens)
		op_tokmix(b, name, back * exp);
	else
		op_tlinear(b, name, back * exp, 1);
	op_simple(b, OP_GELU, 0);
	op_simple(b, OP_DROP, p);
	snprintf(name, sizeof name, "%s.fn.3", pre);
	if (tokens)
		op_tokmix(b, name, back);
	else
		op_tlinear(b, name, back, 1);
	op_simple(b, OP_DROP, p);
	op_add(b, x);
	snprintf(name, sizeof name, "%s.norm", pre);
	ln_params(b, ln, name, dim);
}

/* lucidrains' mlp-mixer-pytorch MLPMixer, a bare nn.Sequential. */
static void build_mixer(struct builder *b, const struct dbv_arch *a)
{
	char pre[32];

	op_patch(b, a->patch);
	op_tlinear(b, "1", a->width, 1);
	for (int i = 0; i < a->depth; i++) {
		snprintf(pre, sizeof pre, "%d.0", 2 + i);
		mixer_ff(b, pre, 1, a->expansion, a->dropout);
		snprintf(pre, sizeof pre, "%d.1", 2 + i);
		mixer_ff(b, pre, 0, a->expansion, a->dropout);
	}
	snprintf(pre, sizeof pre, "%d", 2 + a->depth);
	op_ln(b, pre);
	op_simple(b, OP_TOKMEAN, 0);
	snprintf(pre, sizeof pre, "%d", 4 + a->depth);
	op_linear(b, pre, a->classes, 1);
}

static int build_arch(struct builder *b, const struct dbv_arch *a)
{
	char name[48];
	int k = a->width;

	if (!strcmp(a->name, "mlp") || !strcmp(a->name, "fcnet")) {
		static const int fc[4] = {1024, 512, 256, 64};
		int mlp = !strcmp(a->name, "mlp");
		int depth = mlp ? a->depth : 4;
		if (mlp && depth < 1)
			return dbv_seterr(DBV_EUSAGE, "mlp needs --depth of at least 1");
		for (int i = 0; i < depth; i++) {
			snprintf(name, sizeof name, "hidden.%d", i);
			op_linear(b, name, mlp ? k : fc[i], 1);
			op_relu(b);
		}
		op_linear(b, "fc", a->classes, 1);
	} else if (!strcmp(a->name, "cnn5")) {
		op_to_cnhw(b);
		op_conv(b, "conv1", k, 3, 1, 1, 1);
		op_bn(b, "bn1");
		op_relu(b);
		for (int i = 2; i <= 4; i++) {
			snprintf(name, sizeof name, "conv%d", i);
			op_conv(b, name, k << (i - 1), 3, 1, 1, 1);
			snprintf(name, sizeof name, "bn%d", i);
			op_bn(b, name);
			op_relu(b);
			op_maxpool(b);
		}
		op_gpool(b, OP_GMP);
		op_linear(b, "fc", a->classes, 1);
	} else if (!strcmp(a->name, "resnet18")) {
		op_to_cnhw(b);
		op_conv(b, "conv1", k, 3, 1, 1, 0);
		for (int s = 0; s < 4; s++)
			for (int i = 0; i < 2; i++) {
				snprintf(name, sizeof name, "layer%d.%d", s + 1, i);
				preact_block(b, name, k << s, (s > 0 && i == 0) ? 2 : 1,
					     "shortcut.0");
			}
		op_gpool(b, OP_GAP);
		op_linear(b, "linear", a->classes, 1);
	} else if (!strcmp(a->name, "vgg11")) {
		vgg(b, k, 11, a->classes);
	} else if (!strcmp(a->name, "vgg")) {
		vgg(b, k, a->depth, a->classes);
	} else if (!strcmp(a->name, "wrn")) {
		wrn(b, k, a->depth, a->classes);
	} else if (!strcmp(a->name, "densenet")) {
		densenet(b, k, a->classes);
	} else if (!strcmp(a->name, "rf")) {
		/* Random features: a fixed random ReLU layer of k units, then
		 * a linear layer trained from zero (its fan-in 0: no init). */
		op_linear(b, "features", k, 0);
		op_relu(b);
		op_linear(b, "fc", a->classes, 1);
		if (!b->rc) {
			b->m->params[0].kind = DBV_P_FIXED;
			b->m->params[1].fan_in = b->m->params[2].fan_in = 0;
		}
	} else if (!strcmp(a->name, "vit")) {
		build_vit(b, a);
	} else if (!strcmp(a->name, "mixer")) {
		build_mixer(b, a);
	} else {
		return dbv_seterr(DBV_EUSAGE,
				  "unknown architecture '%s' (mlp, fcnet, cnn5, resnet18, vgg11, vgg, wrn, densenet, vit, mixer, rf)",
				  a->name);
	}
	return b->rc;
}

int dbv_arch_default_depth(const char *name)
{
	return !strcmp(name, "wrn") ? 28 : !strcmp(name, "vgg") ? 19 :
	       !strcmp(name, "vit") ? 6 : !strcmp(name, "mixer") ? 12 : 1;
}

int dbv_model_build(struct dbv_model *m, const struct dbv_arch *a)
{
	struct builder b;
	int rc;

	memset(m, 0, sizeof *m);
	if (dbv_arch_options_check(a))
		return DBV_EUSAGE;
	m->arch = *a;
	dbv_arch_defaults(&m->arch);
	a = &m->arch;
	if (a->width < 1 || a->width > 1 << 16)
		return dbv_seterr(DBV_EUSAGE, "width %d is out of range [1, 65536]",
				  a->width);
	if (a->c < 1 || a->h < 1 || a->w < 1 || a->classes < 2)
		return dbv_seterr(DBV_EUSAGE, "bad input shape or class count");
	memset(&b, 0, sizeof b);
	b.m = m;
	b.c = a->c;
	b.h = a->h;
	b.w = a->w;
	b.flat = 1;
	b.f = a->c * a->h * a->w;
	b.cur = new_slot(&b, 1, (size_t)b.f);
	rc = build_arch(&b, a);
	if (!rc && b.rc)
		rc = b.rc;
	if (rc) {
		dbv_model_release(m);
		return rc;
	}
	m->bn_save = dbv_calloc(b.bn_save ? b.bn_save : 1, sizeof(float));
	m->bn_stats = dbv_calloc(b.bn_stats ? b.bn_stats : 1, sizeof(double));
	m->p = dbv_amalloc(m->total * sizeof(float));
	m->g = dbv_amalloc(m->total * sizeof(float));
	m->slot_uses = dbv_calloc((size_t)m->nslots, sizeof(int));
	m->slot_last = dbv_calloc((size_t)m->nslots, sizeof(int));
	if (!m->bn_save || !m->bn_stats || !m->p || !m->g || !m->slot_uses ||
	    !m->slot_last) {
		dbv_model_release(m);
		return DBV_EIO;
	}
	memset(m->p, 0, m->total * sizeof(float));
	memset(m->g, 0, m->total * sizeof(float));
	for (int i = 0; i < m->nslots; i++)
		m->slot_last[i] = -1;
	for (int i = 0; i < m->nops; i++) {
		m->slot_uses[m->ops[i].in]++;
		m->slot_last[m->ops[i].in] = i;
		if (m->ops[i].type == OP_ADD) {
			m->slot_uses[m->ops[i].in2]++;
			m->slot_last[m->ops[i].in2] = i;
		}
	}
	return DBV_OK;
}

void dbv_model_init(struct dbv_model *m, uint64_t seed)
{
	struct dbv_rng r;
	dbv_rng_seed(&r, seed);
	for (size_t i = 0; i < m->nparams; i++) {
		const struct dbv_param *p = &m->params[i];
		float *v = m->p + p->offset;
		float bound = p->fan_in ? 1.0f / sqrtf((float)p->fan_in) : 0;
		/* Fixed random weights [out, in]: variance 1/(in*out), so
		 * that out features carry the 1/sqrt(out) of a kernel mean. */
		if (p->kind == DBV_P_FIXED)
			bound = sqrtf(3.0f / ((float)p->fan_in * (float)p->shape[0]));

		if (p->init == DBV_INIT_KAIMING_OUT) {
			/* fan_out = cout*k*k = numel / cin */
			double sd = sqrt(2.0 * (double)p->shape[1] /
					 (double)p->numel);

			for (size_t j = 0; j < p->numel; j++)
				v[j] = (float)(sd * dbv_rng_normal(&r));
			continue;
		}
		if (p->init == DBV_INIT_ZERO) {
			memset(v, 0, p->numel * sizeof *v);
			continue;
		}
		for (size_t j = 0; j < p->numel; j++) {
			switch (p->kind) {
			case DBV_P_FIXED:
			case DBV_P_WEIGHT:
			case DBV_P_BIAS:
				v[j] = (2 * dbv_rng_float(&r) - 1) * bound;
				break;
			case DBV_P_EMBED:
				v[j] = (float)dbv_rng_normal(&r);
				break;
			case DBV_P_BN_WEIGHT:
			case DBV_P_BN_VAR: /* running_mean starts at 0 */
				v[j] = 1;
				break;
			default:
				v[j] = 0;
			}
		}
	}
}

struct dbv_param *dbv_model_param(struct dbv_model *m, const char *name)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (!strcmp(m->params[i].name, name))
			return &m->params[i];
	return NULL;
}

size_t dbv_model_count(const struct dbv_model *m, int trainable_only)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nparams; i++)
		if (!trainable_only || m->params[i].kind <= DBV_P_BN_BIAS)
			n += m->params[i].numel;
	return n;
}

uint64_t dbv_model_bytes(const struct dbv_model *m)
{
	uint64_t b = 2 * (uint64_t)m->total * sizeof(float); /* p, g */

	for (int i = 0; i < m->nops; i++)
		if (m->ops[i].type == OP_BN) /* bn_save: mean, invstd */
			b += 2 * (uint64_t)m->ops[i].c * sizeof(float);
	b += m->nparams * sizeof *m->params + (uint64_t)m->nops * sizeof *m->ops;
	b += (uint64_t)m->nslots * (sizeof *m->slot_size + 3 * sizeof(int) +
				    2 * sizeof(float *));
	return b + m->act_bytes + (uint64_t)m->scratch_size * sizeof(float);
}

/* Release the activations.  Safe on any partial reservation: in
 * evaluation mode (eval_only, set before anything can fail) the slots
 * point into the arena and dact is NULL. */
static void free_acts(struct dbv_model *m)
{
	if (m->act && !m->eval_only)
		for (int i = 1; i < m->nslots; i++) /* slot 0: caller's */
			if (m->slot_parent[i] < 0)
				dbv_afree(m->act[i]);
	if (m->dact && !m->eval_only)
		for (int i = 1; i < m->nslots; i++)
			if (m->slot_parent[i] < 0)
				dbv_afree(m->dact[i]);
	free(m->act);
	free(m->dact);
	dbv_afree(m->scratch);
	dbv_afree(m->arena);
	if (m->tok_eval) {
		dbv_afree(m->tok_eval->arena);
		dbv_afree(m->tok_eval->out);
		dbv_afree(m->tok_eval->wbuf);
		free(m->tok_eval->act);
		free(m->tok_eval->wp);
		free(m->tok_eval->ep);
		free(m->tok_eval->res);
		free(m->tok_eval->skip);
		free(m->tok_eval->fast);
		free(m->tok_eval);
		m->tok_eval = NULL;
	}
	m->act = m->dact = NULL;
	m->scratch = m->arena = NULL;
	m->batch = 0;
	m->eval_only = 0;
	m->act_bytes = 0;
}

/* The convolutions' scratch for batches of n (forward only: fwd). */
static int reserve_scratch(struct dbv_model *m, int n, int fwd)
{
	size_t scratch = 1;

	for (int i = 0; i < m->nops; i++)
		if (m->ops[i].type == OP_CONV) {
			const struct dbv_conv *c = &m->ops[i].conv;
			size_t s = fwd ? dbv_conv_scratch_fwd(c, n)
				       : dbv_conv_scratch(c, n);
			if (s > scratch)
				scratch = s;
		} else if (m->ops[i].type == OP_ATTN && !fwd) {
			/* a [T, T] block per thread */
			size_t s = (size_t)dbv_threads() *
				   dbv_attn_scratch(m->ops[i].tok);
			if (s > scratch)
				scratch = s;
		} else if (m->ops[i].type == OP_TOKMIX && !fwd) {
			const struct dbv_op *o = &m->ops[i];
			size_t s = dbv_tokmix_scratch(n, o->tok, o->fout, o->dim);
			if (s > scratch)
				scratch = s;
		}
	m->scratch = scratch > SIZE_MAX / sizeof(float) ? NULL
		     : dbv_amalloc(scratch * sizeof(float));
	if (!m->scratch)
		return dbv_seterr(DBV_EIO, "out of memory: convolution scratch for batches of %d takes %zu MiB: use a smaller batch",
				  n, scratch * sizeof(float) >> 20);
	m->scratch_size = scratch;
	return DBV_OK;
}

static int fused_bn_relu(const struct dbv_model *m, int i);
static int eval_group(const struct dbv_model *m, int i);

/* The slot that holds slot s's memory. */
static int slot_root(const struct dbv_model *m, int s)
{
	return m->slot_parent[s] >= 0 ? m->slot_parent[s] : s;
}

/* Point the views of a[] (activations or gradients) into their parents
 * for a batch of n: channel ranges of [C, n, H, W] start at c0*n*H*W. */
static void resolve_views(const struct dbv_model *m, float **a, int n)
{
	for (int i = 1; i < m->nslots; i++)
		if (m->slot_parent[i] >= 0)
			a[i] = a[m->slot_parent[i]] + m->slot_off[i] * (size_t)n;
}

/*
 * Evaluation needs a slot only from the op that writes it to the last op
 * that reads it (the logits, read by nobody, to the end).  Slots are
 * given buffers in op order, each the first buffer whose slot is dead by
 * then (last read by an earlier op), so an op's output never shares with
 * its own inputs.  Ops that evaluation runs as one pass (eval_group) read
 * their first op's input while they write their last op's output: a
 * fused BN + ReLU element by element, by channels, so that the two may
 * share a buffer; a fused BN + ReLU + max pool writes a smaller map,
 * whose threads would overwrite input others still read, so its input
 * lives to the group's end.  A buffer is as large as its largest slot.
 */
/*
 * ---- evaluation of the token models, by chunks of items ----
 *
 * Every op of a token model works item by item on item-major slots
 * ([n, T*D], the input and the logits too), so evaluation need not run
 * the layers one after the other over the whole batch, each split across
 * the threads and each ending in a barrier.  Instead the batch is cut
 * into chunks of TOK_CHUNK items (fixed boundaries, whatever the
 * threads), each thread takes the next chunk nobody has taken and runs
 * the whole model on it alone, in its own buffers (planned as
 * dbv_model_reserve_eval's, for one chunk).  So there is no barrier
 * between layers, a thread that gets less of a shared machine simply
 * takes fewer chunks (a static split waits for the slowest thread at
 * every layer), a chunk's activations stay in the caches from one layer
 * to the next, and the dropouts, the identity in evaluation, are skipped
 * (their output is their input's memory).  A chunk is computed by one
 * thread in one order, so the logits do not depend on the thread count.
 * 16 items of 50 tokens (800 rows a product) ran the ViT of bench/
 * predict.sh fastest among 4, 8, 16 and 32.
 */
#define TOK_CHUNK 16

/* Whether the model is a token model whose ops all work item by item
 * (the residual adds' slots, marked spatial, are [n, T*D] here too). */
static int tok_model(const struct dbv_model *m)
{
	int patch = 0;

	for (int i = 0; i < m->nslots; i++)
		if (m->slot_parent[i] >= 0)
			return 0;
	for (int k = 0; k < m->nops; k++)
		switch (m->ops[k].type) {
		case OP_PATCH:
			patch = 1;
			break;
		case OP_TLINEAR: case OP_CLSPOS: case OP_LN: case OP_GELU:
		case OP_ATTN: case OP_TOKMIX: case OP_TOKMEAN: case OP_TOKEN0:
		case OP_ADD: case OP_LINEAR:
			break;
		case OP_DROP:
			if (m->ops[k].in == 0)
				return 0;
			break;
		default:
			return 0;
		}
	return patch;
}

/* floats rounded up to a cache line's multiple */
static size_t line_up(size_t f)
{
	return (f + 15) & ~(size_t)15;
}

/*
 * The attentions dbv_attn_forward_eval runs; the token linears the
 * AVX-512 kernel runs (dbv_tlinear_forward_packed, weights packed by each
 * forward pass), and what their epilogues take over: a GELU that alone reads the linear's output (computed in place),
 * or a residual add that alone reads it (through skipped dropouts).
 * root[s] gets the slot whose memory slot s uses: a skipped op's output
 * is its input's (root[] as plan_eval wants it).
 */
static int tok_fuse(const struct dbv_model *m, struct dbv_tok_eval *te,
		    int *root)
{
	const int ns = m->nslots, nops = m->nops;
	int *prod = dbv_calloc((size_t)ns, sizeof *prod);
	size_t w = 0;

	te->wp = dbv_calloc((size_t)nops, sizeof *te->wp);
	te->ep = dbv_calloc((size_t)nops, sizeof *te->ep);
	te->res = dbv_calloc((size_t)nops, sizeof *te->res);
	te->skip = dbv_calloc((size_t)nops, 1);
	te->fast = dbv_calloc((size_t)nops, 1);
	if (!prod || !te->wp || !te->ep || !te->res || !te->skip || !te->fast)
		return free(prod), DBV_EIO;
	for (int k = 0; k < nops; k++) {
		const struct dbv_op *o = &m->ops[k];

		if (o->type == OP_TLINEAR && dbv_tlinear_packable(o->dim, o->fout))
			w += line_up((size_t)o->dim * o->fout);
	}
	if (w && !(te->wbuf = dbv_amalloc(w * sizeof(float))))
		return free(prod), DBV_EIO;
	w = 0;
	for (int i = 0; i < ns; i++)
		root[i] = i, prod[i] = -1;
	for (int k = 0; k < nops; k++) {
		const struct dbv_op *o = &m->ops[k];
		int j, s;

		prod[o->out] = k;
		switch (o->type) {
		case OP_TLINEAR:
			if (!dbv_tlinear_packable(o->dim, o->fout))
				break;
			te->wp[k] = te->wbuf + w;
			w += line_up((size_t)o->dim * o->fout);
			break;
		case OP_DROP:
			root[o->out] = root[o->in];
			break;
		case OP_ATTN:
			te->fast[k] = (char)dbv_attn_eval_fast(o->tok, o->dh);
			break;
		case OP_GELU:
			j = prod[o->in];
			if (j < 0 || !te->wp[j] || te->ep[j] || m->slot_uses[o->in] != 1)
				break;
			te->ep[j] = DBV_TL_GELU;
			te->skip[k] = 1;
			root[o->out] = root[o->in];
			break;
		case OP_ADD:
			for (int side = 0; side < 2; side++) {
				int other = side ? o->in : o->in2;

				s = side ? o->in2 : o->in;
				while (m->slot_uses[s] == 1 && prod[s] >= 0 &&
				       m->ops[prod[s]].type == OP_DROP)
					s = m->ops[prod[s]].in;
				j = prod[s];
				if (m->slot_uses[s] != 1 || j < 0 || !te->wp[j] ||
				    te->ep[j] || root[other] == root[s])
					continue;
				te->ep[j] = DBV_TL_RES;
				te->res[j] = other;
				te->skip[k] = 1;
				root[o->out] = root[s];
				break;
			}
			break;
		default:
			break;
		}
	}
	free(prod);
	return DBV_OK;
}

static int plan_eval(const struct dbv_model *m, const int *root, int *buf,
		     size_t *size);

static int reserve_tok_eval(struct dbv_model *m, int n)
{
	const int ns = m->nslots;
	const size_t cls = m->slot_size[ns - 1];
	struct dbv_tok_eval *te = dbv_calloc(1, sizeof *te);
	int *root = dbv_calloc((size_t)ns, sizeof *root);
	int *buf = dbv_calloc((size_t)ns, sizeof *buf);
	size_t *size = dbv_calloc((size_t)ns, sizeof *size);
	size_t *off = dbv_calloc((size_t)ns, sizeof *off);
	size_t sz, all;
	int nbuf, rc = DBV_EIO;

	m->tok_eval = te;
	m->eval_only = 1;
	m->act = dbv_calloc((size_t)ns, sizeof *m->act);
	if (!te || !root || !buf || !size || !off || !m->act)
		goto out;
	if (tok_fuse(m, te, root))
		goto out;
	if ((nbuf = plan_eval(m, root, buf, size)) < 0)
		goto out;
	te->chunk = n < TOK_CHUNK ? n : TOK_CHUNK;
	te->nt = dbv_threads();
	/* buffer b's offset into a thread's buffers, in off[b] */
	for (int b = 0; b < nbuf; b++) {
		if (dbv_mul_size(size[b], (size_t)te->chunk, &sz) ||
		    sz > SIZE_MAX / 2 - te->per) {
			rc = DBV_EUSAGE;
			goto out;
		}
		off[b] = te->per;
		te->per += line_up(sz);
	}
	if (dbv_mul_size(te->per, (size_t)te->nt, &all) ||
	    dbv_mul_size(cls, (size_t)n, &sz) || (all += sz) < sz ||
	    dbv_mul_size(all, sizeof(float), &all)) {
		rc = DBV_EUSAGE;
		goto out;
	}
	te->arena = dbv_amalloc(te->per * (size_t)te->nt * sizeof(float));
	te->out = dbv_amalloc(sz * sizeof(float));
	te->act = dbv_calloc((size_t)te->nt * (size_t)ns, sizeof *te->act);
	if (!te->arena || !te->out || !te->act) {
		dbv_seterr(DBV_EIO, "out of memory: activations for batches of %d take %zu MiB: use a smaller batch",
			   n, all >> 20);
		goto out;
	}
	/* Slot 0 (the input) and the logits: set for each chunk. */
	for (int t = 0; t < te->nt; t++)
		for (int i = 1; i < ns - 1; i++)
			te->act[(size_t)t * ns + i] = te->arena +
				(size_t)t * te->per + off[buf[root[i]]];
	m->act[ns - 1] = te->out;
	m->act_bytes = all;
	m->batch = n;
	rc = DBV_OK;
out:
	if (rc)
		free_acts(m);
	free(root), free(buf), free(size), free(off);
	return rc;
}

struct tok_job {
	struct dbv_model *m;
	const float *x;
	int n;
	uint32_t next; /* the next chunk to take (atomic) */
};

static void run_ops(struct dbv_model *m, float **act, int n, int train);

static void tok_eval_part(void *arg, int th, int nt)
{
	struct tok_job *j = arg;
	struct dbv_model *m = j->m;
	const struct dbv_tok_eval *te = m->tok_eval;
	const int ns = m->nslots;
	float **act = te->act + (size_t)th * ns;

	(void)nt;
	for (;;) {
		size_t c = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
		size_t i0 = c * (size_t)te->chunk;
		int k;

		if (i0 >= (size_t)j->n)
			break;
		k = j->n - (int)i0 < te->chunk ? j->n - (int)i0 : te->chunk;
		act[0] = (float *)j->x + i0 * m->slot_size[0];
		act[ns - 1] = te->out + i0 * m->slot_size[ns - 1];
		run_ops(m, act, k, 0);
	}
}

static const float *tok_eval_forward(struct dbv_model *m, const float *x,
				     int n)
{
	const struct dbv_tok_eval *te = m->tok_eval;
	struct tok_job j = { .m = m, .x = x, .n = n };
	int chunks = (n + te->chunk - 1) / te->chunk;
	int nt = dbv_threads() < te->nt ? dbv_threads() : te->nt;

	/* Packed every pass (the weights may have changed since the last):
	 * 0.5 M floats for the ViT of bench/predict.sh, against 256 items'
	 * 15 G multiply-adds. */
	for (int k = 0; k < m->nops; k++)
		if (te->wp[k])
			dbv_tlinear_pack(m->ops[k].dim, m->ops[k].fout,
					 m->p + m->params[m->ops[k].pw].offset,
					 te->wp[k]);

	par_run(nt < chunks ? nt : chunks, tok_eval_part, &j);
	return te->out;
}

/* Buffers for evaluation (above): root[s] is the slot whose memory slot s
 * uses (a view's parent; a dropout's input where the token models skip
 * it); buf[] gets each root slot's buffer, size[] (zeroed, ns entries)
 * each buffer's floats per item.  Returns the number of buffers, or -1
 * (out of memory). */
static int plan_eval(const struct dbv_model *m, const int *root, int *buf,
		     size_t *size)
{
	int ns = m->nslots, nbuf = 0;
	int *last = dbv_calloc((size_t)ns, sizeof *last);
	int *owner = dbv_calloc((size_t)ns, sizeof *owner);

	if (!last || !owner) {
		free(last), free(owner);
		return -1;
	}
	/* A view lives in its parent's buffer: the parent lives from the
	 * first write of any view to the last read of any. */
	for (int i = 0; i < ns; i++)
		last[i] = -1;
	for (int i = 0; i < ns; i++) {
		int l = i == ns - 1 ? m->nops : m->slot_last[i];

		if (l > last[root[i]])
			last[root[i]] = l;
		buf[i] = -1;
	}
	for (int k = 0; k < m->nops; k++) {
		int g = eval_group(m, k), s = root[m->ops[k].in];

		if (g == 3 && last[s] < k + 2)
			last[s] = k + 2;
	}
	for (int k = 0; k < m->nops; k++) {
		int s = root[m->ops[k].out], b = 0;

		if (buf[s] >= 0)
			continue; /* a view of a parent placed already */
		while (b < nbuf && last[owner[b]] >= k)
			b++;
		if (b == nbuf)
			nbuf++;
		owner[b] = s;
		buf[s] = b;
		if (m->slot_size[s] > size[b])
			size[b] = m->slot_size[s];
	}
	free(last), free(owner);
	return nbuf;
}

int dbv_model_reserve_eval(struct dbv_model *m, int n)
{
	int ns = m->nslots, nbuf = 0, rc = DBV_EIO;
	int *root = NULL, *buf = NULL;
	size_t *size = NULL, total = 0, sz;

	if (n <= m->batch)
		return DBV_OK;
	free_acts(m);
	if (tok_model(m))
		return reserve_tok_eval(m, n);
	root = dbv_calloc((size_t)ns, sizeof *root);
	buf = dbv_calloc((size_t)ns, sizeof *buf);
	size = dbv_calloc((size_t)ns, sizeof *size);
	m->act = dbv_calloc((size_t)ns, sizeof *m->act);
	m->eval_only = 1; /* act[] will point into the arena: never freed */
	if (!root || !buf || !size || !m->act)
		goto out;
	for (int i = 0; i < ns; i++)
		root[i] = slot_root(m, i);
	if ((nbuf = plan_eval(m, root, buf, size)) < 0)
		goto out;
	for (int b = 0; b < nbuf; b++) {
		if (dbv_mul_size(size[b], (size_t)n, &sz) ||
		    (total += sz) < sz) {
			rc = DBV_EUSAGE;
			goto out;
		}
		size[b] = sz;
	}
	if (dbv_mul_size(total, sizeof(float), &sz)) {
		rc = DBV_EUSAGE;
		goto out;
	}
	m->arena = dbv_amalloc(sz);
	if (!m->arena) {
		dbv_seterr(DBV_EIO, "out of memory: activations for batches of %d take %zu MiB: use a smaller batch",
			   n, sz >> 20);
		goto out;
	}
	if (reserve_scratch(m, n, 1))
		goto out;
	m->act_bytes = sz;
	/* Slot 0 is the caller's input. */
	for (int i = 1; i < ns; i++) {
		size_t off = 0;

		if (m->slot_parent[i] >= 0)
			continue; /* resolved by each forward pass */
		for (int b = 0; b < buf[i]; b++)
			off += size[b];
		m->act[i] = m->arena + off;
	}
	m->batch = n;
	rc = DBV_OK;
out:
	if (rc)
		free_acts(m);
	free(root), free(buf), free(size);
	return rc;
}

int dbv_model_reserve(struct dbv_model *m, int n)
{
	size_t sz;
	if (n <= m->batch && !m->eval_only)
		return DBV_OK;
	free_acts(m);
	m->act = dbv_calloc((size_t)m->nslots, sizeof *m->act);
	m->dact = dbv_calloc((size_t)m->nslots, sizeof *m->dact);
	if (!m->act || !m->dact)
		return free_acts(m), DBV_EIO;
	/* Slot 0 is the caller's input: never allocated. */
	for (int i = 1; i < m->nslots; i++) {
		if (m->slot_parent[i] >= 0)
			continue; /* resolved by each pass */
		if (dbv_mul_size(m->slot_size[i], (size_t)n, &sz) ||
		    dbv_mul_size(sz, sizeof(float), &sz))
			return free_acts(m), DBV_EUSAGE;
		m->act[i] = dbv_amalloc(sz);
		m->dact[i] = dbv_amalloc(sz);
		m->act_bytes += 2 * sz;
		if (!m->act[i] || !m->dact[i]) {
			dbv_seterr(DBV_EIO, "out of memory: activations for batches of %d need %zu MiB a slot: use a smaller batch",
				   n, sz >> 20);
			return free_acts(m), DBV_EIO;
		}
	}
	if (reserve_scratch(m, n, 0))
		return free_acts(m), DBV_EIO;
	m->batch = n;
	return DBV_OK;
}

/* The residual add and zeroing: ranges of floats. */
struct add_job {
	const float *a, *b;
	float *out, *d2;
	int set1, set2; /* backward: out, d2 overwritten */
};

/* out = a + b.  (Blocks of 8 so that -O2 vectorises.) */
static void add_fwd_part(void *arg, size_t j, size_t hi)
{
	const struct add_job *q = arg;

	for (; j + 8 <= hi; j += 8)
		for (int t = 0; t < 8; t++)
			q->out[j + t] = q->a[j + t] + q->b[j + t];
	for (; j < hi; j++)
		q->out[j] = q->a[j] + q->b[j];
}

static void add_fwd(size_t cnt, const float *a, const float *b, float *out)
{
	struct add_job q = { .a = a, .b = b, .out = out };

	par_for(par_threads(cnt, PAR_MIN), cnt, 16, add_fwd_part, &q);
}

/* out += a and d2 += a (either may be NULL); set1, set2: = instead. */
static void add_bwd_part(void *arg, size_t lo, size_t hi)
{
	const struct add_job *q = arg;

	for (int pass = 0; pass < 2; pass++) {
		float *d = pass ? q->d2 : q->out;
		size_t j = lo;

		if (!d)
			continue;
		if (pass ? q->set2 : q->set1) {
			memcpy(d + lo, q->a + lo, (hi - lo) * sizeof(float));
			continue;
		}
		for (; j + 8 <= hi; j += 8)
			for (int t = 0; t < 8; t++)
				d[j + t] += q->a[j + t];
		for (; j < hi; j++)
			d[j] += q->a[j];
	}
}

static void add_bwd(size_t cnt, const float *dy, float *d1, float *d2,
		    int set1, int set2)
{
	struct add_job q = { .a = dy, .out = d1, .d2 = d2, .set1 = set1,
			     .set2 = set2 };

	par_for(par_threads(cnt, PAR_MIN), cnt, 16, add_bwd_part, &q);
}

static void zero_part(void *arg, size_t lo, size_t hi)
{
	const struct add_job *q = arg;

	memset(q->out + lo, 0, (hi - lo) * sizeof(float));
}

/* Zero cnt floats at p. */
static void zero_floats(float *p, size_t cnt)
{
	struct add_job q = { .out = p };

	par_for(par_threads(cnt, PAR_MIN), cnt, 16, zero_part, &q);
}

/*
 * Whether op i is a BN whose output only the next op, a ReLU, reads: the
 * two then run as one pass (dbv_bn_relu_*), forward and backward, and the
 * BN's output slot and its gradient are never touched.
 */
static int fused_bn_relu(const struct dbv_model *m, int i)
{
	const struct dbv_op *o = &m->ops[i];

	return !m->no_fuse && o->type == OP_BN && i + 1 < m->nops &&
	       m->ops[i + 1].type == OP_RELU && m->ops[i + 1].in == o->out &&
	       m->slot_uses[o->out] == 1;
}

/*
 * How many ops from op i evaluation runs as one pass: 3 for a fused BN +
 * ReLU whose output only a 2x2 max pool reads (the pool's output is
 * written, neither full-size intermediate), 2 for a fused BN + ReLU, else
 * 1.
 */
static int eval_group(const struct dbv_model *m, int i)
{
	if (!fused_bn_relu(m, i))
		return 1;
	if (i + 2 < m->nops && m->ops[i + 2].type == OP_MAXPOOL &&
	    m->ops[i + 2].in == m->ops[i + 1].out &&
	    m->slot_uses[m->ops[i + 1].out] == 1)
		return 3;
	return 2;
}

/* The ops in order over the activations act[] (slot 0 the input, views
 * resolved) for n items. */
static void run_ops(struct dbv_model *m, float **act, int n, int train)
{
	const struct dbv_tok_eval *te = train ? NULL : m->tok_eval;

	for (int i = 0; i < m->nops; i++) {
		const struct dbv_op *o = &m->ops[i];
		const float *in = act[o->in];
		float *out = act[o->out];

		if (te && te->skip[i])
			continue; /* done by an earlier op (tok_fuse) */
		float *p = m->p;
		size_t hw = (size_t)o->h * (size_t)o->w;
		switch (o->type) {
		case OP_TOCNHW:
			dbv_nchw_to_cnhw(n, o->c, (int)hw, in, out);
			break;
		case OP_CONV:
			dbv_conv_forward(&o->conv, n, in, p + m->params[o->pw].offset,
					 o->pb >= 0 ? p + m->params[o->pb].offset : NULL,
					 out, m->scratch);
			break;
		case OP_BN: {
			/* Fused with the ReLU after it: one pass, into the
			 * ReLU's output, and the ReLU op is skipped; in
			 * evaluation also the max pool after that. */
			const int fuse = fused_bn_relu(m, i);
			float *y;

			if (!train && eval_group(m, i) == 3) {
				const struct dbv_op *q = &m->ops[i + 2];

				dbv_bn_relu_maxpool2_forward_eval(
					o->c, n, q->h, q->w, in,
					p + m->params[o->pw].offset,
					p + m->params[o->pb].offset, act[q->out],
					p + m->params[o->prm].offset,
					p + m->params[o->prv].offset, BN_EPS);
				i += 2;
				break;
			}
			y = fuse ? act[m->ops[++i].out] : out;

			if (train && o->stats >= 0 && !m->no_share) {
				dbv_bn_forward_train_shared(
					o->c, (size_t)n * hw, in,
					p + m->params[o->pw].offset,
					p + m->params[o->pb].offset, y,
					m->bn_save + o->save, m->bn_save + o->save + o->c,
					p + m->params[o->prm].offset,
					p + m->params[o->prv].offset, BN_MOMENTUM, BN_EPS,
					fuse, m->bn_stats + o->stats, o->fresh);
				p[m->params[o->pnbt].offset] += 1;
			} else if (train) {
				(fuse ? dbv_bn_relu_forward_train : dbv_bn_forward_train)(
					o->c, (size_t)n * hw, in,
					p + m->params[o->pw].offset,
					p + m->params[o->pb].offset, y,
					m->bn_save + o->save, m->bn_save + o->save + o->c,
					p + m->params[o->prm].offset,
					p + m->params[o->prv].offset, BN_MOMENTUM, BN_EPS);
				p[m->params[o->pnbt].offset] += 1;
			} else {
				(fuse ? dbv_bn_relu_forward_eval : dbv_bn_forward_eval)(
					o->c, (size_t)n * hw, in,
					p + m->params[o->pw].offset,
					p + m->params[o->pb].offset, y,
					p + m->params[o->prm].offset,
					p + m->params[o->prv].offset, BN_EPS);
			}
			break;
		}
		case OP_RELU:
			dbv_relu_forward(m->slot_size[o->in] * (size_t)n, in, out);
			break;
		case OP_MAXPOOL:
			dbv_maxpool2_forward((size_t)o->c * (size_t)n, o->h, o->w, in, out);
			break;
		case OP_GAP:
			dbv_gap_forward(o->c, n, (int)hw, in, out);
			break;
		case OP_GMP:
			dbv_gmp_forward(o->c, n, (int)hw, in, out);
			break;
		case OP_LINEAR:
			dbv_linear_forward(n, o->fin, o->fout, in,
					   p + m->params[o->pw].offset,
					   o->pb >= 0 ? p + m->params[o->pb].offset : NULL,
					   out);
			break;
		case OP_ADD:
			add_fwd(m->slot_size[o->out] * (size_t)n, in,
				act[o->in2], out);
			break;
		case OP_AVGPOOL:
			dbv_avgpool2_forward((size_t)o->c * (size_t)n, o->h, o->w,
					     in, out);
			break;
		case OP_PATCH:
			dbv_patchify_forward(n, o->c, o->h, o->w, o->patch, in, out);
			break;
		case OP_TLINEAR:
			if (te && te->wp[i]) {
				dbv_tlinear_forward_packed(
					(size_t)n * o->tok, o->dim, o->fout, in,
					te->wp[i],
					o->pb >= 0 ? p + m->params[o->pb].offset : NULL,
					te->ep[i],
					te->ep[i] == DBV_TL_RES ? act[te->res[i]] : NULL,
					out);
				break;
			}
			dbv_linear_forward(n * o->tok, o->dim, o->fout, in,
					   p + m->params[o->pw].offset,
					   o->pb >= 0 ? p + m->params[o->pb].offset : NULL,
					   out);
			break;
		case OP_CLSPOS:
			dbv_clspos_forward(n, o->tok, o->dim, in,
					   p + m->params[o->pw].offset,
					   p + m->params[o->pb].offset, out);
			break;
		case OP_LN:
			dbv_layernorm_forward((size_t)n * o->tok, o->dim, in,
					      p + m->params[o->pw].offset,
					      p + m->params[o->pb].offset, out,
					      train ? out + (size_t)n * o->fin : NULL);
			break;
		case OP_GELU:
			dbv_gelu_forward((size_t)n * o->fin, in, out);
			break;
		case OP_DROP:
			if (train)
				dbv_dropout_forward((size_t)n * o->fin, o->drop,
						    m->drop_seed, o->site, in, out);
			else if (out != in) /* not skipped (tok_eval_forward) */
				memcpy(out, in, (size_t)n * o->fin * sizeof *out);
			break;
		case OP_ATTN:
			if (te && te->fast[i]) {
				dbv_attn_forward_eval(n, o->tok, o->heads, o->dh,
						      in, out);
				break;
			}
			dbv_attn_forward(n, o->tok, o->heads, o->dh, in, out,
					 out + (size_t)n * o->tok * o->heads * o->dh);
			break;
		case OP_TOKMIX:
			dbv_tokmix_forward(n, o->tok, o->fout, o->dim, in,
					   p + m->params[o->pw].offset,
					   p + m->params[o->pb].offset, out);
			break;
		case OP_TOKMEAN:
			dbv_tokmean_forward(n, o->tok, o->dim, in, out);
			break;
		case OP_TOKEN0:
			dbv_token0_forward(n, o->tok, o->dim, in, out);
			break;
		}
	}
}

const float *dbv_model_forward(struct dbv_model *m, const float *x, int n,
			       int train)
{
	if (train && m->eval_only)
		return NULL; /* reserved for evaluation only */
	if (m->tok_eval)
		return tok_eval_forward(m, x, n);
	m->act[0] = (float *)x;
	resolve_views(m, m->act, n);
	run_ops(m, m->act, n, train);
	return m->act[m->nslots - 1];
}

void dbv_model_zero_grad(struct dbv_model *m)
{
	zero_floats(m->g, m->total);
}

/*
 * Whether op k writes slot i's gradient whole (a BN, ReLU, max pool or
 * convolution through their _set forms, a residual add by copying)
 * rather than adding into it.  Backward runs the ops in reverse, so the
 * last op that reads slot i gives the first contribution: that one may
 * set, when it can; later contributions (from earlier readers) add.  A
 * slot whose first contribution sets needs no zeroing.  An add reading
 * one slot twice adds both.
 */
static int set_grad(const struct dbv_model *m, int i, int k)
{
	/* A view's gradient shares its parent's: always added into. */
	if (i <= 0 || k < 0 || m->slot_last[i] != k || m->slot_parent[i] >= 0)
		return 0;
	switch (m->ops[k].type) {
	case OP_ADD:
		return m->ops[k].in != m->ops[k].in2;
	case OP_BN:
	case OP_RELU:
	case OP_MAXPOOL:
	case OP_CONV:
	case OP_AVGPOOL:
		return 1;
	default:
		return 0;
	}
}

void dbv_model_backward(struct dbv_model *m, const float *dlogits, int n)
{
	float *g = m->g;
	const float *p = m->p;
	/* A slot whose last reader writes its gradient whole (set_grad)
	 * needs no zeroing; every other gradient is summed into, from zero. */
	resolve_views(m, m->dact, n);
	for (int i = 1; i < m->nslots - 1; i++)
		if (m->slot_parent[i] < 0 && !set_grad(m, i, m->slot_last[i]))
			zero_floats(m->dact[i], m->slot_size[i] * (size_t)n);
	memcpy(m->dact[m->nslots - 1], dlogits,
	       m->slot_size[m->nslots - 1] * (size_t)n * sizeof(float));
	for (int i = m->nops - 1; i >= 0; i--) {
		const struct dbv_op *o = &m->ops[i];
		const float *in = m->act[o->in];
		const float *out = m->act[o->out];
		const float *dy = m->dact[o->out];
		/* No gradient is needed for the input itself. */
		float *dx = o->in == 0 ? NULL : m->dact[o->in];
		size_t hw = (size_t)o->h * (size_t)o->w;
		switch (o->type) {
		case OP_TOCNHW:
			break;
		case OP_CONV:
			(set_grad(m, o->in, i) ? dbv_conv_backward_set : dbv_conv_backward)(
				&o->conv, n, in, p + m->params[o->pw].offset, dy, dx,
				g + m->params[o->pw].offset,
				o->pb >= 0 ? g + m->params[o->pb].offset : NULL,
				m->scratch);
			break;
		case OP_BN:
			if (fused_bn_relu(m, i)) {
				const struct dbv_op *r = &m->ops[i + 1];

				dbv_bn_relu_backward(o->c, (size_t)n * hw, in,
						     p + m->params[o->pw].offset,
						     m->bn_save + o->save,
						     m->bn_save + o->save + o->c,
						     m->act[r->out], m->dact[r->out],
						     dx, g + m->params[o->pw].offset,
						     g + m->params[o->pb].offset,
						     set_grad(m, o->in, i));
				break;
			}
			(set_grad(m, o->in, i) ? dbv_bn_backward_set : dbv_bn_backward)(
				o->c, (size_t)n * hw, in, p + m->params[o->pw].offset,
				m->bn_save + o->save, m->bn_save + o->save + o->c,
				dy, dx, g + m->params[o->pw].offset,
				g + m->params[o->pb].offset);
			break;
		case OP_RELU:
			if (i > 0 && fused_bn_relu(m, i - 1))
				break; /* done with its BN */
			if (dx)
				(set_grad(m, o->in, i) ? dbv_relu_backward_set
						    : dbv_relu_backward)(
					m->slot_size[o->in] * (size_t)n, out, dy, dx);
			break;
		case OP_MAXPOOL:
			if (dx)
				(set_grad(m, o->in, i) ? dbv_maxpool2_backward_set
						    : dbv_maxpool2_backward)(
					(size_t)o->c * (size_t)n, o->h, o->w, in, dy, dx);
			break;
		case OP_GAP:
			if (dx)
				dbv_gap_backward(o->c, n, (int)hw, dy, dx);
			break;
		case OP_GMP:
			if (dx)
				dbv_gmp_backward(o->c, n, (int)hw, in, dy, dx);
			break;
		case OP_LINEAR:
			dbv_linear_backward(n, o->fin, o->fout, in,
					    p + m->params[o->pw].offset, dy, dx,
					    m->params[o->pw].kind == DBV_P_FIXED ? NULL :
					    g + m->params[o->pw].offset,
					    o->pb >= 0 ? g + m->params[o->pb].offset : NULL);
			break;
		case OP_ADD:
			add_bwd(m->slot_size[o->out] * (size_t)n, dy, dx,
				o->in2 == 0 ? NULL : m->dact[o->in2],
				set_grad(m, o->in, i), set_grad(m, o->in2, i));
			break;
		case OP_AVGPOOL:
			if (dx)
				(set_grad(m, o->in, i) ? dbv_avgpool2_backward_set
						    : dbv_avgpool2_backward)(
					(size_t)o->c * (size_t)n, o->h, o->w, dy, dx);
			break;
		case OP_PATCH:
			if (dx)
				dbv_patchify_backward(n, o->c, o->h, o->w, o->patch,
						      dy, dx);
			break;
		case OP_TLINEAR:
			dbv_linear_backward(n * o->tok, o->dim, o->fout, in,
					    p + m->params[o->pw].offset, dy, dx,
					    g + m->params[o->pw].offset,
					    o->pb >= 0 ? g + m->params[o->pb].offset : NULL);
			break;
		case OP_CLSPOS:
			dbv_clspos_backward(n, o->tok, o->dim, dy, dx,
					    g + m->params[o->pw].offset,
					    g + m->params[o->pb].offset);
			break;
		case OP_LN:
			dbv_layernorm_backward((size_t)n * o->tok, o->dim, in,
					       p + m->params[o->pw].offset,
					       out + (size_t)n * o->fin, dy, dx,
					       g + m->params[o->pw].offset,
					       g + m->params[o->pb].offset);
			break;
		case OP_GELU:
			if (dx)
				dbv_gelu_backward((size_t)n * o->fin, in, dy, dx);
			break;
		case OP_DROP:
			if (dx)
				dbv_dropout_backward((size_t)n * o->fin, o->drop,
						     m->drop_seed, o->site, dy, dx);
			break;
		case OP_ATTN:
			if (dx)
				dbv_attn_backward(n, o->tok, o->heads, o->dh, in,
						  out + (size_t)n * o->tok * o->heads * o->dh,
						  dy, dx, m->scratch, m->scratch_size);
			break;
		case OP_TOKMIX:
			dbv_tokmix_backward(n, o->tok, o->fout, o->dim, in,
					    p + m->params[o->pw].offset, dy, dx,
					    g + m->params[o->pw].offset,
					    g + m->params[o->pb].offset, m->scratch);
			break;
		case OP_TOKMEAN:
			if (dx)
				dbv_tokmean_backward(n, o->tok, o->dim, dy, dx);
			break;
		case OP_TOKEN0:
			if (dx)
				dbv_token0_backward(n, o->tok, o->dim, dy, dx);
			break;
		}
	}
}

void dbv_model_release(struct dbv_model *m)
{
	free_acts(m);
	free(m->params);
	free(m->ops);
	free(m->slot_size);
	free(m->slot_flat);
	free(m->slot_uses);
	free(m->slot_last);
	free(m->slot_parent);
	free(m->slot_off);
	free(m->bn_save);
	free(m->bn_stats);
	dbv_afree(m->p);
	dbv_afree(m->g);
	memset(m, 0, sizeof *m);
}
