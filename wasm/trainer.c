/* rnnbook trainer: the forward pass, the backward pass and AdamW of the book's recurrent
 * models (rnnbook.models.StatefulRNN, GRU2, LSTM2), in float32, for the browser.
 *
 * Compiled to WebAssembly with 128-bit SIMD (wasm/build.sh); book/_static/train/train-worker.js
 * drives it: it makes the data and the batches, the one-cycle schedule and the epoch table,
 * and calls train_batch / adamw / eval_batch here. tests/test_kernel.py checks the built
 * module against PyTorch in Node (losses, gradients, weights after AdamW steps, validation);
 * `python -m sitecheck.train` checks the same in Chromium, and a whole run. The file also
 * compiles natively (gcc, clang) as a shared library, for poking at it from Python with ctypes.
 *
 * The model, as in rnnbook/models.py:  x (B, T) token ids
 *   e = i_h.weight[x]                                  embedding, (T, B, H) time-major here
 *   for each layer l: h_t = cell(W_ih h_in_t + b_ih, W_hh h_{t-1} + b_hh)   PyTorch's cells
 *   y = bn(h_top) (batchnorm over B*T rows, if the model has one); logits = h_o(y)
 *   loss = mean cross-entropy over the B*T tokens
 * The hidden state after the last step is kept for the next batch (detached: no gradient
 * flows into the previous window), as rnnbook.models.StatefulMixin does.
 *
 * Layout, as in karpathy/llm.c's train_gpt2.c: one function per layer and direction
 * (embedding_forward, rnn_cell_forward, gru_cell_backward, batchnorm_forward, ...), then
 * model_forward and model_backward that call them in turn. Every buffer's comment gives its
 * shape: B rows of a batch, T steps, H hidden units, V tokens, G gates (1 rnn, 3 gru, 4 lstm).
 * Activations are time-major: row t*B + b of a (T, B, ...) buffer is step t of batch row b.
 *
 * Parameters live in one flat float array in PyTorch's named_parameters() order, the layout
 * of facts.h, which `python -m rnnbook.facts` writes from the models themselves (as it writes
 * the cells' numbers and batchnorm's constants).
 * Gradients, Adam's two moments and the weight-decay mask are flat arrays of the same layout.
 */
#include <stddef.h>
#include <stdint.h>

#include "facts.h" /* CELL_*, CELL_GATES, BN_EPS, BN_MOMENTUM, the LAYOUT_* of the parameters */

/* ------------------------------------------------------------------ memory */
#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(#name))) name
extern unsigned char __heap_base;
static size_t heap_top = 0;
/* `bytes` of memory, 16-byte aligned, never freed (the page makes a new instance per model);
 * 0 if the memory cannot grow that far. */
static void *arena(size_t bytes) {
  if (!heap_top) heap_top = (size_t)&__heap_base;
  size_t start = (heap_top + 15) & ~(size_t)15;
  size_t end = start + bytes;
  size_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    size_t pages = (end - have + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
  }
  heap_top = end;
  return (void *)start;
}
#else
#include <stdlib.h>
#define EXPORT(name) name
static void *arena(size_t bytes) { return calloc(1, bytes + 16); }
#endif

/* ------------------------------------------------------------------ math, 4 floats at a time
 * exp to within 2 units in the last place of a float (range reduction by ln 2, a degree-7
 * polynomial); the sigmoid and tanh from it, tanh by its Taylor series near 0 (where
 * 1 - 2/(e^2x + 1) would lose digits). */
typedef float v4 __attribute__((vector_size(16)));
typedef float v4u __attribute__((vector_size(16), aligned(4)));
typedef int32_t v4i __attribute__((vector_size(16)));
#define LD(p) (*(const v4u *)(p))
#define ST(p, v) (*(v4u *)(p) = (v))
#define SPLAT(x) ((v4){(x), (x), (x), (x)})
#define SPLAT_I(x) ((v4i){(x), (x), (x), (x)})

static inline v4 vsel(v4i mask, v4 a, v4 b) { return (v4)(((v4i)a & mask) | ((v4i)b & ~mask)); }
static inline v4 vabs(v4 x) { return (v4)((v4i)x & SPLAT_I(0x7fffffff)); }

static inline v4 exp_v(v4 x) {
  x = vsel(x < SPLAT(-87.3f), SPLAT(-87.3f), x);
  x = vsel(x > SPLAT(88.3f), SPLAT(88.3f), x);
  const v4 magic = SPLAT(12582912.0f); /* 1.5 * 2^23: adding it rounds to an integer */
  v4 k = (x * SPLAT(1.44269504f) + magic) - magic;
  v4 r = x - k * SPLAT(0.693359375f) - k * SPLAT(-2.12194440e-4f);
  v4 p = SPLAT(1.0f / 5040);
  p = p * r + SPLAT(1.0f / 720); p = p * r + SPLAT(1.0f / 120); p = p * r + SPLAT(1.0f / 24);
  p = p * r + SPLAT(1.0f / 6); p = p * r + SPLAT(0.5f); p = p * r + SPLAT(1.0f);
  p = p * r + SPLAT(1.0f);
  v4i e = (__builtin_convertvector(k, v4i) + 127) << 23;
  return p * (v4)e;
}

static inline v4 sigmoid_v(v4 x) { return SPLAT(1.0f) / (SPLAT(1.0f) + exp_v(-x)); }

static inline v4 tanh_v(v4 x) {
  v4 a = vabs(x);
  v4 e = exp_v(SPLAT(-2.0f) * a);
  v4 big = (SPLAT(1.0f) - e) / (SPLAT(1.0f) + e);
  big = (v4)((v4i)big | ((v4i)x & SPLAT_I((int32_t)0x80000000)));
  v4 x2 = x * x;
  v4 p = SPLAT(-1382.0f / 155925);
  p = p * x2 + SPLAT(62.0f / 2835); p = p * x2 + SPLAT(-17.0f / 315); p = p * x2 + SPLAT(2.0f / 15);
  p = p * x2 + SPLAT(-1.0f / 3);
  v4 small = x + x * x2 * p;
  return vsel(a < SPLAT(0.3f), small, big);
}

/* the first n (1..4) floats at p, and back */
static inline v4 ldn(const float *p, int n) {
  if (n == 4) return LD(p);
  v4 v = {0, 0, 0, 0};
  for (int i = 0; i < n; i++) v[i] = p[i];
  return v;
}
static inline void stn(float *p, v4 v, int n) {
  if (n == 4) { ST(p, v); return; }
  for (int i = 0; i < n; i++) p[i] = v[i];
}
/* how many of the 4 lanes from column j of a row of `width` floats are in the row */
static inline int lanes(int width, int j) { return width - j < 4 ? width - j : 4; }

/* ------------------------------------------------------------------ the log, in double */
static const double LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;

static double log_d(double x) { /* x > 0 and normal */
  union { double d; int64_t i; } u;
  u.d = x;
  int e = (int)((u.i >> 52) & 0x7ff) - 1023;
  u.i = (u.i & 0x000fffffffffffffLL) | 0x3ff0000000000000LL; /* mantissa in [1, 2) */
  double m = u.d;
  if (m > 1.41421356237309504880) { m *= 0.5; e += 1; }
  double s = (m - 1.0) / (m + 1.0), s2 = s * s; /* |s| <= 0.172 */
  double series = s * (2.0 + s2 * (2.0 / 3 + s2 * (2.0 / 5 + s2 * (2.0 / 7 + s2 * (2.0 / 9 +
                  s2 * (2.0 / 11 + s2 * (2.0 / 13 + s2 * (2.0 / 15))))))));
  return e * LN2_HI + (series + e * LN2_LO);
}

/* ------------------------------------------------------------------ matrix products
 * gemm: C (M, N) = [C +] A (M, K) B (K, N). A's element (i, k) is A[i*ars + k*acs], so A can
 * be read transposed; B and C are row-major with row strides ldb and ldc. Vectors of 4 floats
 * along N, a block of 4 rows by 8 columns in registers. */

/* 4 rows of C: C[0..3] (4, N) = [C +] A[0..3] (4, K) B (K, N) */
static inline void gemm_4rows(int N, int K, const float *A, int ars, int acs, const float *B,
                              int ldb, float *C, int ldc, int acc) {
  const float *a0 = A, *a1 = a0 + ars, *a2 = a1 + ars, *a3 = a2 + ars;
  float *c0 = C, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
  int j = 0;
  for (; j + 8 <= N; j += 8) {
    v4 s00 = {0}, s01 = {0}, s10 = {0}, s11 = {0}, s20 = {0}, s21 = {0}, s30 = {0}, s31 = {0};
    const float *b = B + j;
    for (int k = 0; k < K; k++, b += ldb) {
      v4 b0 = LD(b), b1 = LD(b + 4);
      float x0 = a0[(size_t)k * acs], x1 = a1[(size_t)k * acs];
      float x2 = a2[(size_t)k * acs], x3 = a3[(size_t)k * acs];
      s00 += x0 * b0; s01 += x0 * b1;
      s10 += x1 * b0; s11 += x1 * b1;
      s20 += x2 * b0; s21 += x2 * b1;
      s30 += x3 * b0; s31 += x3 * b1;
    }
    if (acc) {
      s00 += LD(c0 + j); s01 += LD(c0 + j + 4); s10 += LD(c1 + j); s11 += LD(c1 + j + 4);
      s20 += LD(c2 + j); s21 += LD(c2 + j + 4); s30 += LD(c3 + j); s31 += LD(c3 + j + 4);
    }
    ST(c0 + j, s00); ST(c0 + j + 4, s01); ST(c1 + j, s10); ST(c1 + j + 4, s11);
    ST(c2 + j, s20); ST(c2 + j + 4, s21); ST(c3 + j, s30); ST(c3 + j + 4, s31);
  }
  for (; j + 4 <= N; j += 4) {
    v4 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    const float *b = B + j;
    for (int k = 0; k < K; k++, b += ldb) {
      v4 b0 = LD(b);
      s0 += a0[(size_t)k * acs] * b0; s1 += a1[(size_t)k * acs] * b0;
      s2 += a2[(size_t)k * acs] * b0; s3 += a3[(size_t)k * acs] * b0;
    }
    if (acc) { s0 += LD(c0 + j); s1 += LD(c1 + j); s2 += LD(c2 + j); s3 += LD(c3 + j); }
    ST(c0 + j, s0); ST(c1 + j, s1); ST(c2 + j, s2); ST(c3 + j, s3);
  }
  for (; j < N; j++) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int k = 0; k < K; k++) {
      float bk = B[(size_t)k * ldb + j];
      s0 += a0[(size_t)k * acs] * bk; s1 += a1[(size_t)k * acs] * bk;
      s2 += a2[(size_t)k * acs] * bk; s3 += a3[(size_t)k * acs] * bk;
    }
    if (acc) { s0 += c0[j]; s1 += c1[j]; s2 += c2[j]; s3 += c3[j]; }
    c0[j] = s0; c1[j] = s1; c2[j] = s2; c3[j] = s3;
  }
}

/* one row of C: c (N) = [c +] a (K) B (K, N) */
static inline void gemm_1row(int N, int K, const float *a, int acs, const float *B, int ldb,
                             float *c, int acc) {
  int j = 0;
  for (; j + 4 <= N; j += 4) {
    v4 s0 = {0};
    const float *b = B + j;
    for (int k = 0; k < K; k++, b += ldb) s0 += a[(size_t)k * acs] * LD(b);
    if (acc) s0 += LD(c + j);
    ST(c + j, s0);
  }
  for (; j < N; j++) {
    float s0 = 0;
    for (int k = 0; k < K; k++) s0 += a[(size_t)k * acs] * B[(size_t)k * ldb + j];
    c[j] = acc ? c[j] + s0 : s0;
  }
}

static void gemm(int M, int N, int K, const float *A, int ars, int acs, const float *B, int ldb,
                 float *C, int ldc, int acc) {
  int i = 0;
  for (; i + 4 <= M; i += 4)
    gemm_4rows(N, K, A + (size_t)i * ars, ars, acs, B, ldb, C + (size_t)i * ldc, ldc, acc);
  for (; i < M; i++) gemm_1row(N, K, A + (size_t)i * ars, acs, B, ldb, C + (size_t)i * ldc, acc);
}

/* dst (cols, rows) = src (rows, cols) transposed */
static void transpose(const float *src, int rows, int cols, float *dst) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[(size_t)c * rows + r] = src[(size_t)r * cols + c];
}

/* out (N) [+]= column sums of A (M, N) */
static void colsum(const float *A, int M, int N, float *out, int acc) {
  if (!acc)
    for (int j = 0; j < N; j++) out[j] = 0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) out[j] += A[(size_t)i * N + j];
}

/* ------------------------------------------------------------------ the model */
#define MAX_LAYERS 4

/* The parameters by name: pointers into one flat array of the layout above (the values, the
 * gradients and the weight-decay mask each have one). */
typedef struct {
  float *embedding;        /* i_h.weight      (V, H) */
  float *w_ih[MAX_LAYERS]; /* rnn.weight_ih_l (G*H, H), the gates stacked: rnn h; gru r, z, n;
                              lstm i, f, g, o */
  float *w_hh[MAX_LAYERS]; /* rnn.weight_hh_l (G*H, H) */
  float *b_ih[MAX_LAYERS]; /* rnn.bias_ih_l   (G*H) */
  float *b_hh[MAX_LAYERS]; /* rnn.bias_hh_l   (G*H) */
  float *out_w;            /* h_o.weight      (V, H) */
  float *out_b;            /* h_o.bias        (V) */
  float *bn_w, *bn_b;      /* bn.weight, bn.bias (H) each; 0 without batchnorm */
} Params;

/* What the forward pass keeps for the backward pass, and the scratch of both. (T, B, ...)
 * buffers hold room for (Tmax, Bmax, ...). */
typedef struct {
  float *embedded;            /* (T, B, H) i_h.weight[x] */
  float *pre_x[MAX_LAYERS];   /* (T, B, G*H) W_ih h_in + b_ih, the input's part of every gate;
                                 the backward pass overwrites it with d loss / d pre_x */
  float *gates[MAX_LAYERS];   /* (T, B, G*H) the gates after their nonlinearity: rnn h;
                                 gru r, z, n; lstm i, f, g, o */
  float *h[MAX_LAYERS];       /* (T+1, B, H) h[0] the state carried in, h[t+1] step t's output */
  float *c[MAX_LAYERS];       /* (T+1, B, H) lstm: the cell states, likewise; 0 otherwise */
  float *gru_hn[MAX_LAYERS];  /* (T, B, H) gru: W_hn h_{t-1} + b_hn, which r scales; 0 otherwise */
  float *tanh_c[MAX_LAYERS];  /* (T, B, H) lstm: tanh(c_t); 0 otherwise */
  float *pre_h;               /* (B, G*H) W_hh h_{t-1} + b_hh of the step being computed */
  float *w_ih_t[MAX_LAYERS];  /* (H, G*H) W_ih transposed, for the forward's matrix products */
  float *w_hh_t[MAX_LAYERS];  /* (H, G*H) W_hh transposed */
  float *out_w_t;             /* (H, V) h_o.weight transposed */
  float *bn_xhat;             /* (T, B, H) the top layer's outputs normalised: (y - mean) * rstd */
  float *bn_out;              /* (T, B, H) bn.weight * xhat + bn.bias */
  double *bn_mean, *bn_rstd;  /* (H) the mean and 1 / sqrt(var + eps) that normalised them */
  double *bn_sum, *bn_sum2;   /* (H) column sums, scratch of batchnorm's forward and backward */
  float *logits;              /* (T, B, V); after a training forward pass, d loss / d logits */
  float *exp_row;             /* (V) exp(logit - max logit) of one row */
  float *dout;                /* (T, B, H) d loss / d the outputs of the layer being
                                 differentiated; after its backward pass, d loss / d its inputs */
  float *dpre_h;              /* (T, B, G*H) gru: d loss / d pre_h (rnn, lstm: equal to d pre_x) */
  float *dh_next, *dh_prev;   /* (B, H) d loss / d h_t from the later steps; d h_{t-1}, summing */
  float *dc;                  /* (B, H) lstm: d loss / d c_t, then d c_{t-1} */
} Activations;

static struct {
  int cell, L, H, V, bn, G;   /* cell kind, layers, hidden units, tokens, batchnorm (0/1), gates */
  int Bmax, Tmax;             /* the largest batch there is room for */
  int n_params;               /* floats in each flat array */
  float *param_mem, *grad_mem, *adam_m, *adam_v; /* (n_params) values, gradients, moments */
  float *decay_mask;          /* (n_params) 1 where AdamW decays the weight, else 0 */
  Params params, grads;       /* param_mem and grad_mem by name */
  float *running_mean;        /* (H) batchnorm's running statistics; running_var follows it, */
  float *running_var;         /* (H) so that bn_stats_ptr() gives both */
  float *state_h[MAX_LAYERS]; /* (Bmax, H) each layer's last h, kept for the next batch */
  float *state_c[MAX_LAYERS]; /* (Bmax, H) lstm: its last c */
  int state_B;                /* the rows of the kept state; 0: the next batch starts from zeros */
  int *x, *y;                 /* (B, T) the batch's inputs and targets, row-major */
  int correct;                /* right predictions of the last forward pass */
  Activations act;
} model;

/* ------------------------------------------------------------------ embedding and linear */
/* out (T, B, H) = embedding (V, H) [x (B, T)], time-major */
static void embedding_forward(float *out, const int *x, const float *embedding, int B, int T,
                              int H) {
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) {
      const float *e = embedding + (size_t)x[b * T + t] * H;
      float *dst = out + ((size_t)t * B + b) * H;
      for (int j = 0; j < H; j++) dst[j] = e[j];
    }
}

/* dembedding (V, H) = the sum of dout's (T, B, H) rows over the places of each token in x */
static void embedding_backward(float *dembedding, const float *dout, const int *x, int B, int T,
                               int V, int H) {
  for (int i = 0; i < V * H; i++) dembedding[i] = 0;
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) {
      float *d = dembedding + (size_t)x[b * T + t] * H;
      const float *s = dout + ((size_t)t * B + b) * H;
      for (int j = 0; j < H; j++) d[j] += s[j];
    }
}

/* out (N, OC) = inp (N, C) weight^T + bias (OC), weight_t (C, OC) being weight transposed */
static void linear_forward(float *out, const float *inp, const float *weight_t, const float *bias,
                           int N, int C, int OC) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < OC; j++) out[(size_t)i * OC + j] = bias[j];
  gemm(N, OC, C, inp, C, 1, weight_t, OC, out, OC, 1);
}

/* From dout (N, OC): dweight (OC, C) = dout^T inp, dbias (OC) = column sums of dout, and, if
 * dinp is not 0, dinp (N, C) = dout weight, weight (OC, C) */
static void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, int N, int C, int OC) {
  gemm(OC, C, N, dout, 1, OC, inp, C, dweight, C, 0);
  colsum(dout, N, OC, dbias, 0);
  if (dinp) gemm(N, C, OC, dout, OC, 1, weight, C, dinp, C, 0);
}

/* ------------------------------------------------------------------ the cells, forward
 * One time step of B rows. pre_x and pre_h (B, G*H) are the input's and the hidden state's
 * parts of the gates' pre-activations (W_ih x_t + b_ih, W_hh h_{t-1} + b_hh), in PyTorch's
 * gate order. */

/* nn.RNN: h (B, H) = tanh(pre_x + pre_h); gates (B, H) keeps h too */
static void rnn_cell_forward(float *h, float *gates, const float *pre_x, const float *pre_h,
                             int B, int H) {
  for (int b = 0; b < B; b++) {
    const float *xi = pre_x + (size_t)b * H, *hi = pre_h + (size_t)b * H;
    float *a = gates + (size_t)b * H, *hb = h + (size_t)b * H;
    for (int j = 0; j < H; j += 4) {
      int n = lanes(H, j);
      v4 hv = tanh_v(ldn(xi + j, n) + ldn(hi + j, n));
      stn(a + j, hv, n); stn(hb + j, hv, n);
    }
  }
}

/* nn.GRU: r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z), n = tanh(x_n + r h_n),
 * h (B, H) = n + z (h_prev - n), where x_ and h_ are the thirds of pre_x and pre_h (B, 3H).
 * gates (B, 3H) keeps r, z, n and hn (B, H) keeps h_n, for the backward pass. */
static void gru_cell_forward(float *h, float *gates, float *hn, const float *h_prev,
                             const float *pre_x, const float *pre_h, int B, int H) {
  const int GH = 3 * H;
  for (int b = 0; b < B; b++) {
    const float *xi = pre_x + (size_t)b * GH, *hi = pre_h + (size_t)b * GH;
    const float *h0 = h_prev + (size_t)b * H;
    float *a = gates + (size_t)b * GH, *hb = h + (size_t)b * H, *hnb = hn + (size_t)b * H;
    for (int j = 0; j < H; j += 4) {
      int n = lanes(H, j);
      v4 r = sigmoid_v(ldn(xi + j, n) + ldn(hi + j, n));
      v4 z = sigmoid_v(ldn(xi + H + j, n) + ldn(hi + H + j, n));
      v4 hnv = ldn(hi + 2 * H + j, n);
      v4 nn = tanh_v(ldn(xi + 2 * H + j, n) + r * hnv);
      stn(a + j, r, n); stn(a + H + j, z, n); stn(a + 2 * H + j, nn, n); stn(hnb + j, hnv, n);
      stn(hb + j, nn + z * (ldn(h0 + j, n) - nn), n);
    }
  }
}

/* nn.LSTM: i, f, o = sigmoid and g = tanh of the quarters of pre_x + pre_h (B, 4H);
 * c (B, H) = f c_prev + i g, h (B, H) = o tanh(c). gates (B, 4H) keeps i, f, g, o and
 * tanh_c (B, H) tanh(c), for the backward pass. */
static void lstm_cell_forward(float *h, float *c, float *gates, float *tanh_c,
                              const float *c_prev, const float *pre_x, const float *pre_h,
                              int B, int H) {
  const int GH = 4 * H;
  for (int b = 0; b < B; b++) {
    const float *xi = pre_x + (size_t)b * GH, *hi = pre_h + (size_t)b * GH;
    const float *c0 = c_prev + (size_t)b * H;
    float *a = gates + (size_t)b * GH, *cb = c + (size_t)b * H, *tc = tanh_c + (size_t)b * H;
    float *hb = h + (size_t)b * H;
    for (int j = 0; j < H; j += 4) {
      int n = lanes(H, j);
      v4 ig = sigmoid_v(ldn(xi + j, n) + ldn(hi + j, n));
      v4 fg = sigmoid_v(ldn(xi + H + j, n) + ldn(hi + H + j, n));
      v4 gg = tanh_v(ldn(xi + 2 * H + j, n) + ldn(hi + 2 * H + j, n));
      v4 og = sigmoid_v(ldn(xi + 3 * H + j, n) + ldn(hi + 3 * H + j, n));
      stn(a + j, ig, n); stn(a + H + j, fg, n); stn(a + 2 * H + j, gg, n);
      stn(a + 3 * H + j, og, n);
      v4 cv = fg * ldn(c0 + j, n) + ig * gg;
      v4 tv = tanh_v(cv);
      stn(cb + j, cv, n); stn(tc + j, tv, n); stn(hb + j, og * tv, n);
    }
  }
}

/* ------------------------------------------------------------------ the cells, backward
 * One time step of B rows, from dout (B, H), d loss / d h_t through the layer above, and
 * dh_next (B, H), d loss / d h_t through the later steps. They write dpre_x (B, G*H),
 * d loss / d pre_x, which equals d loss / d pre_h except in the GRU. */

/* nn.RNN: h = tanh(pre), so d pre = dh (1 - h^2) */
static void rnn_cell_backward(float *dpre_x, const float *dout, const float *dh_next,
                              const float *gates, int B, int H) {
  for (int b = 0; b < B; b++) {
    const float *a = gates + (size_t)b * H, *db = dout + (size_t)b * H;
    const float *dhb = dh_next + (size_t)b * H;
    float *gx = dpre_x + (size_t)b * H;
    for (int j = 0; j < H; j++) {
      float g = db[j] + dhb[j], hv = a[j];
      gx[j] = g * (1.0f - hv * hv);
    }
  }
}

/* nn.GRU: also dpre_h (B, 3H), whose n third is r times dpre_x's, and dh_prev (B, H) set to
 * z dh, the part of d loss / d h_{t-1} that does not go through the gates. */
static void gru_cell_backward(float *dpre_x, float *dpre_h, float *dh_prev, const float *dout,
                              const float *dh_next, const float *gates, const float *hn,
                              const float *h_prev, int B, int H) {
  const int GH = 3 * H;
  for (int b = 0; b < B; b++) {
    const float *a = gates + (size_t)b * GH, *ghn = hn + (size_t)b * H;
    const float *h0 = h_prev + (size_t)b * H, *db = dout + (size_t)b * H;
    const float *dhb = dh_next + (size_t)b * H;
    float *gx = dpre_x + (size_t)b * GH, *gh = dpre_h + (size_t)b * GH;
    float *dh2b = dh_prev + (size_t)b * H;
    for (int j = 0; j < H; j++) {
      float g = db[j] + dhb[j];
      float rr = a[j], z = a[H + j], nn = a[2 * H + j];
      float dn = g * (1.0f - z) * (1.0f - nn * nn);
      float dz = g * (h0[j] - nn) * z * (1.0f - z);
      float dr = dn * ghn[j] * rr * (1.0f - rr);
      gx[j] = gh[j] = dr;
      gx[H + j] = gh[H + j] = dz;
      gx[2 * H + j] = dn;
      gh[2 * H + j] = dn * rr;
      dh2b[j] = g * z;
    }
  }
}

/* nn.LSTM: dc (B, H) holds d loss / d c_t from the later steps on entry, d c_{t-1} on exit */
static void lstm_cell_backward(float *dpre_x, float *dc, const float *dout, const float *dh_next,
                               const float *gates, const float *tanh_c, const float *c_prev,
                               int B, int H) {
  const int GH = 4 * H;
  for (int b = 0; b < B; b++) {
    const float *a = gates + (size_t)b * GH, *tc = tanh_c + (size_t)b * H;
    const float *c0 = c_prev + (size_t)b * H, *db = dout + (size_t)b * H;
    const float *dhb = dh_next + (size_t)b * H;
    float *gx = dpre_x + (size_t)b * GH, *dcb = dc + (size_t)b * H;
    for (int j = 0; j < H; j++) {
      float g = db[j] + dhb[j];
      float ig = a[j], fg = a[H + j], gg = a[2 * H + j], og = a[3 * H + j];
      float dcell = dcb[j] + g * og * (1.0f - tc[j] * tc[j]);
      gx[j] = dcell * gg * ig * (1.0f - ig);
      gx[H + j] = dcell * c0[j] * fg * (1.0f - fg);
      gx[2 * H + j] = dcell * ig * (1.0f - gg * gg);
      gx[3 * H + j] = g * tc[j] * og * (1.0f - og);
      dcb[j] = dcell * fg;
    }
  }
}

/* ------------------------------------------------------------------ a recurrent layer */
/* Layer l over T steps of its input `in` (T, B, H): h[l] (T+1, B, H), from the kept state if
 * keep (it has B rows), else from zeros; the last step's h (and c) is kept for the next batch. */
static void recurrent_forward(int l, const float *in, int B, int T, int keep) {
  Activations *a = &model.act;
  const int H = model.H, GH = model.G * H;
  const size_t BH = (size_t)B * H, BGH = (size_t)B * GH;
  float *h = a->h[l], *c = a->c[l];
  linear_forward(a->pre_x[l], in, a->w_ih_t[l], model.params.b_ih[l], B * T, H, GH);
  for (size_t i = 0; i < BH; i++) h[i] = keep ? model.state_h[l][i] : 0.0f;
  if (c)
    for (size_t i = 0; i < BH; i++) c[i] = keep ? model.state_c[l][i] : 0.0f;
  for (int t = 0; t < T; t++) {
    linear_forward(a->pre_h, h + t * BH, a->w_hh_t[l], model.params.b_hh[l], B, H, GH);
    const float *pre_x = a->pre_x[l] + t * BGH;
    float *gates = a->gates[l] + t * BGH, *h_out = h + (t + 1) * BH;
    if (model.cell == CELL_RNN)
      rnn_cell_forward(h_out, gates, pre_x, a->pre_h, B, H);
    else if (model.cell == CELL_GRU)
      gru_cell_forward(h_out, gates, a->gru_hn[l] + t * BH, h + t * BH, pre_x, a->pre_h, B, H);
    else
      lstm_cell_forward(h_out, c + (t + 1) * BH, gates, a->tanh_c[l] + t * BH, c + t * BH, pre_x,
                        a->pre_h, B, H);
  }
  for (size_t i = 0; i < BH; i++) model.state_h[l][i] = h[T * BH + i];
  if (c)
    for (size_t i = 0; i < BH; i++) model.state_c[l][i] = c[T * BH + i];
}

/* Layer l backward, through time from the last step to the first: from act.dout (T, B, H),
 * d loss / d its outputs, the gradients of its weights and biases; then act.dout becomes
 * d loss / d its input `in` (T, B, H). No gradient flows into the kept state. */
static void recurrent_backward(int l, const float *in, int B, int T) {
  Activations *a = &model.act;
  const int H = model.H, GH = model.G * H, gru = model.cell == CELL_GRU;
  const size_t BH = (size_t)B * H, BGH = (size_t)B * GH;
  float *dpre_x = a->pre_x[l]; /* (T, B, G*H) the forward's pre_x is not needed any more */
  float *dpre_h = gru ? a->dpre_h : dpre_x;
  float *dh_next = a->dh_next, *dh_prev = a->dh_prev;
  for (size_t i = 0; i < BH; i++) { dh_next[i] = 0; a->dc[i] = 0; }
  for (int t = T - 1; t >= 0; t--) {
    const float *dout = a->dout + t * BH, *gates = a->gates[l] + t * BGH;
    if (model.cell == CELL_RNN)
      rnn_cell_backward(dpre_x + t * BGH, dout, dh_next, gates, B, H);
    else if (gru)
      gru_cell_backward(dpre_x + t * BGH, dpre_h + t * BGH, dh_prev, dout, dh_next, gates,
                        a->gru_hn[l] + t * BH, a->h[l] + t * BH, B, H);
    else
      lstm_cell_backward(dpre_x + t * BGH, a->dc, dout, dh_next, gates, a->tanh_c[l] + t * BH,
                         a->c[l] + t * BH, B, H);
    if (t > 0) { /* d h_{t-1} = dpre_h_t W_hh (+ z dh_t for the GRU, already in dh_prev) */
      gemm(B, H, GH, dpre_h + t * BGH, GH, 1, model.params.w_hh[l], H, dh_prev, H, gru);
      float *swap = dh_next; dh_next = dh_prev; dh_prev = swap;
    }
  }
  /* W_hh saw h[l] (T, B, H) without its last step; W_ih saw the input */
  linear_backward(0, model.grads.w_hh[l], model.grads.b_hh[l], dpre_h, a->h[l],
                  model.params.w_hh[l], B * T, H, GH);
  linear_backward(a->dout, model.grads.w_ih[l], model.grads.b_ih[l], dpre_x, in,
                  model.params.w_ih[l], B * T, H, GH);
}

/* ------------------------------------------------------------------ batchnorm */
/* nn.BatchNorm1d in training, over the N rows of y (N, H): the batch's mean and
 * rstd = 1 / sqrt(var + eps) (H), from the biased variance, in double; the running statistics
 * (H) move towards the mean and the unbiased variance by BN_MOMENTUM. */
static void batchnorm_statistics(double *mean, double *rstd, double *sum, double *sum2,
                                 float *running_mean, float *running_var, const float *y, int N,
                                 int H) {
  for (int j = 0; j < H; j++) { sum[j] = 0; sum2[j] = 0; }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < H; j++) sum[j] += y[(size_t)i * H + j];
  for (int j = 0; j < H; j++) mean[j] = sum[j] / N;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < H; j++) {
      double d = y[(size_t)i * H + j] - mean[j];
      sum2[j] += d * d;
    }
  for (int j = 0; j < H; j++) {
    double var = sum2[j] / N;
    rstd[j] = 1.0 / __builtin_sqrt(var + BN_EPS);
    double unbiased = N > 1 ? sum2[j] / (N - 1) : var;
    running_mean[j] = (1.0f - BN_MOMENTUM) * running_mean[j] + BN_MOMENTUM * (float)mean[j];
    running_var[j] = (1.0f - BN_MOMENTUM) * running_var[j] + BN_MOMENTUM * (float)unbiased;
  }
}

/* nn.BatchNorm1d in evaluation: mean and rstd (H) from the running statistics (H) */
static void batchnorm_running(double *mean, double *rstd, const float *running_mean,
                              const float *running_var, int H) {
  for (int j = 0; j < H; j++) {
    mean[j] = running_mean[j];
    rstd[j] = 1.0 / __builtin_sqrt((double)running_var[j] + BN_EPS);
  }
}

/* out (N, H) = w xhat + b, xhat = (y - mean) rstd (in double, then float); xhat (N, H) is
 * kept for the backward pass unless it is 0 */
static void batchnorm_forward(float *out, float *xhat, const float *y, const double *mean,
                              const double *rstd, const float *w, const float *b, int N, int H) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < H; j++) {
      size_t k = (size_t)i * H + j;
      float xh = (float)((y[k] - mean[j]) * rstd[j]);
      if (xhat) xhat[k] = xh;
      out[k] = xh * w[j] + b[j];
    }
}

/* From d (N, H), d loss / d out: dw = sum of d xhat, db = sum of d (H), and d written over with
 * d loss / d y = w rstd (d - mean(d) - xhat mean(d xhat)), the sums in double */
static void batchnorm_backward(float *d, float *dw, float *db, const float *xhat,
                               const double *rstd, const float *w, double *sum, double *sum2,
                               int N, int H) {
  for (int j = 0; j < H; j++) { sum[j] = 0; sum2[j] = 0; }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < H; j++) {
      size_t k = (size_t)i * H + j;
      sum[j] += d[k];
      sum2[j] += (double)d[k] * xhat[k];
    }
  for (int j = 0; j < H; j++) { db[j] = (float)sum[j]; dw[j] = (float)sum2[j]; }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < H; j++) {
      size_t k = (size_t)i * H + j;
      double g = d[k] - sum[j] / N - xhat[k] * (sum2[j] / N);
      d[k] = (float)(g * w[j] * rstd[j]);
    }
}

/* ------------------------------------------------------------------ the loss */
/* The mean cross-entropy of logits (T, B, V) against the targets y (B, T), summed in double,
 * and in *correct the number of rows whose largest logit is the target's. With dlogits = 1,
 * logits is overwritten with d loss / d logits = (softmax - onehot(y)) / (B T). */
static float crossentropy_forward(float *logits, const int *y, float *exp_row, int B, int T,
                                  int V, int dlogits, int *correct) {
  const int N = B * T;
  double total = 0;
  int right = 0;
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) {
      float *lg = logits + ((size_t)t * B + b) * V;
      int target = y[b * T + t], best = 0;
      float mx = lg[0];
      for (int j = 1; j < V; j++) if (lg[j] > mx) { mx = lg[j]; best = j; }
      right += best == target;
      for (int j = 0; j < V; j += 4) {
        int n = lanes(V, j);
        stn(exp_row + j, exp_v(ldn(lg + j, n) - SPLAT(mx)), n);
      }
      double s = 0;
      for (int j = 0; j < V; j++) s += exp_row[j];
      total += log_d(s) + mx - lg[target];
      if (dlogits) {
        float inv = (float)(1.0 / (s * N));
        for (int j = 0; j < V; j++) lg[j] = exp_row[j] * inv;
        lg[target] -= (float)(1.0 / N);
      }
    }
  *correct = right;
  return (float)(total / N);
}

/* ------------------------------------------------------------------ the whole model */
static void transpose_weights(void) {
  const int H = model.H, GH = model.G * H;
  for (int l = 0; l < model.L; l++) {
    transpose(model.params.w_ih[l], GH, H, model.act.w_ih_t[l]);
    transpose(model.params.w_hh[l], GH, H, model.act.w_hh_t[l]);
  }
  transpose(model.params.out_w, model.V, H, model.act.out_w_t);
}

/* The forward pass of the (B, T) batch in x_ptr/y_ptr; returns the mean loss. In training
 * (train = 1) the batchnorm uses the batch's statistics and updates its running ones, and
 * act.logits keeps d loss / d logits for the backward pass. */
static float model_forward(int B, int T, int train) {
  Activations *a = &model.act;
  const int H = model.H, N = B * T;
  const size_t BH = (size_t)B * H;
  transpose_weights();
  embedding_forward(a->embedded, model.x, model.params.embedding, B, T, H);
  int keep = model.state_B == B;
  for (int l = 0; l < model.L; l++)
    recurrent_forward(l, l ? a->h[l - 1] + BH : a->embedded, B, T, keep);
  model.state_B = B;
  const float *top = a->h[model.L - 1] + BH; /* (T, B, H) the last layer's outputs */
  if (model.bn) {
    if (train)
      batchnorm_statistics(a->bn_mean, a->bn_rstd, a->bn_sum, a->bn_sum2, model.running_mean,
                           model.running_var, top, N, H);
    else
      batchnorm_running(a->bn_mean, a->bn_rstd, model.running_mean, model.running_var, H);
    batchnorm_forward(a->bn_out, train ? a->bn_xhat : 0, top, a->bn_mean, a->bn_rstd,
                      model.params.bn_w, model.params.bn_b, N, H);
    top = a->bn_out;
  }
  linear_forward(a->logits, top, a->out_w_t, model.params.out_b, N, H, model.V);
  return crossentropy_forward(a->logits, model.y, a->exp_row, B, T, model.V, train,
                              &model.correct);
}

/* The backward pass after model_forward(B, T, 1): every gradient, written into grads_ptr. */
static void model_backward(int B, int T) {
  Activations *a = &model.act;
  const int H = model.H, N = B * T;
  const float *top = model.bn ? a->bn_out : a->h[model.L - 1] + (size_t)B * H;
  linear_backward(a->dout, model.grads.out_w, model.grads.out_b, a->logits, top,
                  model.params.out_w, N, H, model.V);
  if (model.bn)
    batchnorm_backward(a->dout, model.grads.bn_w, model.grads.bn_b, a->bn_xhat, a->bn_rstd,
                       model.params.bn_w, a->bn_sum, a->bn_sum2, N, H);
  for (int l = model.L - 1; l >= 0; l--)
    recurrent_backward(l, l ? a->h[l - 1] + (size_t)B * H : a->embedded, B, T);
  embedding_backward(model.grads.embedding, a->dout, model.x, B, T, model.V, H);
}

/* ------------------------------------------------------------------ setting up */
/* Walk the parameters in the layout of facts.h (PyTorch's named_parameters() order), L
 * layers of G gates: point p's tensors into `base` (if not 0) and set `mask` (if not 0) to 1
 * where AdamW decays the weight. Returns the number of floats. */
static size_t layout_parameters(Params *p, float *base, float *mask) {
  const size_t V = model.V, H = model.H, G = model.G;
  size_t n = 0;
#define PLACE(tensor, rows, cols, decayed) {                                   \
    const size_t size = (size_t)(rows) * (cols);                              \
    if (base) tensor = base + n;                                              \
    if (mask && (decayed)) for (size_t i = 0; i < size; i++) mask[n + i] = 1; \
    n += size; }
#define ONCE(field, rows, cols, decayed) PLACE(p->field, rows, cols, decayed)
#define PER_LAYER(field, rows, cols, decayed) PLACE(p->field[l], rows, cols, decayed)
  LAYOUT_HEAD(ONCE)
  for (int l = 0; l < model.L; l++) { LAYOUT_LAYER(PER_LAYER) }
  LAYOUT_TAIL(ONCE)
  p->bn_w = p->bn_b = 0;
  if (model.bn) { LAYOUT_BN(ONCE) }
#undef PER_LAYER
#undef ONCE
#undef PLACE
  return n;
}

/* n floats, doubles or ints from the arena; a failure is noted in out_of_memory */
static int out_of_memory;
static void *need_bytes(size_t bytes) {
  void *p = arena(bytes);
  if (!p) out_of_memory = 1;
  return p;
}
static float *need(size_t n) { return (float *)need_bytes(n * sizeof(float)); }
static double *need_doubles(size_t n) { return (double *)need_bytes(n * sizeof(double)); }
static int *need_ints(size_t n) { return (int *)need_bytes(n * sizeof(int)); }

/* The flat arrays (values, gradients, Adam's moments, the decay mask, all zero), the decay
 * mask's ones, and batchnorm's running statistics (mean 0, variance 1). */
static void alloc_parameters(void) {
  const int H = model.H, n = model.n_params;
  model.param_mem = need(n); model.grad_mem = need(n);
  model.adam_m = need(n); model.adam_v = need(n); model.decay_mask = need(n);
  model.running_mean = need(2 * (size_t)H); model.running_var = model.running_mean + H;
  if (out_of_memory) return;
  for (int i = 0; i < n; i++) {
    model.param_mem[i] = 0; model.grad_mem[i] = 0; model.adam_m[i] = 0; model.adam_v[i] = 0;
    model.decay_mask[i] = 0;
  }
  Params mask;
  layout_parameters(&model.params, model.param_mem, 0);
  layout_parameters(&model.grads, model.grad_mem, 0);
  layout_parameters(&mask, 0, model.decay_mask);
  for (int i = 0; i < H; i++) { model.running_mean[i] = 0; model.running_var[i] = 1; }
}

/* Room for the activations of a (Bmax, Tmax) batch; the buffers a cell does not use stay 0. */
static void alloc_activations(void) {
  Activations *a = &model.act;
  const int H = model.H, V = model.V, cell = model.cell;
  const size_t BT = (size_t)model.Bmax * model.Tmax, BH = (size_t)model.Bmax * H;
  const size_t GH = (size_t)model.G * H;
  a->embedded = need(BT * H);
  for (int l = 0; l < model.L; l++) {
    model.state_h[l] = need(BH);
    model.state_c[l] = cell == CELL_LSTM ? need(BH) : 0;
    a->pre_x[l] = need(BT * GH); a->gates[l] = need(BT * GH);
    a->h[l] = need(BT * H + BH);
    a->c[l] = cell == CELL_LSTM ? need(BT * H + BH) : 0;
    a->gru_hn[l] = cell == CELL_GRU ? need(BT * H) : 0;
    a->tanh_c[l] = cell == CELL_LSTM ? need(BT * H) : 0;
    a->w_ih_t[l] = need(GH * H); a->w_hh_t[l] = need(GH * H);
  }
  a->pre_h = need((size_t)model.Bmax * GH);
  a->out_w_t = need((size_t)V * H);
  a->bn_xhat = model.bn ? need(BT * H) : 0;
  a->bn_out = model.bn ? need(BT * H) : 0;
  a->bn_mean = need_doubles(4 * (size_t)H);
  a->bn_rstd = a->bn_mean + H; a->bn_sum = a->bn_rstd + H; a->bn_sum2 = a->bn_sum + H;
  a->logits = need(BT * V); a->exp_row = need((size_t)V + 4);
  a->dout = need(BT * H);
  a->dpre_h = cell == CELL_GRU ? need(BT * GH) : 0;
  a->dh_next = need(BH); a->dh_prev = need(BH); a->dc = need(BH);
  model.x = need_ints(BT); model.y = need_ints(BT);
}

/* Set up a model: cell 0 rnn (tanh), 1 gru, 2 lstm; L layers of H units; V tokens; bn 1 for
 * a batchnorm before the output layer; batches of at most Bmax rows and Tmax tokens.
 * Returns 0, or 1 if the settings are out of range, 2 if memory ran out. */
int EXPORT(init)(int cell, int L, int H, int V, int bn, int Bmax, int Tmax) {
  static const int gates[] = CELL_GATES;
  const int cells = (int)(sizeof gates / sizeof gates[0]);
  if (cell < 0 || cell >= cells || L < 1 || L > MAX_LAYERS || H < 1 || V < 1 || Bmax < 1 || Tmax < 1)
    return 1;
  model.cell = cell; model.L = L; model.H = H; model.V = V; model.bn = bn;
  model.G = gates[cell];
  model.Bmax = Bmax; model.Tmax = Tmax; model.state_B = 0;
  Params count;
  model.n_params = (int)layout_parameters(&count, 0, 0);
  out_of_memory = 0;
  alloc_parameters();
  alloc_activations();
  return out_of_memory ? 2 : 0;
}

float *EXPORT(params_ptr)(void) { return model.param_mem; }
float *EXPORT(grads_ptr)(void) { return model.grad_mem; }
float *EXPORT(bn_stats_ptr)(void) { return model.running_mean; } /* running mean (H), var (H) */
float *EXPORT(state_ptr)(int layer) { return model.state_h[layer]; } /* the kept h of a layer */
int *EXPORT(x_ptr)(void) { return model.x; }  /* the batch's inputs, (B, T) row-major */
int *EXPORT(y_ptr)(void) { return model.y; }  /* its targets, (B, T) */
int EXPORT(n_params)(void) { return model.n_params; }
int EXPORT(last_correct)(void) { return model.correct; }

/* Forget the hidden state: the next batch starts from zeros. */
void EXPORT(reset_state)(void) { model.state_B = 0; }

/* One training batch (B, T) from x_ptr/y_ptr: forward, loss, backward. Returns the loss;
 * the gradients are in grads_ptr, the optimiser step is adamw's. */
float EXPORT(train_batch)(int B, int T) {
  if (B < 1 || B > model.Bmax || T < 1 || T > model.Tmax) return -1.0f;
  float loss = model_forward(B, T, 1);
  model_backward(B, T);
  return loss;
}

/* One validation batch, no gradient, batchnorm with its running statistics. Returns the
 * mean loss; last_correct() gives the number of right predictions. */
float EXPORT(eval_batch)(int B, int T) {
  if (B < 1 || B > model.Bmax || T < 1 || T > model.Tmax) return -1.0f;
  return model_forward(B, T, 0);
}

/* One AdamW step (torch.optim.AdamW, single-tensor path) over every parameter, with weight
 * decay where the mask says so. The caller works out the step's scalars in double, as
 * PyTorch does in Python: decay = 1 - lr*wd, one_m_beta1 = 1 - beta1, beta2,
 * one_m_beta2 = 1 - beta2, bc2_sqrt = sqrt(1 - beta2**step), eps,
 * neg_step = -lr / (1 - beta1**step). */
void EXPORT(adamw)(float decay, float one_m_beta1, float beta2, float one_m_beta2,
                   float bc2_sqrt, float eps, float neg_step) {
  float *p = model.param_mem, *g = model.grad_mem, *m = model.adam_m, *v = model.adam_v;
  const float *mask = model.decay_mask;
  for (int i = 0; i < model.n_params; i++) {
    float pi = p[i];
    if (mask[i] != 0.0f) pi *= decay;
    float gi = g[i];
    float mi = m[i] + one_m_beta1 * (gi - m[i]);
    float vi = v[i] * beta2 + one_m_beta2 * gi * gi;
    float denom = __builtin_sqrtf(vi) / bc2_sqrt + eps;
    m[i] = mi; v[i] = vi;
    p[i] = pi + neg_step * (mi / denom);
  }
}
