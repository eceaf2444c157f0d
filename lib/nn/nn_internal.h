/*
 * lib/nn/nn_internal.h - kernel internals shared inside lib/nn (and by its
 * unit tests); not part of the public surface.
 */
#ifndef DBV_NN_INTERNAL_H
#define DBV_NN_INTERNAL_H

#include "nn/nn.h"
#include "base/par.h"
#include "nn/tokens.h"

/* cblas_sgemm with OpenBLAS single-threaded (dbv_sgemm splits large
 * products across dbv's threads and calls this on each part; the layers
 * call it from inside their own parts).  Arguments as dbv_sgemm. */
void dbv_sgemm1(int ta, int tb, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta,
		float *c, int ldc);

/* ---- test hooks and naive references ---------------------------------- */
/* Naive reference (double accumulation). */
void dbv_sgemm_ref(int ta, int tb, int m, int n, int k, float alpha,
		   const float *a, int lda, const float *b, int ldb,
		   float beta, float *c, int ldc);
/* The OPENBLAS_CORETYPE value dbv_blas_fix_core would choose on this CPU
 * when OpenBLAS runs the core `corename` ("SKYLAKEX", "HASWELL",
 * "SANDYBRIDGE"), or NULL when that core is as good as the CPU allows or
 * is one dbv leaves alone.  Pure; for tests and diagnostics. */
const char *dbv_blas_better_core(const char *corename);

/* ---- the direct 3x3 kernels -------------------------------------------- */
/*
 * The direct kernels (lib/nn/conv3.c): 3x3, stride 1, padding 1, AVX-512, no
 * im2col, for the forward pass, dx (the convolution of dy with the
 * kernels transposed and turned) and dwt (+=).  dbv_conv_forward and the
 * backward functions use them by themselves when dbv_conv_is_direct3(c):
 * the shape fits, the CPU has AVX-512F and DBV_CONV=gemm is not in the
 * environment (read once).  dbv_conv_direct_force(0 or 1)
 * overrides the environment (tests, benches; -1 restores it); 1 still
 * needs the CPU.  dbv_conv_scratch and _fwd cover both paths wherever
 * the CPU could run the direct kernels, so the setting may change between
 * sizing the scratch and using it.  dbv_conv_describe says which kernels
 * run (--version).
 * dbv_conv3_forward needs dbv_conv3_scratch(c, 0) floats of scratch,
 * dbv_conv3_backward_dx dbv_conv3_scratch(c, 1); the latter adds into dx,
 * or overwrites it when set.
 */
int dbv_conv_direct_cpu(void);
int dbv_conv_is_direct3(const struct dbv_conv *c);
void dbv_conv_direct_force(int mode);
size_t dbv_conv3_scratch(const struct dbv_conv *c, int dx);
void dbv_conv3_forward(const struct dbv_conv *c, int n, const float *x,
		       const float *wt, const float *b, float *y,
		       float *scratch);
void dbv_conv3_backward_dx(const struct dbv_conv *c, int n, const float *dy,
			   const float *wt, float *dx, float *scratch,
			   int set);
void dbv_conv3_backward_dw(const struct dbv_conv *c, int n, const float *x,
			   const float *dy, float *dwt);
/*
 * The 3x3 stride-2 padding-1 convolution (lib/nn/conv3.c): the direct
 * kernel on the four even/odd phases of x.  dbv_conv_forward and the
 * backward functions use it when dbv_conv_is_direct_s2(c) (the shape,
 * AVX-512 and DBV_CONV as for the stride-1 kernel).  Both need
 * dbv_conv_s2_scratch(c, n) floats of scratch (bounded: images go in
 * chunks); dbv_conv_s2_backward adds into dx (or overwrites it when set)
 * and into dwt, either may be NULL; db is not its business.
 * dbv_conv_has_direct: a direct kernel runs for c.
 */
int dbv_conv_is_direct_s2(const struct dbv_conv *c);
int dbv_conv_has_direct(const struct dbv_conv *c);
size_t dbv_conv_s2_scratch(const struct dbv_conv *c, int n);
void dbv_conv_s2_forward(const struct dbv_conv *c, int n, const float *x,
			 const float *wt, const float *b, float *y,
			 float *scratch);
void dbv_conv_s2_backward(const struct dbv_conv *c, int n, const float *x,
			  const float *wt, const float *dy, float *dx,
			  float *dwt, float *scratch, int set);
/* Direct (naive) references for the tests. */
void dbv_conv_forward_ref(const struct dbv_conv *c, int n, const float *x,
			  const float *wt, const float *b, float *y);
void dbv_conv_backward_ref(const struct dbv_conv *c, int n, const float *x,
			   const float *wt, const float *dy, float *dx,
			   float *dwt, float *db);

/* Naive references of the 2x2 average pool (lib/nn/pool2.c): sums in
 * double; the backward adds into dx. */
void dbv_avgpool2_forward_ref(size_t planes, int h, int w, const float *x,
			      float *y);
void dbv_avgpool2_backward_ref(size_t planes, int h, int w, const float *dy,
			       float *dx);

#endif /* DBV_NN_INTERNAL_H */
