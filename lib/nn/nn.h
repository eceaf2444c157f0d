/*
 * lib/nn/nn.h - the network layer: BLAS, layers, models, optimizers, the
 * trainer.
 */
#ifndef DBV_NN_H
#define DBV_NN_H

#include <signal.h>

#include "base/base.h"
#include "stream/stream.h"
#include "data/data.h"

/* ------------------------------------------------------------------ */
/* BLAS                                                                */
/* ------------------------------------------------------------------ */
/*
 * Threads.  dbv's layers, models, optimizers, batch making and dbv_sgemm
 * compute with dbv_threads() threads (a pool of dbv's own, lib/base/par.c) and
 * run OpenBLAS single-threaded inside them (OpenBLAS's own workers would
 * spin while dbv's loops run).  Work is split statically: the same thread
 * count gives bit-identical results; another count may round differently.
 * The default is the number of CPUs the process may use; the tools set
 * it from --threads.  dbv_blas_set_threads is the same call as
 * dbv_threads_set (kept for its callers).  The library's functions may
 * be called from several threads; their parallel parts then take turns.
 */
void dbv_blas_set_threads(int n); /* = dbv_threads_set (base.h) */
/* Row-major C = alpha*op(A)*op(B) + beta*C, op = transpose when tX;
 * large products are split across dbv_threads() threads. */
void dbv_sgemm(int ta, int tb, int m, int n, int k, float alpha,
	       const float *a, int lda, const float *b, int ldb, float beta,
	       float *c, int ldc);
/*
 * OpenBLAS core type.  Debian's OpenBLAS may misdetect a new CPU and run
 * its slowest kernels.  dbv_blas_fix_core(argv) re-executes the program
 * once with OPENBLAS_CORETYPE set to the best core the CPU supports, when
 * the user has not set it and the library runs a generic core.  Call it
 * first thing in main(); it returns only when no re-exec happened.
 */
void dbv_blas_fix_core(char **argv);
/* One line: "OpenBLAS 0.3.21, core SkylakeX (set by dbv; ...)". */
const char *dbv_blas_describe(void);
const char *dbv_blas_corename(void);

/* ------------------------------------------------------------------ */
/* Layers: forward/backward pairs                                      */
/* ------------------------------------------------------------------ */
/*
 * Activation layouts (float32):
 *   spatial: [C, N, H, W] ("CNHW": each channel's values for the whole
 *            batch are contiguous, so a convolution over the batch is one
 *            gemm per chunk and batch norm reduces over contiguous rows);
 *   flat:    [N, F] row-major.
 * Parameters use PyTorch's layouts: conv weight [Cout, Cin, k, k], linear
 * weight [Out, In], so they can be exchanged with state_dict tensors.
 * Backward functions ADD into every gradient they produce (dx and
 * parameter gradients alike); callers zero them.  A NULL gradient pointer
 * means "not needed".
 */
struct dbv_conv {
	int cin, cout, k, stride, pad;
	int h, w;   /* input spatial size  */
	int oh, ow; /* output spatial size */
};
/* Fills oh/ow; DBV_EUSAGE when the output would be empty. */
int dbv_conv_init(struct dbv_conv *c, int cin, int cout, int k, int stride,
		  int pad, int h, int w);
/* Floats of scratch the conv functions need for a batch of n. */
size_t dbv_conv_scratch(const struct dbv_conv *c, int n);
/* x [cin,n,h,w], wt [cout,cin*k*k], b [cout] or NULL -> y [cout,n,oh,ow]. */
void dbv_conv_forward(const struct dbv_conv *c, int n, const float *x,
		      const float *wt, const float *b, float *y, float *scratch);
void dbv_conv_backward(const struct dbv_conv *c, int n, const float *x,
		       const float *wt, const float *dy, float *dx, float *dwt,
		       float *db, float *scratch);
/* The same, dx overwritten instead of added into (see the _set forms
 * below). */
void dbv_conv_backward_set(const struct dbv_conv *c, int n, const float *x,
			   const float *wt, const float *dy, float *dx,
			   float *dwt, float *db, float *scratch);
/* Floats of scratch dbv_conv_forward alone needs (no more than
 * dbv_conv_scratch; evaluation reserves only this). */
size_t dbv_conv_scratch_fwd(const struct dbv_conv *c, int n);
/* Which convolution kernels run (--version): the direct AVX-512 3x3
 * kernels (nn_internal.h) or im2col + sgemm. */
const char *dbv_conv_describe(void);

/* x [n,in], wt [out,in], b [out] or NULL -> y [n,out]. */
void dbv_linear_forward(int n, int in, int out, const float *x,
			const float *wt, const float *b, float *y);
void dbv_linear_backward(int n, int in, int out, const float *x,
			 const float *wt, const float *dy, float *dx,
			 float *dwt, float *db);

/*
 * Batch norm over [C, M] (M = n*h*w per channel, contiguous).  Training:
 * normalise with the batch mean and biased variance, save mean and
 * 1/sqrt(var+eps) per channel for backward, and update running averages
 * as PyTorch does: r = (1-momentum)*r + momentum*stat, with the unbiased
 * variance M/(M-1)*var for running_var.  Eval: use the running averages.
 */
void dbv_bn_forward_train(int c, size_t m, const float *x, const float *gamma,
			  const float *beta, float *y, float *save_mean,
			  float *save_invstd, float *run_mean, float *run_var,
			  float momentum, float eps);
void dbv_bn_forward_eval(int c, size_t m, const float *x, const float *gamma,
			 const float *beta, float *y, const float *run_mean,
			 const float *run_var, float eps);
void dbv_bn_backward(int c, size_t m, const float *x, const float *gamma,
		     const float *save_mean, const float *save_invstd,
		     const float *dy, float *dx, float *dgamma, float *dbeta);
/*
 * Batch norm with a ReLU fused after it, for a BN output read by the ReLU
 * alone: one pass, the ReLU's output y written, the BN's never made.
 * The forward forms give the values of the BN forward followed by
 * dbv_relu_forward; the backward takes the ReLU's y and dy and gives what
 * dbv_relu_backward_set followed by the BN backward would (set: dx
 * overwritten, as the _set forms below), bit for bit.
 */
void dbv_bn_relu_forward_train(int c, size_t m, const float *x,
			       const float *gamma, const float *beta, float *y,
			       float *save_mean, float *save_invstd,
			       float *run_mean, float *run_var, float momentum,
			       float eps);
void dbv_bn_relu_forward_eval(int c, size_t m, const float *x,
			      const float *gamma, const float *beta, float *y,
			      const float *run_mean, const float *run_var,
			      float eps);
/* Evaluation BN, ReLU and 2x2 max pool in one pass ([c, n, h, w] ->
 * [c, n, h/2, w/2]): the values of the three ops. */
void dbv_bn_relu_maxpool2_forward_eval(int c, int n, int h, int w,
				       const float *x, const float *gamma,
				       const float *beta, float *y,
				       const float *run_mean,
				       const float *run_var, float eps);
/*
 * Training BN (relu: with the ReLU fused, as dbv_bn_relu_forward_train)
 * whose channels' batch statistics other BNs share: a DenseNet block's
 * BNs read overlapping ranges of one buffer, whose channels' mean and
 * variance do not change within a pass.  stats [2c] holds each channel's
 * mean and biased variance (double); channels [0, fresh) compute theirs
 * and store them there, the others read them (computed by an earlier BN
 * from the same values, so every result is bit for bit that of the plain
 * form, one of its two reads of x fewer).
 */
void dbv_bn_forward_train_shared(int c, size_t m, const float *x,
				 const float *gamma, const float *beta,
				 float *y, float *save_mean, float *save_invstd,
				 float *run_mean, float *run_var,
				 float momentum, float eps, int relu,
				 double *stats, int fresh);
void dbv_bn_relu_backward(int c, size_t m, const float *x,
			  const float *gamma, const float *save_mean,
			  const float *save_invstd, const float *y,
			  const float *dy, float *dx, float *dgamma,
			  float *dbeta, int set);
/*
 * The _set forms of the backward functions overwrite dx instead of adding
 * into it (every element written, zeros included): for an activation
 * gradient with one producer, which then needs no zeroing first.
 */
void dbv_bn_backward_set(int c, size_t m, const float *x, const float *gamma,
			 const float *save_mean, const float *save_invstd,
			 const float *dy, float *dx, float *dgamma,
			 float *dbeta);

/* y = max(x, 0); backward uses y (dx += dy where y > 0). */
void dbv_relu_forward(size_t n, const float *x, float *y);
void dbv_relu_backward(size_t n, const float *y, const float *dy, float *dx);
void dbv_relu_backward_set(size_t n, const float *y, const float *dy,
			   float *dx);
/* 2x2 max pool, stride 2, floor: [c*n, h, w] -> [c*n, h/2, w/2].  Ties go
 * to the first maximum in row-major window order (as PyTorch). */
void dbv_maxpool2_forward(size_t planes, int h, int w, const float *x,
			  float *y);
void dbv_maxpool2_backward(size_t planes, int h, int w, const float *x,
			   const float *dy, float *dx);
void dbv_maxpool2_backward_set(size_t planes, int h, int w, const float *x,
			       const float *dy, float *dx);
/* 2x2 average pool, stride 2, floor (lib/nn/pool2.c): [c*n, h, w] ->
 * [c*n, h/2, w/2], each output the mean of its window; backward gives
 * every input of a window a quarter of its dy (an odd last row or column
 * none).  The _set form overwrites dx. */
void dbv_avgpool2_forward(size_t planes, int h, int w, const float *x,
			  float *y);
void dbv_avgpool2_backward(size_t planes, int h, int w, const float *dy,
			   float *dx);
void dbv_avgpool2_backward_set(size_t planes, int h, int w, const float *dy,
			       float *dx);
/* Global pools: [c, n, h, w] -> flat [n, c]. */
void dbv_gap_forward(int c, int n, int hw, const float *x, float *y);
void dbv_gap_backward(int c, int n, int hw, const float *dy, float *dx);
void dbv_gmp_forward(int c, int n, int hw, const float *x, float *y);
void dbv_gmp_backward(int c, int n, int hw, const float *x, const float *dy,
		      float *dx);
/* Layout changes: [n, c, hw] <-> [c, n, hw]. */
void dbv_nchw_to_cnhw(int n, int c, int hw, const float *x, float *y);
void dbv_cnhw_to_nchw(int c, int n, int hw, const float *x, float *y);
/*
 * Softmax cross-entropy, mean over the batch: logits [n, k], labels in
 * [0,k).  Returns the loss (double accumulation); writes the gradient of
 * the mean loss into dlogits (overwrites) when non-NULL; counts correct
 * argmax predictions into *correct when non-NULL.
 */
double dbv_softmax_xent(int n, int k, const float *logits,
			const int32_t *labels, float *dlogits, int *correct);
/*
 * Squared error against one-hot targets (Belkin et al.'s loss; PyTorch's
 * MSELoss, mean over all n*k entries): the same interface as
 * dbv_softmax_xent, dlogits = 2 (logits - onehot) / (n k).
 */
double dbv_mse_onehot(int n, int k, const float *logits,
		      const int32_t *labels, float *dlogits, int *correct);
/* The loss a training configuration names ("xent" or "mse"; anything
 * else is xent: dbv_train_cfg_check refuses it first). */
double dbv_loss(const char *loss, int n, int k, const float *logits,
		const int32_t *labels, float *dlogits, int *correct);

/* ------------------------------------------------------------------ */
/* Models                                                              */
/* ------------------------------------------------------------------ */
/*
 * Architectures by name with a width dial (see dbv-train(1)):
 *   mlp      input -> depth x [Linear(width) ReLU] -> Linear(classes)
 *   fcnet    input -> 1024 -> 512 -> 256 -> 64 -> classes, ReLU between
 *   cnn5     conv3x3(K)+BN+ReLU; conv(2K)+BN+ReLU+pool; conv(4K)+BN+ReLU+
 *            pool; conv(8K)+BN+ReLU+pool; global max pool; linear
 *   resnet18 pre-activation ResNet-18, widths K,2K,4K,8K
 *   vgg11    VGG-11 scaled by K/64, global average pool, linear
 *   vgg      VGG-11/13/16/19 (depth) scaled by K/64, as vgg11
 *   wrn      WideResNet-depth-K: channels 16, 16K, 32K, 64K, (depth-4)/6
 *            pre-activation blocks a group, Kaiming normal (fan out)
 *   densenet DenseNet-121's layout with growth rate K (121: K = 32)
 *   rf       random features: input -> fixed random Linear(K, no bias)
 *            ReLU -> Linear(classes), the last trained from zero
 * Parameters are named like PyTorch state_dict keys of the module
 * structure documented in dbv-train(1) and laid out as PyTorch does.
 */
struct dbv_arch {
	char name[16];
	int width, depth; /* depth: mlp, wrn, vgg, vit, mixer; 0: the default */
	int c, h, w;      /* input item shape */
	int classes;
	/* The token models' options (dbv_arch_option; 0 and, for the
	 * dropouts, < 0: the architecture's default). */
	int patch, heads, dim_head, mlp_dim, expansion;
	double dropout, emb_dropout;
};

/*
 * Architecture options beyond width and depth, by name ("patch",
 * "heads", "dim-head" or "dim_head", "mlp-dim", "expansion", "dropout",
 * "emb-dropout"): dbv-train's options of the same names, a model
 * stream's "arch_options".  dbv_arch_option parses value into a
 * (DBV_EUSAGE with a message when the name is unknown or the value out
 * of range).  Options are numbered from 0: dbv_arch_option_name(i) is
 * the i-th's meta key (underscores; NULL past the last), _flag its
 * option name ("dim-head"),
 * dbv_arch_option_used whether architecture a has option i, _get and
 * _set its value as a double (_set range-checked, DBV_EINPUT).
 */
int dbv_arch_option(struct dbv_arch *a, const char *name, const char *value);
const char *dbv_arch_option_name(int i);
const char *dbv_arch_option_flag(int i);
int dbv_arch_option_used(const struct dbv_arch *a, int i);
int dbv_arch_option_is_int(int i);
double dbv_arch_option_get(const struct dbv_arch *a, int i);
int dbv_arch_option_set(struct dbv_arch *a, int i, double v);
/* DBV_EUSAGE when an option the architecture does not have is set
 * (above 0); dbv_model_build checks it. */
int dbv_arch_options_check(const struct dbv_arch *a);
/* Every option unset (the architecture's defaults): width, depth and the
 * ints 0, the dropouts -1; name empty. */
void dbv_arch_init(struct dbv_arch *a);
/* Fill what is unset with a's architecture's defaults (the paper's for
 * vit and mixer: width 512, depth 6 / 12, patch 4, heads 8, dim-head 64,
 * mlp-dim 512, expansion 4, dropout 0.1 / 0, emb-dropout 0.1; width 16
 * and depth 1 for the rest).  dbv_model_build does it. */
void dbv_arch_defaults(struct dbv_arch *a);
/* " patch=4 heads=8 ..." for the options a's architecture has (empty for
 * the others), at most n bytes with the NUL: for fingerprints. */
void dbv_arch_options_str(const struct dbv_arch *a, char *buf, size_t n);

enum dbv_param_kind {
	DBV_P_WEIGHT,    /* conv/linear weight: trained, decayed   */
	DBV_P_BIAS,      /* conv/linear bias                        */
	DBV_P_EMBED,     /* ViT class token and position embedding:
			    trained, initialised N(0, 1)            */
	DBV_P_BN_WEIGHT, /* BN gamma, LayerNorm weight              */
	DBV_P_BN_BIAS,   /* BN beta, LayerNorm bias                 */
	DBV_P_BN_MEAN,   /* BN running mean: not trained            */
	DBV_P_BN_VAR,    /* BN running variance: not trained, >= 0  */
	DBV_P_COUNTER,   /* num_batches_tracked (stored as a float
			    count, written as an i64 scalar)        */
	DBV_P_FIXED,     /* random weight drawn at init from the seed,
			    U(-a, a), a = sqrt(3/(in*out)): never
			    trained nor decayed (rf's features)     */
};

struct dbv_param {
	char name[64];
	enum dbv_param_kind kind;
	int ndim;
	int64_t shape[4];
	size_t offset; /* into dbv_model.p and .g */
	size_t numel;
	int fan_in;    /* for initialisation */
	int init;      /* DBV_INIT_*: how dbv_model_init fills it */
};

/* Initialisations other than PyTorch's default (DBV_INIT_DEFAULT). */
enum {
	DBV_INIT_DEFAULT,     /* by kind: see dbv_model_init              */
	DBV_INIT_KAIMING_OUT, /* N(0, 2/fan_out), fan_out = shape[0]*k*k:
				 kaiming_normal_(mode='fan_out', 'relu') */
	DBV_INIT_ZERO,        /* 0                                        */
};

struct dbv_op; /* private: one node of the model's graph */

struct dbv_model {
	struct dbv_arch arch;
	size_t nparams;
	struct dbv_param *params;
	size_t total;  /* floats in p and g */
	float *p;      /* all parameters and buffers, one allocation */
	float *g;      /* all gradients, same offsets, one allocation */
	int nops;
	struct dbv_op *ops;
	int nslots;
	size_t *slot_size; /* floats per item of each activation slot */
	int *slot_flat;    /* 1: [n,F] layout, 0: [C,n,H,W]            */
	int *slot_uses;    /* ops reading each slot (in or in2)        */
	int *slot_last;    /* the last op reading each slot, or -1     */
	int *slot_parent;  /* a view's slot (-1: a slot of its own)    */
	size_t *slot_off;  /* a view's offset into it, floats per item */
	int batch;     /* activations are allocated for this batch    */
	int eval_only; /* reserved by dbv_model_reserve_eval           */
	int no_fuse;   /* 1: BN and ReLU run apart (tests compare)      */
	int no_share;  /* 1: no BN shares statistics (tests compare)    */
	float **act, **dact;
	float *arena;  /* eval_only: the shared activation buffers     */
	float *scratch;
	size_t scratch_size;
	size_t act_bytes; /* activations (and gradients) reserved, bytes */
	float *bn_save; /* per-BN saved mean/invstd for backward */
	double *bn_stats; /* densenet: channel statistics BNs share      */
	uint64_t drop_seed; /* the dropout masks' seed of the next train
			       forward (dbv_dropout_seed; the trainer's) */
	struct dbv_tok_eval *tok_eval; /* eval_only token models: items in
					  chunks, per thread (models.c) */
};

/* Batch norm constants (PyTorch's defaults), recorded in model meta. */
#define DBV_BN_EPS 1e-5
#define DBV_BN_MOMENTUM 0.1


/* The depth an architecture has when none is given: wrn 28, vgg 19, vit
 * 6, mixer 12, others 1 (what dbv-train records for them). */
int dbv_arch_default_depth(const char *name);
/* Build the graph and the parameter table; allocate p and g (zeroed). */
int dbv_model_build(struct dbv_model *m, const struct dbv_arch *a);
/* PyTorch's default initialisation with dbv's PRNG: conv and linear
 * weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (what
 * kaiming_uniform_(a=sqrt(5)) gives), BN weight 1, bias 0, running mean 0,
 * var 1; a parameter whose init is not DBV_INIT_DEFAULT as that says
 * (wrn's).  Parameters are filled in table order. */
void dbv_model_init(struct dbv_model *m, uint64_t seed);
/* Find a parameter by name (NULL when absent). */
struct dbv_param *dbv_model_param(struct dbv_model *m, const char *name);
/* Allocate activations for batches of up to n items. */
int dbv_model_reserve(struct dbv_model *m, int n);
/* The same for forward passes with train = 0 only (prediction): slots
 * whose lives do not overlap share memory, and no gradients are made.
 * cnn5 K=16 at 256 items: 77 MB instead of 182 MB.  A token model (vit,
 * mixer) is then evaluated by chunks of 16 items, each thread running the
 * whole model on the chunks it takes in buffers of its own (models.c).
 * A later dbv_model_reserve replaces it. */
int dbv_model_reserve_eval(struct dbv_model *m, int n);
/* Forward pass on n normalised items x [n, c, h, w] (NCHW).  train: BN
 * uses batch statistics and updates running averages.  Returns the logits
 * [n, classes] (inside the model; valid until the next call); NULL for
 * train = 1 after dbv_model_reserve_eval. */
const float *dbv_model_forward(struct dbv_model *m, const float *x, int n,
			       int train);
/* Backward from dlogits [n, classes]; ADDS into m->g (zero it first with
 * dbv_model_zero_grad).  Needs the preceding forward with train = 1. */
void dbv_model_backward(struct dbv_model *m, const float *dlogits, int n);
void dbv_model_zero_grad(struct dbv_model *m);
/* The seed of the dropout masks (m->drop_seed) of optimizer step `step`
 * of a run whose data seed is data_seed: mix(data_seed ^ mix(step ^
 * 0x64726f70)), mix as in lib/nn/tokens.h. */
uint64_t dbv_dropout_seed(uint64_t data_seed, int64_t step);
size_t dbv_model_count(const struct dbv_model *m, int trainable_only);
void dbv_model_release(struct dbv_model *m);

/* ------------------------------------------------------------------ */
/* Training                                                            */
/* ------------------------------------------------------------------ */
#define DBV_MAX_MILESTONES 16
#define DBV_MAX_EPOCHS 1000000

struct dbv_train_cfg {
	char optim[8];      /* "sgd", "adam", "adamw", "lstsq"          */
	char loss[8];       /* "xent" (softmax cross-entropy), "mse"   */
	double lr, momentum, weight_decay;
	int nesterov;
	double beta1, beta2, adam_eps;
	char schedule[8];   /* "constant", "step", "cosine"            */
	int nmilestones;
	int64_t milestones[DBV_MAX_MILESTONES]; /* epochs */
	double gamma;       /* step factor                             */
	double warmup;      /* epochs of linear warm-up (0: none)      */
	int epochs, batch;
	int crop_pad;       /* random crop with this zero padding (0: off) */
	int flip;           /* random horizontal flip                  */
	uint64_t seed, data_seed;
	int threads;
};

/* Defaults: cross-entropy, SGD lr 0.1 momentum 0.9, no decay, constant, 10 epochs,
 * batch 128, no augmentation, seeds 0, 2 threads. */
void dbv_train_cfg_default(struct dbv_train_cfg *c);
/* Checks ranges and combinations; DBV_EUSAGE with a message. */
int dbv_train_cfg_check(const struct dbv_train_cfg *c);
/* The text forms of training options, as dbv-train(1) takes them; each
 * sets its outputs only when the whole text is valid, else DBV_EUSAGE
 * with the reason.  Augmentation: "none", or "crop:P" (P in 1..64) and
 * "flip", each at most once, comma-separated.  Betas: "B1,B2" (B1 in
 * [0, 0.999999], B2 in [0, 0.999999999]).  Milestones: a comma list of
 * epochs in 1..1000000, at most DBV_MAX_MILESTONES of them. */
int dbv_parse_augment(const char *s, int *crop_pad, int *flip);
int dbv_parse_betas(const char *s, double *beta1, double *beta2);
int dbv_parse_milestones(const char *s, struct dbv_train_cfg *c);

/* Learning rate of the update after batch b of epoch e (both from 0),
 * nb batches per epoch (see lib/nn/optim.c for the formulas). */
double dbv_train_lr(const struct dbv_train_cfg *c, int64_t e, int64_t b,
		    int64_t nb);

/* Optimizer state: one or two moment buffers over all of m->p. */
struct dbv_optim {
	float *m1, *m2;
	int64_t step;
};
int dbv_optim_init(struct dbv_optim *o, const struct dbv_model *m,
		   const struct dbv_train_cfg *c);
/* One update of every trainable parameter from m->g, as PyTorch's SGD
 * (momentum, dampening 0, nesterov, L2 weight decay), Adam (L2 decay added
 * to the gradient) or AdamW (decoupled decay) with learning rate lr. */
void dbv_optim_step(struct dbv_optim *o, struct dbv_model *m,
		    const struct dbv_train_cfg *c, double lr);
void dbv_optim_release(struct dbv_optim *o);

/*
 * Make a float batch from u8 images: gather items idx[0..n) of src
 * ([N, c, h, w]), apply the augmentation (when rng is non-NULL: for each
 * item in order, crop offsets dy = below(2p+1), dx = below(2p+1), then
 * flip = below(2)), scale to [0,1] and normalise per channel:
 * (v/255 - mean[ch]) / std[ch].  Out: [n, c, h, w].
 */
void dbv_make_batch(const uint8_t *src, int c, int h, int w,
		    const int64_t *idx, int n, const double *mean,
		    const double *std, int crop_pad, int flip,
		    struct dbv_rng *rng, float *out);

/*
 * Minimum-norm least squares (lib/nn/lstsq.c, LAPACK dgelsd in double):
 * a [n, f] column-major (destroyed), b [max(n, f), k] column-major: the
 * k right-hand sides in its first n rows on entry, the solutions x
 * [f, k] minimising |a x - b| with the least norm in its first f rows on
 * return.  Singular values below eps*max(n, f) times the largest count as
 * zero; *rank (when non-NULL) gets the effective rank.
 */
int dbv_lstsq_minnorm(int n, int f, int k, double *a, double *b, int *rank);
/*
 * The last layer of an rf model (fc.weight, fc.bias) as the minimum-norm
 * least-squares fit of one-hot labels d->y on the features of d's items,
 * computed in batches of `batch` through xb [batch, c, h, w] and idx
 * [batch] (the model reserved for batch items): what gradient descent from
 * zero on dbv_mse_onehot converges to.  DBV_EUSAGE for another arch.
 */
int dbv_rf_lstsq(struct dbv_model *m, const struct dbv_dataset *d,
		 float *xb, int64_t *idx, int batch, int *rank);

/* ------------------------------------------------------------------ */
/* Trainer (lib/nn/trainer.c)                                          */
/* ------------------------------------------------------------------ */
/*
 * The training loop of dbv-train(1) as a library: epochs of batches in an
 * order shuffled with the data generator (seeded with cfg->data_seed),
 * augmentation, one optimizer update per batch, evaluation on a test set
 * after each epoch, and the non-finite checks.  It neither prints, exits
 * nor writes files: it reports through hooks, at the moments dbv-train(1)
 * documents (PROGRESS, CHECKPOINTS).  Same configuration, data and
 * thread count: the same parameters, bit for bit, with or without a
 * resume in between.
 */

/* One epoch's figures: a model stream's "log" record, a row of a
 * checkpoint's "logs". */
struct dbv_train_log {
	int64_t epoch;                /* from 1                            */
	double train_loss, train_acc; /* over the epoch's training batches */
	int has_test;                 /* 0: no test set, test figures 0     */
	double test_loss, test_acc;   /* after the epoch, evaluation mode  */
	double lr;                    /* of the epoch's last batch         */
	double seconds;               /* the epoch's wall-clock time       */
};

/* A run between two batches: everything a checkpoint holds.  The arrays
 * are the trainer's (dbv_trainer_state) or the caller's. */
struct dbv_train_state {
	int64_t epoch, batch;  /* the next batch to run, both from 0; batch
				  may equal the batches of an epoch: all ran,
				  the epoch's end (its log) did not */
	int64_t step;          /* optimizer updates so far               */
	double elapsed;        /* seconds of training so far             */
	double loss_sum;       /* the epoch under way: sum of batch loss
				  times batch items                      */
	int64_t correct, seen; /* its correct predictions and items      */
	struct dbv_rng rng;    /* the data generator                     */
	int64_t n;             /* training items                         */
	int64_t *perm;         /* [n]: the epoch's order                 */
	size_t total;          /* floats of the model (dbv_model.total)  */
	float *p, *m1, *m2;    /* [total]: parameters and buffers, the
				  optimizer's moments (m2 NULL for SGD)  */
	struct dbv_train_log *logs; /* [epoch]: the finished epochs      */
};

/* Running figures after a batch, for a progress line. */
struct dbv_train_progress {
	int64_t epoch, batch;  /* the batch just run, both from 1 */
	int64_t nbatches;      /* batches per epoch               */
	double loss, acc;      /* the epoch's so far              */
	double rate;           /* items per second this epoch     */
	double left;           /* estimated seconds to the end    */
};

enum dbv_ckpt_unit { DBV_CKPT_EPOCHS, DBV_CKPT_BATCHES, DBV_CKPT_SECONDS };

/*
 * Hooks (each may be NULL; a non-zero return stops the run with that
 * status, its message left by the hook):
 *   progress    after a batch, at most five times a second and after
 *               each epoch's last batch;
 *   epoch       at an epoch's end, once its figures are known (trained:
 *               the items this run trained in the epoch, for a rate);
 *   checkpoint  when a save is due by ckpt_unit and ckpt_every: every
 *               N-th epoch after its epoch hook; every N-th batch
 *               (counted from the start of this run) or after the first
 *               batch ending N seconds after the last save (or the
 *               start); one due at an epoch's last batch waits for the
 *               epoch hook; none after the last epoch.  st is the state
 *               to save (the epoch to come when at an epoch's end).
 * stop (or NULL): when *stop is non-zero after a batch (a signal handler
 * sets it), the run ends there: the checkpoint hook (if any) saves the
 * state after that batch, t->st is left at it, and the run returns
 * DBV_TRAIN_STOPPED.  Read after every batch only (the epoch's end and
 * evaluation of the last epoch included in "the run finishes").
 */
struct dbv_train_hooks {
	void *arg;
	int (*progress)(void *arg, const struct dbv_train_progress *p);
	int (*epoch)(void *arg, const struct dbv_train_log *log,
		     int64_t trained);
	int (*checkpoint)(void *arg, const struct dbv_train_state *st);
	enum dbv_ckpt_unit ckpt_unit;
	int64_t ckpt_every;    /* >= 1 */
	const volatile sig_atomic_t *stop;
};

/* dbv_trainer_run's return when hooks->stop stopped it: neither a
 * failure nor an exit code; the caller decides. */
#define DBV_TRAIN_STOPPED (-1)

struct dbv_trainer {
	struct dbv_model model;
	struct dbv_optim optim;
	struct dbv_train_cfg cfg;
	const struct dbv_dataset *train, *test; /* the caller's */
	struct dbv_train_state st; /* live; st.step is optim.step's */
	float *xb, *dl;        /* a batch of inputs and of dlogits */
	int64_t *idx;
	int32_t *ybuf;
};

/*
 * Build arch (its c, h, w and classes from the training set), initialise
 * it with cfg->seed, reserve batches of cfg->batch, make the optimizer
 * state and seed the data generator.  The sets hold u8 images of 1 to
 * 4 channels, at least one; test (or NULL) must have the training set's
 * item shape and classes (DBV_EINPUT otherwise); an input too small
 * for the architecture is DBV_EUSAGE.  The data sets must outlive the
 * trainer.  cfg is copied.  On failure nothing is left to release.
 */
int dbv_trainer_init(struct dbv_trainer *t, const struct dbv_arch *arch,
		     const struct dbv_train_cfg *cfg,
		     const struct dbv_dataset *train,
		     const struct dbv_dataset *test);
/* Batches per epoch. */
int64_t dbv_trainer_batches(const struct dbv_trainer *t);
/* The run's state: scalars copied, arrays the trainer's own (so that a
 * checkpoint reader may fill them in place). */
void dbv_trainer_state(const struct dbv_trainer *t, struct dbv_train_state *st);
/* Continue from st (a checkpoint's, checked by its reader against this
 * run): its scalars, and its arrays unless they are the trainer's. */
void dbv_trainer_resume(struct dbv_trainer *t, const struct dbv_train_state *st);
/* Train from the current state to the last epoch.  DBV_ENONFINITE when
 * a batch's loss ("the loss is not finite at epoch E, batch B (lower the
 * learning rate?)") or, at an epoch's end, a parameter ("the parameters
 * became non-finite in epoch E (...)") is not finite; a hook's status. */
int dbv_trainer_run(struct dbv_trainer *t, const struct dbv_train_hooks *h);
/* Where state st of a run of `epochs` epochs of nb batches is, counted
 * as the logs and progress lines count (from 1), into buf (n bytes):
 * "after batch B/NB of epoch E/EPOCHS", "at the start of epoch E/EPOCHS"
 * or "after the last epoch (EPOCHS)". */
void dbv_train_where(char *buf, size_t n, const struct dbv_train_state *st,
		     int epochs, int64_t nb);
void dbv_trainer_release(struct dbv_trainer *t);

/* ------------------------------------------------------------------ */
/* Estimates (lib/nn/estimate.c): what a run costs, before it runs      */
/* ------------------------------------------------------------------ */
/*
 * dbv-train --estimate and dbv-predict --estimate (their man pages):
 * throughput measured on a few batches of the real model and data, then
 * arithmetic.  Memory is counted from the sizes of what the trainer or
 * model allocated (tests/unit/test_estimate.c compares it with the heap).
 */
struct dbv_estimate {
	int train;          /* 1: a training (dbv-train), 0: a prediction   */
	double rate;        /* items (predictions: points) per second       */
	int64_t items;      /* training images per epoch, or points         */
	int epochs;         /* 1 for predictions                            */
	double eval_rate;   /* items per second in evaluation mode          */
	int64_t eval_items; /* items evaluated after every epoch (--test)   */
	double seconds;     /* dbv_estimate_seconds of the rates            */
	double cpu_seconds; /* the same of the rates per CPU second          */
	int threads;
	uint64_t memory;    /* bytes: dbv_trainer_bytes or dbv_model_bytes  */
};

/* Seconds of epochs x (items / rate + eval_items / eval_rate); the
 * evaluation term only when eval_items > 0.  Rates must be > 0. */
double dbv_estimate_seconds(int epochs, int64_t items, double rate,
			    int64_t eval_items, double eval_rate);
/* Bytes a model holds: parameters, gradients, BN statistics, its tables,
 * the activations and scratch reserved (dbv_model_reserve*). */
uint64_t dbv_model_bytes(const struct dbv_model *m);
/* Bytes a data set's arrays hold. */
uint64_t dbv_dataset_bytes(const struct dbv_dataset *d);
/* Bytes a trainer holds: the model, the optimizer's moments, its batch
 * buffers, order and logs, and its data sets. */
uint64_t dbv_trainer_bytes(const struct dbv_trainer *t);
/* Train batches of the first epoch (the first one a warm-up, not timed)
 * until min_seconds have passed (at least 2 timed batches, then
 * cycling), and time evaluation-mode passes (of the test set, else the
 * training set) for half as long, in wall-clock time and in the
 * process's CPU time.  The trainer's state is changed: use it for
 * nothing else afterwards.  Fills every field of e. */
int dbv_trainer_measure(struct dbv_trainer *t, double min_seconds,
			struct dbv_estimate *e);
/* Items per second of evaluation-mode forward passes of n items of x
 * (n at most the reserved batch), repeated for min_seconds (the first
 * a warm-up, not timed; at least 2 timed); *cpu_rate: items per second
 * of the process's CPU time. */
double dbv_model_eval_rate(struct dbv_model *m, const float *x, int n,
			   double min_seconds, double *cpu_rate);
/* The estimate as one JSON line (dbv-train(1), dbv-predict(1), ESTIMATE). */
void dbv_estimate_json(FILE *f, const struct dbv_estimate *e);

/* ------------------------------------------------------------------ */

#endif /* DBV_NN_H */
