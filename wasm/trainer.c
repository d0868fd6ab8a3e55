/* rnnbook trainer: the forward pass, the backward pass and AdamW of the book's recurrent
 * models (rnnbook.models.StatefulRNN, GRU2, LSTM2), in float32, for the browser.
 *
 * Compiled to WebAssembly with 128-bit SIMD (wasm/build.sh); book/_static/train/train-worker.js
 * drives it: it makes the data and the batches, the one-cycle schedule and the epoch table,
 * and calls train_batch / adamw / eval_batch here; scripts/check_train.py checks the result
 * against PyTorch in Chromium. The same file also compiles natively (gcc, clang) as a shared
 * library, which is handy for poking at it from Python with ctypes.
 *
 * The model, as in rnnbook/models.py:  x (B, T) token ids
 *   e = i_h.weight[x]                                  embedding, (T, B, H) time-major here
 *   for each layer l: h_t = cell(W_ih h_in_t + b_ih, W_hh h_{t-1} + b_hh)   PyTorch's cells
 *   y = bn(h_top) (batchnorm over B*T rows, if the model has one); logits = h_o(y)
 *   loss = mean cross-entropy over the B*T tokens
 * The hidden state after the last step is kept for the next batch (detached: no gradient
 * flows into the previous window), as rnnbook.models.StatefulMixin does.
 *
 * Parameters live in one flat float array in PyTorch's named_parameters() order:
 *   i_h.weight (V,H); per layer l: rnn.weight_ih_l (G*H,H), rnn.weight_hh_l (G*H,H),
 *   rnn.bias_ih_l (G*H), rnn.bias_hh_l (G*H); h_o.weight (V,H), h_o.bias (V);
 *   bn.weight (H), bn.bias (H) if the model has batchnorm.   G = 1 (rnn), 3 (gru), 4 (lstm).
 * Gradients, Adam's two moments and a weight-decay mask are flat arrays of the same layout.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(#name))) name
extern unsigned char __heap_base;
static size_t heap_top = 0;
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

typedef float v4 __attribute__((vector_size(16)));
typedef float v4u __attribute__((vector_size(16), aligned(4)));
#define LD(p) (*(const v4u *)(p))
#define ST(p, v) (*(v4u *)(p) = (v))
#define SPLAT_I(x) ((v4i){(x), (x), (x), (x)})

typedef int32_t v4i __attribute__((vector_size(16)));
#define SPLAT(x) ((v4){(x), (x), (x), (x)})
static inline v4 vsel(v4i mask, v4 a, v4 b) { return (v4)(((v4i)a & mask) | ((v4i)b & ~mask)); }
static inline v4 vabs(v4 x) { return (v4)((v4i)x & SPLAT_I(0x7fffffff)); }

/* ------------------------------------------------------------------ math, 4 floats at a time
 * exp to within 2 units in the last place of a float (range reduction by ln 2, a degree-7
 * polynomial); the sigmoid and tanh from it, tanh by its Taylor series near 0 (where
 * 1 - 2/(e^2x + 1) would lose digits). */
static inline v4 exp_v(v4 x) {
  x = vsel(x < SPLAT(-87.3f), SPLAT(-87.3f), x);
  x = vsel(x > SPLAT(88.3f), SPLAT(88.3f), x);
  const v4 magic = SPLAT(12582912.0f); /* 1.5 * 2^23: adding it rounds to an integer */
  v4 k = (x * SPLAT(1.44269504f) + magic) - magic;
  v4 r = x - k * SPLAT(0.693359375f) - k * SPLAT(-2.12194440e-4f);
  v4 p = SPLAT(1.0f / 5040);
  p = p * r + SPLAT(1.0f / 720); p = p * r + SPLAT(1.0f / 120); p = p * r + SPLAT(1.0f / 24);
  p = p * r + SPLAT(1.0f / 6); p = p * r + SPLAT(0.5f); p = p * r + SPLAT(1.0f); p = p * r + SPLAT(1.0f);
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

/* ------------------------------------------------------------------ matrix product
 * C (M, N) = [C +] A (M, K) B (K, N). A's element (i, k) is A[i*ars + k*acs], so A can be
 * read transposed; B and C are row-major with row strides ldb and ldc. Vectors of 4 floats
 * along N, a block of 4 rows by 8 columns in registers. */
static void gemm(int M, int N, int K, const float *A, int ars, int acs, const float *B, int ldb,
                 float *C, int ldc, int acc) {
  int i = 0;
  for (; i + 4 <= M; i += 4) {
    const float *a0 = A + (size_t)i * ars, *a1 = a0 + ars, *a2 = a1 + ars, *a3 = a2 + ars;
    float *c0 = C + (size_t)i * ldc, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
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
  for (; i < M; i++) {
    const float *a0 = A + (size_t)i * ars;
    float *c0 = C + (size_t)i * ldc;
    int j = 0;
    for (; j + 4 <= N; j += 4) {
      v4 s0 = {0};
      const float *b = B + j;
      for (int k = 0; k < K; k++, b += ldb) s0 += a0[(size_t)k * acs] * LD(b);
      if (acc) s0 += LD(c0 + j);
      ST(c0 + j, s0);
    }
    for (; j < N; j++) {
      float s0 = 0;
      for (int k = 0; k < K; k++) s0 += a0[(size_t)k * acs] * B[(size_t)k * ldb + j];
      c0[j] = acc ? c0[j] + s0 : s0;
    }
  }
}

/* dst (cols, rows) = src (rows, cols) transposed */
static void transpose(const float *src, int rows, int cols, float *dst) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[(size_t)c * rows + r] = src[(size_t)r * cols + c];
}

/* every row of C (M, N) set to bias */
static void fill_rows(float *C, int M, int N, const float *bias) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) C[(size_t)i * N + j] = bias[j];
}

/* out (N) [+]= column sums of A (M, N) */
static void colsum(const float *A, int M, int N, float *out, int acc) {
  if (!acc)
    for (int j = 0; j < N; j++) out[j] = 0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) out[j] += A[(size_t)i * N + j];
}

/* ------------------------------------------------------------------ the network */
enum { CELL_RNN = 0, CELL_GRU = 1, CELL_LSTM = 2 };
#define MAXL 4

static struct {
  int cell, L, H, V, bn, G, Bmax, Tmax, np, state_B;
  float *params, *grads, *m, *v, *mask, *rmean, *rvar;
  int off_emb, off_wih[MAXL], off_whh[MAXL], off_bih[MAXL], off_bhh[MAXL], off_how, off_hob,
      off_bnw, off_bnb;
  float *state_h[MAXL], *state_c[MAXL];
  float *X0, *GX[MAXL], *GA[MAXL], *HB[MAXL], *CB[MAXL], *AUX[MAXL], *dGH;
  float *Z, *XH, *LOG, *dH, *gh, *dh, *dh2, *dc, *expbuf;
  float *wihT[MAXL], *whhT[MAXL], *howT;
  double *bn_mean, *bn_var, *bn_s1, *bn_s2;
  int *x, *y;
  int correct;
} net;

#define P(off) (net.params + (off))
#define D(off) (net.grads + (off))

static float *falloc(size_t n) { return (float *)arena(n * sizeof(float)); }

/* Set up a model: cell 0 rnn (tanh), 1 gru, 2 lstm; L layers of H units; V tokens; bn 1 for
 * a batchnorm before the output layer; batches of at most Bmax rows and Tmax tokens.
 * Returns 0, or 1 if the settings are out of range, 2 if memory ran out. */
int EXPORT(init)(int cell, int L, int H, int V, int bn, int Bmax, int Tmax) {
  if (cell < 0 || cell > 2 || L < 1 || L > MAXL || H < 1 || V < 1 || Bmax < 1 || Tmax < 1)
    return 1;
  int G = cell == CELL_RNN ? 1 : cell == CELL_GRU ? 3 : 4;
  net.cell = cell; net.L = L; net.H = H; net.V = V; net.bn = bn; net.G = G;
  net.Bmax = Bmax; net.Tmax = Tmax; net.state_B = 0;
  int n = 0;
  net.off_emb = n; n += V * H;
  for (int l = 0; l < L; l++) {
    net.off_wih[l] = n; n += G * H * H;
    net.off_whh[l] = n; n += G * H * H;
    net.off_bih[l] = n; n += G * H;
    net.off_bhh[l] = n; n += G * H;
  }
  net.off_how = n; n += V * H;
  net.off_hob = n; n += V;
  if (bn) { net.off_bnw = n; n += H; net.off_bnb = n; n += H; }
  net.np = n;
  size_t NT = (size_t)Bmax * Tmax, GH = (size_t)G * H;
  net.params = falloc(n); net.grads = falloc(n); net.m = falloc(n); net.v = falloc(n);
  net.mask = falloc(n);
  net.rmean = falloc(2 * (size_t)H); net.rvar = net.rmean + H;
  if (!net.params || !net.grads || !net.m || !net.v || !net.mask || !net.rmean) return 2;
  for (int i = 0; i < n; i++) { net.m[i] = 0; net.v[i] = 0; net.mask[i] = 0; net.grads[i] = 0; }
  for (int i = 0; i < V * H; i++) net.mask[net.off_emb + i] = net.mask[net.off_how + i] = 1;
  for (int l = 0; l < L; l++)
    for (size_t i = 0; i < GH * H; i++) net.mask[net.off_wih[l] + i] = net.mask[net.off_whh[l] + i] = 1;
  for (int i = 0; i < H; i++) { net.rmean[i] = 0; net.rvar[i] = 1; }
  net.X0 = falloc(NT * H);
  for (int l = 0; l < L; l++) {
    net.state_h[l] = falloc((size_t)Bmax * H); net.state_c[l] = falloc((size_t)Bmax * H);
    net.GX[l] = falloc(NT * GH); net.GA[l] = falloc(NT * GH);
    net.HB[l] = falloc((NT + Bmax) * H); net.CB[l] = falloc((NT + Bmax) * H);
    net.AUX[l] = falloc(NT * H);
    net.wihT[l] = falloc(GH * H); net.whhT[l] = falloc(GH * H);
    if (!net.state_h[l] || !net.state_c[l] || !net.GX[l] || !net.GA[l] || !net.HB[l] ||
        !net.CB[l] || !net.AUX[l] || !net.wihT[l] || !net.whhT[l]) return 2;
  }
  net.dGH = falloc(NT * GH);
  net.Z = falloc(NT * H); net.XH = falloc(NT * H); net.dH = falloc(NT * H);
  net.LOG = falloc(NT * V); net.howT = falloc((size_t)V * H); net.expbuf = falloc((size_t)V + 4);
  net.gh = falloc((size_t)Bmax * GH); net.dh = falloc((size_t)Bmax * H);
  net.dh2 = falloc((size_t)Bmax * H); net.dc = falloc((size_t)Bmax * H);
  net.bn_mean = (double *)arena(4 * (size_t)H * sizeof(double));
  net.x = (int *)arena(NT * sizeof(int)); net.y = (int *)arena(NT * sizeof(int));
  if (!net.X0 || !net.dGH || !net.Z || !net.XH || !net.dH || !net.LOG || !net.howT || !net.expbuf || !net.gh ||
      !net.dh || !net.dh2 || !net.dc || !net.bn_mean || !net.x || !net.y) return 2;
  net.bn_var = net.bn_mean + H; net.bn_s1 = net.bn_var + H; net.bn_s2 = net.bn_s1 + H;
  return 0;
}

float *EXPORT(params_ptr)(void) { return net.params; }
float *EXPORT(grads_ptr)(void) { return net.grads; }
float *EXPORT(bn_stats_ptr)(void) { return net.rmean; } /* running_mean (H), running_var (H) */
float *EXPORT(state_ptr)(int layer) { return net.state_h[layer]; } /* the kept h of a layer */
int *EXPORT(x_ptr)(void) { return net.x; }  /* the batch's inputs, (B, T) row-major */
int *EXPORT(y_ptr)(void) { return net.y; }  /* its targets, (B, T) */
int EXPORT(n_params)(void) { return net.np; }
int EXPORT(last_correct)(void) { return net.correct; }

/* Forget the hidden state: the next batch starts from zeros. */
void EXPORT(reset_state)(void) { net.state_B = 0; }

/* The forward pass of a (B, T) batch in x_ptr/y_ptr; returns the mean loss. In training
 * (train = 1) the batchnorm uses the batch's statistics and updates its running ones, and
 * LOG keeps d loss / d logits for the backward pass. */
static float forward(int B, int T, int train) {
  const int H = net.H, V = net.V, G = net.G, GH = G * H, NR = B * T;
  const size_t BH = (size_t)B * H;
  for (int l = 0; l < net.L; l++) {
    transpose(P(net.off_wih[l]), GH, H, net.wihT[l]);
    transpose(P(net.off_whh[l]), GH, H, net.whhT[l]);
  }
  transpose(P(net.off_how), V, H, net.howT);
  const float *emb = P(net.off_emb);
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) {
      const float *e = emb + (size_t)net.x[b * T + t] * H;
      float *dst = net.X0 + ((size_t)t * B + b) * H;
      for (int j = 0; j < H; j++) dst[j] = e[j];
    }
  int keep = net.state_B == B;
  for (int l = 0; l < net.L; l++) {
    const float *in = l ? net.HB[l - 1] + BH : net.X0;
    float *GX = net.GX[l], *GA = net.GA[l], *HB = net.HB[l], *CB = net.CB[l], *AUX = net.AUX[l];
    fill_rows(GX, NR, GH, P(net.off_bih[l]));
    gemm(NR, GH, H, in, H, 1, net.wihT[l], GH, GX, GH, 1);
    for (size_t i = 0; i < BH; i++) {
      HB[i] = keep ? net.state_h[l][i] : 0.0f;
      CB[i] = keep ? net.state_c[l][i] : 0.0f;
    }
    const float *bhh = P(net.off_bhh[l]);
    for (int t = 0; t < T; t++) {
      const float *hp = HB + t * BH;
      float *hn = HB + (t + 1) * BH;
      fill_rows(net.gh, B, GH, bhh);
      gemm(B, GH, H, hp, H, 1, net.whhT[l], GH, net.gh, GH, 1);
      const float *gx = GX + (size_t)t * B * GH;
      float *ga = GA + (size_t)t * B * GH;
      for (int b = 0; b < B; b++) {
        const float *xi = gx + (size_t)b * GH, *hi = net.gh + (size_t)b * GH;
        float *a = ga + (size_t)b * GH, *h = hn + (size_t)b * H;
        const float *h0 = hp + (size_t)b * H;
        if (net.cell == CELL_RNN) {
          for (int j = 0; j < H; j += 4) {
            int n = H - j < 4 ? H - j : 4;
            v4 hv = tanh_v(ldn(xi + j, n) + ldn(hi + j, n));
            stn(a + j, hv, n); stn(h + j, hv, n);
          }
        } else if (net.cell == CELL_GRU) {
          float *ghn = AUX + ((size_t)t * B + b) * H;
          for (int j = 0; j < H; j += 4) {
            int n = H - j < 4 ? H - j : 4;
            v4 r = sigmoid_v(ldn(xi + j, n) + ldn(hi + j, n));
            v4 z = sigmoid_v(ldn(xi + H + j, n) + ldn(hi + H + j, n));
            v4 hn = ldn(hi + 2 * H + j, n);
            v4 nn = tanh_v(ldn(xi + 2 * H + j, n) + r * hn);
            stn(a + j, r, n); stn(a + H + j, z, n); stn(a + 2 * H + j, nn, n); stn(ghn + j, hn, n);
            stn(h + j, nn + z * (ldn(h0 + j, n) - nn), n);
          }
        } else {
          const float *c0 = CB + t * BH + (size_t)b * H;
          float *c = CB + (t + 1) * BH + (size_t)b * H;
          float *tc = AUX + ((size_t)t * B + b) * H;
          for (int j = 0; j < H; j += 4) {
            int n = H - j < 4 ? H - j : 4;
            v4 ig = sigmoid_v(ldn(xi + j, n) + ldn(hi + j, n));
            v4 fg = sigmoid_v(ldn(xi + H + j, n) + ldn(hi + H + j, n));
            v4 gg = tanh_v(ldn(xi + 2 * H + j, n) + ldn(hi + 2 * H + j, n));
            v4 og = sigmoid_v(ldn(xi + 3 * H + j, n) + ldn(hi + 3 * H + j, n));
            stn(a + j, ig, n); stn(a + H + j, fg, n); stn(a + 2 * H + j, gg, n); stn(a + 3 * H + j, og, n);
            v4 cv = fg * ldn(c0 + j, n) + ig * gg;
            v4 tv = tanh_v(cv);
            stn(c + j, cv, n); stn(tc + j, tv, n); stn(h + j, og * tv, n);
          }
        }
      }
    }
    for (size_t i = 0; i < BH; i++) {
      net.state_h[l][i] = HB[T * BH + i];
      net.state_c[l][i] = CB[T * BH + i];
    }
  }
  net.state_B = B;
  const float *Y = net.HB[net.L - 1] + BH;
  const float *Zin = Y;
  if (net.bn) {
    const float *w = P(net.off_bnw), *bb = P(net.off_bnb);
    const float eps = 1e-5f;
    if (train) {
      for (int j = 0; j < H; j++) { net.bn_s1[j] = 0; net.bn_s2[j] = 0; }
      for (int i = 0; i < NR; i++)
        for (int j = 0; j < H; j++) net.bn_s1[j] += Y[(size_t)i * H + j];
      for (int j = 0; j < H; j++) net.bn_mean[j] = net.bn_s1[j] / NR;
      for (int i = 0; i < NR; i++)
        for (int j = 0; j < H; j++) {
          double d = Y[(size_t)i * H + j] - net.bn_mean[j];
          net.bn_s2[j] += d * d;
        }
      for (int j = 0; j < H; j++) {
        double var = net.bn_s2[j] / NR;
        net.bn_var[j] = 1.0 / __builtin_sqrt(var + 1e-5); /* keeps 1/std */
        double unbiased = NR > 1 ? net.bn_s2[j] / (NR - 1) : var;
        net.rmean[j] = 0.9f * net.rmean[j] + 0.1f * (float)net.bn_mean[j];
        net.rvar[j] = 0.9f * net.rvar[j] + 0.1f * (float)unbiased;
      }
      for (int i = 0; i < NR; i++)
        for (int j = 0; j < H; j++) {
          size_t k = (size_t)i * H + j;
          float xh = (float)((Y[k] - net.bn_mean[j]) * net.bn_var[j]);
          net.XH[k] = xh;
          net.Z[k] = xh * w[j] + bb[j];
        }
    } else {
      for (int j = 0; j < H; j++) net.bn_var[j] = 1.0 / __builtin_sqrt((double)net.rvar[j] + eps);
      for (int i = 0; i < NR; i++)
        for (int j = 0; j < H; j++) {
          size_t k = (size_t)i * H + j;
          float xh = (float)((Y[k] - (double)net.rmean[j]) * net.bn_var[j]);
          net.Z[k] = xh * w[j] + bb[j];
        }
    }
    Zin = net.Z;
  }
  fill_rows(net.LOG, NR, V, P(net.off_hob));
  gemm(NR, V, H, Zin, H, 1, net.howT, V, net.LOG, V, 1);
  double total = 0;
  int correct = 0;
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) {
      float *lg = net.LOG + ((size_t)t * B + b) * V;
      int target = net.y[b * T + t], best = 0;
      float mx = lg[0];
      for (int j = 1; j < V; j++) if (lg[j] > mx) { mx = lg[j]; best = j; }
      correct += best == target;
      float *ex = net.expbuf;
      for (int j = 0; j < V; j += 4) {
        int n = V - j < 4 ? V - j : 4;
        stn(ex + j, exp_v(ldn(lg + j, n) - SPLAT(mx)), n);
      }
      double s = 0;
      for (int j = 0; j < V; j++) s += ex[j];
      total += log_d(s) + mx - lg[target];
      if (train) {
        float inv = (float)(1.0 / (s * NR));
        for (int j = 0; j < V; j++) lg[j] = ex[j] * inv;
        lg[target] -= (float)(1.0 / NR);
      }
    }
  net.correct = correct;
  return (float)(total / NR);
}

/* The backward pass after forward(B, T, 1): every gradient, written into grads_ptr. */
static void backward(int B, int T) {
  const int H = net.H, V = net.V, G = net.G, GH = G * H, NR = B * T;
  const size_t BH = (size_t)B * H;
  const float *Y = net.HB[net.L - 1] + BH;
  const float *Zin = net.bn ? net.Z : Y;
  gemm(V, H, NR, net.LOG, 1, V, Zin, H, D(net.off_how), H, 0);
  colsum(net.LOG, NR, V, D(net.off_hob), 0);
  gemm(NR, H, V, net.LOG, V, 1, P(net.off_how), H, net.dH, H, 0);
  if (net.bn) {
    const float *w = P(net.off_bnw);
    float *dw = D(net.off_bnw), *db = D(net.off_bnb);
    for (int j = 0; j < H; j++) { net.bn_s1[j] = 0; net.bn_s2[j] = 0; }
    for (int i = 0; i < NR; i++)
      for (int j = 0; j < H; j++) {
        size_t k = (size_t)i * H + j;
        net.bn_s1[j] += net.dH[k];
        net.bn_s2[j] += (double)net.dH[k] * net.XH[k];
      }
    for (int j = 0; j < H; j++) { db[j] = (float)net.bn_s1[j]; dw[j] = (float)net.bn_s2[j]; }
    for (int i = 0; i < NR; i++)
      for (int j = 0; j < H; j++) {
        size_t k = (size_t)i * H + j;
        double g = net.dH[k] - net.bn_s1[j] / NR - net.XH[k] * (net.bn_s2[j] / NR);
        net.dH[k] = (float)(g * w[j] * net.bn_var[j]);
      }
  }
  for (int l = net.L - 1; l >= 0; l--) {
    const float *in = l ? net.HB[l - 1] + BH : net.X0;
    float *dGX = net.GX[l]; /* the forward's input projections are not needed any more */
    float *dGH = net.cell == CELL_GRU ? net.dGH : dGX;
    const float *GA = net.GA[l], *HB = net.HB[l], *CB = net.CB[l], *AUX = net.AUX[l];
    const float *whh = P(net.off_whh[l]);
    float *dh = net.dh, *dh2 = net.dh2, *dc = net.dc;
    for (size_t i = 0; i < BH; i++) { dh[i] = 0; dc[i] = 0; }
    for (int t = T - 1; t >= 0; t--) {
      const float *dout = net.dH + t * BH;
      for (int b = 0; b < B; b++) {
        size_t r = (size_t)t * B + b;
        const float *a = GA + r * GH;
        float *gx = dGX + r * GH, *gh = dGH + r * GH;
        const float *h0 = HB + t * BH + (size_t)b * H;
        float *dhb = dh + (size_t)b * H, *dh2b = dh2 + (size_t)b * H;
        const float *db = dout + (size_t)b * H;
        if (net.cell == CELL_RNN) {
          for (int j = 0; j < H; j++) {
            float g = db[j] + dhb[j], hv = a[j];
            gx[j] = g * (1.0f - hv * hv);
          }
        } else if (net.cell == CELL_GRU) {
          const float *ghn = AUX + r * H;
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
        } else {
          const float *c0 = CB + t * BH + (size_t)b * H, *tc = AUX + r * H;
          float *dcb = dc + (size_t)b * H;
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
      if (t > 0) {
        /* d h_{t-1} = dGH_t W_hh (+ z * dh for the GRU) */
        gemm(B, H, GH, dGH + (size_t)t * B * GH, GH, 1, whh, H, net.cell == CELL_GRU ? dh2 : dh, H,
             net.cell == CELL_GRU);
        if (net.cell == CELL_GRU) { float *tmp = dh; dh = dh2; dh2 = tmp; }
      }
    }
    /* weights: dW_hh = dGH^T h_prev, dW_ih = dGX^T input; then the input's gradient */
    gemm(GH, H, NR, dGH, 1, GH, HB, H, D(net.off_whh[l]), H, 0);
    colsum(dGH, NR, GH, D(net.off_bhh[l]), 0);
    gemm(GH, H, NR, dGX, 1, GH, in, H, D(net.off_wih[l]), H, 0);
    colsum(dGX, NR, GH, D(net.off_bih[l]), 0);
    gemm(NR, H, GH, dGX, GH, 1, P(net.off_wih[l]), H, net.dH, H, 0);
  }
  float *demb = D(net.off_emb);
  for (int i = 0; i < V * H; i++) demb[i] = 0;
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) {
      float *d = demb + (size_t)net.x[b * T + t] * H;
      const float *s = net.dH + ((size_t)t * B + b) * H;
      for (int j = 0; j < H; j++) d[j] += s[j];
    }
}

/* One training batch (B, T) from x_ptr/y_ptr: forward, loss, backward. Returns the loss;
 * the gradients are in grads_ptr, the optimiser step is adamw's. */
float EXPORT(train_batch)(int B, int T) {
  if (B < 1 || B > net.Bmax || T < 1 || T > net.Tmax) return -1.0f;
  float loss = forward(B, T, 1);
  backward(B, T);
  return loss;
}

/* One validation batch, no gradient, batchnorm with its running statistics. Returns the
 * mean loss; last_correct() gives the number of right predictions. */
float EXPORT(eval_batch)(int B, int T) {
  if (B < 1 || B > net.Bmax || T < 1 || T > net.Tmax) return -1.0f;
  return forward(B, T, 0);
}

/* One AdamW step (torch.optim.AdamW, single-tensor path) over every parameter, with weight
 * decay where the mask says so. The caller works out the step's scalars in double, as
 * PyTorch does in Python: decay = 1 - lr*wd, one_m_beta1 = 1 - beta1, beta2,
 * one_m_beta2 = 1 - beta2, bc2_sqrt = sqrt(1 - beta2**step), eps,
 * neg_step = -lr / (1 - beta1**step). */
void EXPORT(adamw)(float decay, float one_m_beta1, float beta2, float one_m_beta2,
                   float bc2_sqrt, float eps, float neg_step) {
  float *p = net.params, *g = net.grads, *m = net.m, *v = net.v, *mask = net.mask;
  for (int i = 0; i < net.np; i++) {
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

