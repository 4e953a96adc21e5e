/* Fused GRU recurrences over a whole sequence: forward and hand-written backward, float32.
 *
 * The input projection (x W + b for every frame) and the weight gradients are single large
 * matrix products done by the caller; what is left here is the part that cannot be batched over
 * time: per step a product of the [batch, H] state with the recurrent kernel and the gates'
 * elementwise maths, fused into that product's epilogue. Every output column is computed by one
 * thread, in a fixed order over k, so the results do not depend on the number of threads. Tiles
 * are dealt out column-major: each thread owns a slice of the recurrent kernel's columns for the
 * whole batch, so its slice stays in its own cache from step to step.
 *
 * Cells (H hidden units, batch-major arrays [batch, T, ...] with row stride T * width):
 *
 * "v1", TF1 Keras (gate order z, r, c; recurrent kernel U [H, 3H]):
 *   y_zr = 0.2 (xp_zr + h U_zr) + 0.5,  z, r = clip(y_zr, 0, 1)
 *   c    = tanh(xp_c + (r h) U_c),       h'   = c + z (h - c)
 *
 * "v2", torch.nn.GRU / TF2 Keras reset_after (gate order r, z, n; W_hh [3H, H], b_hh [3H]):
 *   hp   = h W_hh^T + b_hh,  r = sigmoid(xp_r + hp_r),  z = sigmoid(xp_z + hp_z)
 *   n    = tanh(xp_n + r hp_n),  h' = (1 - z) n + z h
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tiles.h"

/* d clip(0.2 a + 0.5) / da, as autograd's clamp: the slope passes where 0 <= y <= 1. */
static inline float hard_slope(float y) { return (y >= 0.f && y <= 1.f) ? 0.2f : 0.f; }

#define N_TILES(n) (((n) + TC - 1) / TC)
#define ROW_TILES(b) (((b) + TR - 1) / TR)
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Work-shared loop over the TR x TC tiles of a [B, N] result, column-major (see the top): sets
 * b0, j0 (the tile's first row and column) and rows, cols (its valid extent). */
#define FOR_TILES(B, N, b0, j0, rows, cols)                                                        \
  _Pragma("omp for schedule(static)") for (int tile = 0; tile < ROW_TILES(B) * N_TILES(N); ++tile) \
    for (int b0 = (tile % ROW_TILES(B)) * TR, j0 = (tile / ROW_TILES(B)) * TC,                       \
             rows = MIN(TR, (B)-b0), cols = MIN(TC, (N)-j0), once = 1;                               \
         once; once = 0)

/* h_{t-1} of row b: out[b, t - 1] (stride T H), or the zero state at t = 0. */
#define PREV(out, zeros, t, T, H) ((t) > 0 ? (out) + (long)((t)-1) * (H) : (zeros))
#define PREV_LD(t, T, H) ((t) > 0 ? (long)(T) * (H) : (long)(H))

/* out[b, j] = add[b, j] + sum_k in[b, k] w[k, j] over a [B, N] result, inside a parallel region;
 * `packed` is w after `pack_columns`, ld_add the row stride of `add` (0: one row, a bias). */
static void product_plus(const float *in, long ldi, const float *packed, int K, int B, int N, const float *add,
                         long ld_add, float *out) {
  FOR_TILES(B, N, b0, j0, rows, cols) {
    float acc[TR][TC];
    tile_product(in + b0 * ldi, ldi, packed + (long)j0 * K, K, rows, acc);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) out[(b0 + r) * N + j0 + c] = add[(b0 + r) * ld_add + j0 + c] + acc[r][c];
  }
}

void gru_v1_forward(const float *xp, const float *U, float *out, float *y_zr, float *c_all, int B, int T,
                    int H, int n_threads) {
  float *zeros = calloc((size_t)B * H, sizeof(float));
  float *rh = malloc(sizeof(float) * B * H);
  float *p_zr = pack_columns(U, 3 * H, H, 2 * H), *p_c = pack_columns(U + 2 * H, 3 * H, H, H);
  const long lx = (long)T * 3 * H, lo = (long)T * H, ly = (long)T * 2 * H;
#pragma omp parallel num_threads(n_threads)
  for (int t = 0; t < T; ++t) {
    const float *h = PREV(out, zeros, t, T, H);
    const long lh = PREV_LD(t, T, H);
    /* z and r: [B, 2H] */
    FOR_TILES(B, 2 * H, b0, j0, rows, cols) {
      float acc[TR][TC];
      tile_product(h + b0 * lh, lh, p_zr + (long)j0 * H, H, rows, acc);
      for (int r = 0; r < rows; ++r) {
        const long b = b0 + r;
        for (int c = 0; c < cols; ++c) {
          const int j = j0 + c;
          const float y = 0.2f * (xp[b * lx + (long)t * 3 * H + j] + acc[r][c]) + 0.5f;
          y_zr[b * ly + (long)t * 2 * H + j] = y;
          if (j >= H) rh[b * H + j - H] = clip01(y) * h[b * lh + j - H];
        }
      }
    }
    /* candidate and new state: [B, H] */
    FOR_TILES(B, H, b0, j0, rows, cols) {
      float acc[TR][TC];
      tile_product(rh + b0 * H, H, p_c + (long)j0 * H, H, rows, acc);
      for (int r = 0; r < rows; ++r) {
        const long b = b0 + r;
        for (int c = 0; c < cols; ++c) {
          const int j = j0 + c;
          const float cand = tanhf(xp[b * lx + (long)t * 3 * H + 2 * H + j] + acc[r][c]);
          const float z = clip01(y_zr[b * ly + (long)t * 2 * H + j]);
          const float hp = h[b * lh + j];
          out[b * lo + (long)t * H + j] = cand + z * (hp - cand);
          c_all[b * lo + (long)t * H + j] = cand;
        }
      }
    }
  }
  free(zeros);
  free(rh);
  free(p_zr);
  free(p_c);
}

/* grad_xp [B, T, 3H] from grad_out [B, T, H]; UT = U^T [3H, H]. */
void gru_v1_backward(const float *grad_out, const float *UT, const float *out, const float *y_zr,
                     const float *c_all, float *grad_xp, int B, int T, int H, int n_threads) {
  float *zeros = calloc((size_t)B * H, sizeof(float));
  float *dh = calloc((size_t)B * H, sizeof(float));   /* d loss / d h_t from later steps */
  float *g = malloc(sizeof(float) * B * H);           /* dh + grad_out[t] */
  float *part = malloc(sizeof(float) * B * H);        /* g z + d(rh) r */
  float *p_c = pack_columns(UT + 2L * H * H, H, H, H), *p_zr = pack_columns(UT, H, 2 * H, H);
  const long lx = (long)T * 3 * H, lo = (long)T * H, ly = (long)T * 2 * H;
#pragma omp parallel num_threads(n_threads)
  for (int t = T - 1; t >= 0; --t) {
    const float *h = PREV(out, zeros, t, T, H);
    const long lh = PREV_LD(t, T, H);
#pragma omp for schedule(static)
    for (int i = 0; i < B * H; ++i) {
      const long b = i / H, j = i % H;
      const float gi = dh[i] + grad_out[b * lo + (long)t * H + j];
      const float y = y_zr[b * ly + (long)t * 2 * H + j], z = clip01(y);
      const float cand = c_all[b * lo + (long)t * H + j];
      float *gx = grad_xp + b * lx + (long)t * 3 * H;
      g[i] = gi;
      gx[2 * H + j] = gi * (1.f - z) * (1.f - cand * cand);
      gx[j] = gi * (h[b * lh + j] - cand) * hard_slope(y);
    }
    /* d(rh) = da_c U_c^T, then the reset gate's gradient and the direct paths to h_{t-1} */
    FOR_TILES(B, H, b0, k0, rows, cols) {
      float acc[TR][TC];
      tile_product(grad_xp + b0 * lx + (long)t * 3 * H + 2 * H, lx, p_c + (long)k0 * H, H, rows, acc);
      for (int r = 0; r < rows; ++r) {
        const long b = b0 + r;
        for (int c = 0; c < cols; ++c) {
          const int k = k0 + c;
          const float yr = y_zr[b * ly + (long)t * 2 * H + H + k];
          const float z = clip01(y_zr[b * ly + (long)t * 2 * H + k]);
          grad_xp[b * lx + (long)t * 3 * H + H + k] = acc[r][c] * h[b * lh + k] * hard_slope(yr);
          part[b * H + k] = g[b * H + k] * z + acc[r][c] * clip01(yr);
        }
      }
    }
    /* dh_{t-1} = part + da_zr U_zr^T */
    product_plus(grad_xp + (long)t * 3 * H, lx, p_zr, 2 * H, B, H, part, H, dh);
  }
  free(zeros);
  free(dh);
  free(g);
  free(part);
  free(p_c);
  free(p_zr);
}

/* WT = W_hh^T [H, 3H]; gates [B, T, 3H] = (r, z, n); hpn [B, T, H] = (h W_hh^T + b_hh)_n. */
void gru_v2_forward(const float *xp, const float *WT, const float *b_hh, float *out, float *gates, float *hpn,
                    int B, int T, int H, int n_threads) {
  float *zeros = calloc((size_t)B * H, sizeof(float));
  float *hp = malloc(sizeof(float) * B * 3 * H);
  float *p = pack_columns(WT, 3 * H, H, 3 * H);
  const long lx = (long)T * 3 * H, lo = (long)T * H;
#pragma omp parallel num_threads(n_threads)
  for (int t = 0; t < T; ++t) {
    const float *h = PREV(out, zeros, t, T, H);
    const long lh = PREV_LD(t, T, H);
    product_plus(h, lh, p, H, B, 3 * H, b_hh, 0, hp);
#pragma omp for schedule(static)
    for (int i = 0; i < B * H; ++i) {
      const long b = i / H, j = i % H;
      const float *x = xp + b * lx + (long)t * 3 * H, *p = hp + b * 3 * H;
      float *gt = gates + b * lx + (long)t * 3 * H;
      const float r = sigmoidf(x[j] + p[j]), z = sigmoidf(x[H + j] + p[H + j]);
      const float n = tanhf(x[2 * H + j] + r * p[2 * H + j]);
      gt[j] = r;
      gt[H + j] = z;
      gt[2 * H + j] = n;
      hpn[b * lo + (long)t * H + j] = p[2 * H + j];
      out[b * lo + (long)t * H + j] = (1.f - z) * n + z * h[b * lh + j];
    }
  }
  free(zeros);
  free(hp);
  free(p);
}

/* grad_xp and grad_hp [B, T, 3H] (the latter for W_hh's and b_hh's gradients); W = W_hh [3H, H]. */
void gru_v2_backward(const float *grad_out, const float *W, const float *out, const float *gates,
                     const float *hpn, float *grad_xp, float *grad_hp, int B, int T, int H, int n_threads) {
  float *zeros = calloc((size_t)B * H, sizeof(float));
  float *dh = calloc((size_t)B * H, sizeof(float));
  float *direct = malloc(sizeof(float) * B * H); /* g z: the path h_{t-1} -> h_t past the gates */
  float *p = pack_columns(W, H, 3 * H, H);
  const long lx = (long)T * 3 * H, lo = (long)T * H;
#pragma omp parallel num_threads(n_threads)
  for (int t = T - 1; t >= 0; --t) {
    const float *h = PREV(out, zeros, t, T, H);
    const long lh = PREV_LD(t, T, H);
#pragma omp for schedule(static)
    for (int i = 0; i < B * H; ++i) {
      const long b = i / H, j = i % H;
      const float gi = dh[i] + grad_out[b * lo + (long)t * H + j];
      const float *gt = gates + b * lx + (long)t * 3 * H;
      const float r = gt[j], z = gt[H + j], n = gt[2 * H + j];
      const float dn = gi * (1.f - z) * (1.f - n * n);
      const float dz = gi * (h[b * lh + j] - n) * z * (1.f - z);
      const float dr = dn * hpn[b * lo + (long)t * H + j] * r * (1.f - r);
      float *gx = grad_xp + b * lx + (long)t * 3 * H, *gp = grad_hp + b * lx + (long)t * 3 * H;
      gx[j] = dr;
      gx[H + j] = dz;
      gx[2 * H + j] = dn;
      gp[j] = dr;
      gp[H + j] = dz;
      gp[2 * H + j] = dn * r;
      direct[i] = gi * z;
    }
    product_plus(grad_hp + (long)t * 3 * H, lx, p, 3 * H, B, H, direct, H, dh);
  }
  free(zeros);
  free(dh);
  free(direct);
  free(p);
}
