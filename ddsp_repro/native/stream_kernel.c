/* The streaming renderer's block in one call: decoder, harmonic and noise synths, reverb (float32,
 * one thread, no allocation per block once the buffers have grown to the block's size).
 *
 * The maths is that of ddsp_repro.streaming.renderer.StreamingRenderer, which stays the reference
 * (and the TorchScript export); the parity tests hold the two together:
 *
 * - Decoder: f0 -> MIDI / 127 and dB / 120 + 1, each through its FcStack (Dense -> LayerNorm
 *   (eps 1e-3) -> leaky ReLU 0.2, or none), z through its own, the GRU (v1 Keras or v2 torch cell)
 *   from the carried state, the output FcStack on [f, ld, gru], one Dense to
 *   [amplitude | harmonic distribution | noise magnitudes], exp_sigmoid, the Nyquist mask and the
 *   distribution's normalisation. Products use tiles.h (the GRU kernel's tiles).
 * - Noise FIRs: frequency sampling is linear in the magnitudes, so the renderer passes the design
 *   matrix [bands, taps] (frequency_impulse_response of the identity) and each FIR is one product.
 * - Harmonics: harmonic_frame.h, the offline kernel's frame, on the fundamental's float64 phase in
 *   closed form (oscillators.fundamental_phase), the phase carried wrapped to [0, 2 pi).
 * - Noise: dsp.hashed_uniform_noise's hash, each frame convolved directly with its FIR and
 *   overlap-added, the group delay dropped, the tail carried.
 * - Reverb: partitioned overlap-add convolution with no latency: the IR's first 2Q samples in
 *   partitions of P, the largest power of two dividing the block (so a radix-2 FFT of 2P applies),
 *   the rest in partitions of Q = max(16 P, 1024), computed once per Q samples (`room`). The
 *   output does not depend on P or Q (up to float rounding).
 *
 * Layouts are batch-major: control row b * F + t is batch row b, frame t of the block.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harmonic_frame.h"
#include "tiles.h"

typedef struct {
  int in, out, norm; /* norm: LayerNorm + leaky ReLU after the product */
  float *packed, *bias, *gamma, *beta;
} Layer;

typedef struct {
  int n, log2n;
  int *bitrev;
  float *cos_t, *sin_t; /* twiddles exp(-2 pi i k / n), k < n / 2 */
  float *re, *im;       /* work arrays */
} Fft;

/* A uniformly partitioned convolution's frequency-domain delay line: the spectra of n_parts IR
 * pieces of P samples and, per batch row, a ring of the last n_parts input spectra. */
typedef struct {
  int P, n_parts, position, batch;
  float *pieces, *ring, *spec, *y; /* spec: [re P | im P]; y: 2P samples */
  Fft fft;
} Fdl;

typedef struct {
  /* configuration */
  int sr, hop, K, bands, taps, delay, H, cell, zd, ch, seed;
  int nf, nl, nz, no, f_out, l_out, z_out, o_out, gru_in, width, n_raw, tail;
  double noise_bias, nyquist, *w1;
  Layer *f, *l, *z, *o, dense_out, design, gru_x; /* gru_x: x -> 3H input projection (+ bias) */
  Layer u_zr, u_c, u; /* recurrent products: v1's U split; v2's W_hh^T with b_hh */
  /* reverb: the IR's head in partitions of P, its tail (if any) in partitions of Q (see `room`) */
  int has_reverb, P, Q, fill;
  Fdl head, late;
  /* state */
  int batch;
  long frames_done;
  float *h, *held_f0, *held_amps, *noise_tail, *overlap, *tail_in, *ready, *next, *after;
  double *phase;
  /* scratch, grown to the largest block seen */
  long cap_rows, cap_samples;
  float *fin, *lin, *x, *t1, *t2, *hid, *xp, *raw, *amps, *mags, *firs, *gates, *rh, *dry, *acc;
  float *f_all;
  const float **a_all;
  double *ph, *hbuf;
  int *kmax;
} Stream;

/* ---------------------------------------------------------------------------------------------- */
/* Dense layers */

/* A product with no norm: columns of w [in, out] (row stride ldw), plus bias (NULL: zero). */
static void layer_columns(Layer *L, const float *wt, long ldw, const float *bias, int in, int out) {
  L->in = in, L->out = out, L->norm = 0;
  L->packed = pack_columns(wt, ldw, in, out);
  L->bias = calloc((size_t)(out > 0 ? out : 1), sizeof(float));
  if (bias) memcpy(L->bias, bias, sizeof(float) * out);
  L->gamma = L->beta = NULL;
}

static void layer_init(Layer *L, const float *wt, const float *bias, const float *gamma, const float *beta,
                       int in, int out, int norm) {
  layer_columns(L, wt, out, bias, in, out);
  L->norm = norm;
  if (norm) {
    L->gamma = malloc(sizeof(float) * out);
    L->beta = malloc(sizeof(float) * out);
    memcpy(L->gamma, gamma, sizeof(float) * out);
    memcpy(L->beta, beta, sizeof(float) * out);
  }
}

static void layer_free(Layer *L) {
  free(L->packed), free(L->bias), free(L->gamma), free(L->beta);
}

/* acc = in wp for one row and a packed tile (`tile_product` with four chains over k, which one
 * row would otherwise leave waiting on each multiply-add). */
static void row_product(const float *restrict in, const float *restrict wp, int K, float acc[restrict TC]) {
  v8 a[4] = {{0}}, b[4] = {{0}};
  int k = 0;
  for (; k + 4 <= K; k += 4)
    for (int u = 0; u < 4; ++u) {
      const float x = in[k + u];
      a[u] += x * load8(wp + (k + u) * TC), b[u] += x * load8(wp + (k + u) * TC + 8);
    }
  for (; k < K; ++k) a[0] += in[k] * load8(wp + k * TC), b[0] += in[k] * load8(wp + k * TC + 8);
  const v8 sa = (a[0] + a[1]) + (a[2] + a[3]), sb = (b[0] + b[1]) + (b[2] + b[3]);
  memcpy(acc, &sa, sizeof sa);
  memcpy(acc + 8, &sb, sizeof sb);
}

/* tile_product, or row_product for a single row. */
static void product(const float *in, long ldi, const float *wp, int K, int rows, float acc[TR][TC]) {
  if (rows == 1)
    row_product(in, wp, K, acc[0]);
  else
    tile_product(in, ldi, wp, K, rows, acc);
}

/* out[r, :] = in[r, :] W + b for `rows` rows (strides ldi, ldo), then LayerNorm and leaky ReLU. The
 * column tiles are the outer loop, so each weight tile is read once for all rows. */
static void layer_apply(const Layer *L, const float *in, long ldi, int rows, float *out, long ldo) {
  const int K = L->in, N = L->out;
  for (int j0 = 0; j0 < N; j0 += TC) {
    const int cols = N - j0 < TC ? N - j0 : TC;
    for (int b0 = 0; b0 < rows; b0 += TR) {
      const int n = rows - b0 < TR ? rows - b0 : TR;
      float acc[TR][TC];
      product(in + b0 * ldi, ldi, L->packed + (long)j0 * K, K, n, acc);
      for (int r = 0; r < n; ++r)
        for (int c = 0; c < cols; ++c) out[(b0 + r) * ldo + j0 + c] = acc[r][c] + L->bias[j0 + c];
    }
  }
  if (!L->norm) return;
  for (int r = 0; r < rows; ++r) {
    float *y = out + r * ldo;
    double mean = 0.0, var = 0.0;
    for (int j = 0; j < N; ++j) mean += y[j];
    mean /= N;
    for (int j = 0; j < N; ++j) var += (y[j] - mean) * (y[j] - mean);
    const float m = (float)mean, inv = (float)(1.0 / sqrt(var / N + 1e-3));
    for (int j = 0; j < N; ++j) {
      const float v = (y[j] - m) * inv * L->gamma[j] + L->beta[j];
      y[j] = v < 0.f ? 0.2f * v : v;
    }
  }
}

/* An FcStack of n layers from `in` (width in_w) to out (stride ldo); n = 0 copies the input. */
static void stack_apply(const Layer *Ls, int n, const float *in, long ldi, int in_w, int rows, float *t1,
                        float *t2, float *out, long ldo) {
  if (n == 0) {
    for (int r = 0; r < rows; ++r) memcpy(out + r * ldo, in + r * ldi, sizeof(float) * in_w);
    return;
  }
  const float *src = in;
  long lds = ldi;
  for (int i = 0; i < n; ++i) {
    float *dst = i == n - 1 ? out : (i % 2 ? t2 : t1);
    const long ldd = i == n - 1 ? ldo : Ls[i].out;
    layer_apply(&Ls[i], src, lds, rows, dst, ldd);
    src = dst, lds = ldd;
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* Radix-2 FFT (float), for the reverb's partitions */

static void fft_init(Fft *f, int n) {
  f->n = n;
  f->log2n = 0;
  while ((1 << f->log2n) < n) ++f->log2n;
  f->bitrev = malloc(sizeof(int) * n);
  for (int i = 0; i < n; ++i) {
    int r = 0;
    for (int b = 0; b < f->log2n; ++b) r |= ((i >> b) & 1) << (f->log2n - 1 - b);
    f->bitrev[i] = r;
  }
  f->cos_t = malloc(sizeof(float) * (n / 2 + 1));
  f->sin_t = malloc(sizeof(float) * (n / 2 + 1));
  for (int k = 0; k < n / 2 + 1; ++k) {
    f->cos_t[k] = (float)cos(2.0 * M_PI * k / n);
    f->sin_t[k] = (float)-sin(2.0 * M_PI * k / n);
  }
  f->re = malloc(sizeof(float) * n);
  f->im = malloc(sizeof(float) * n);
}

static void fft_free(Fft *f) {
  free(f->bitrev), free(f->cos_t), free(f->sin_t), free(f->re), free(f->im);
}

/* In place on f->re, f->im after bit reversal; sign -1 forward, +1 inverse (unscaled). */
static void fft_run(Fft *f, int sign) {
  const int n = f->n;
  float *re = f->re, *im = f->im;
  for (int i = 0; i < n; ++i) {
    const int j = f->bitrev[i];
    if (j > i) {
      float t = re[i];
      re[i] = re[j], re[j] = t;
      t = im[i];
      im[i] = im[j], im[j] = t;
    }
  }
  for (int size = 2; size <= n; size <<= 1) {
    const int half = size / 2, step = n / size;
    for (int start = 0; start < n; start += size)
      for (int k = 0; k < half; ++k) {
        const float wr = f->cos_t[k * step], wi = sign < 0 ? f->sin_t[k * step] : -f->sin_t[k * step];
        const int a = start + k, b = a + half;
        const float xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr, im[b] = im[a] - xi;
        re[a] += xr, im[a] += xi;
      }
  }
}

/* The FFT of x[0 .. m) zero-padded to n, packed in n/2 bins: bin 0 holds the (real) DC and
 * Nyquist values as its real and imaginary parts, bins 1 .. n/2 - 1 are as they are. */
static void rfft(Fft *f, const float *x, int m, float *out_re, float *out_im) {
  for (int i = 0; i < f->n; ++i) f->re[i] = i < m ? x[i] : 0.f, f->im[i] = 0.f;
  fft_run(f, -1);
  for (int q = 0; q < f->n / 2; ++q) out_re[q] = f->re[q], out_im[q] = f->im[q];
  out_im[0] = f->re[f->n / 2];
}

/* The n real samples whose packed spectrum (as `rfft` packs it) is s. */
static void irfft(Fft *f, const float *s_re, const float *s_im, float *out) {
  const int n = f->n;
  for (int q = 0; q < n / 2; ++q) f->re[q] = s_re[q], f->im[q] = s_im[q];
  f->im[0] = 0.f, f->re[n / 2] = s_im[0], f->im[n / 2] = 0.f;
  for (int q = 1; q < n / 2; ++q) f->re[n - q] = s_re[q], f->im[n - q] = -s_im[q];
  fft_run(f, 1);
  const float scale = 1.f / n;
  for (int i = 0; i < n; ++i) out[i] = f->re[i] * scale;
}

/* ---------------------------------------------------------------------------------------------- */
/* Pieces of the block */

static float exp_sigmoid(float x) { return 2.f * powf(sigmoidf(x), 2.302585092994046f) + 1e-7f; }

static float hz_to_midi(float f) { return f > 0.f ? 12.f * (log2f(f) - 8.78135971352466f) + 69.f : 0.f; }

/* dsp.hashed_uniform_noise: sample t of batch row b. */
static float hashed_noise(int64_t t, int64_t b, int64_t seed) {
  uint64_t x = (uint64_t)(t + b * 0x3C6EF372LL + seed * 0x9E3779B9LL) & 0xFFFFFFFFULL;
  for (int i = 0; i < 2; ++i) x = (((x >> 16) ^ x) * 0x45D9F3BULL) & 0xFFFFFFFFULL;
  x = (x >> 16) ^ x;
  return (float)(x >> 8) * (2.f / 16777216.f) - 1.f;
}

/* The GRU over F frames of B rows from the carried state S->h; the input projection is in S->xp
 * [B * F, 3H] and the outputs go to column gru_col of S->x. */
static void gru_run(Stream *S, int B, int F, int gru_col) {
  const int H = S->H;
  float *h = S->h, *g = S->gates;
  for (int t = 0; t < F; ++t) {
    if (S->cell == 1) { /* v1: z, r = clip(0.2 (xp + h U) + 0.5); c = tanh(xp_c + (r h) U_c) */
      layer_apply(&S->u_zr, h, H, B, g, 3L * H);
      for (int b = 0; b < B; ++b) {
        const float *xp = S->xp + ((long)b * F + t) * 3 * H;
        float *gb = g + (long)b * 3 * H;
        for (int j = 0; j < 2 * H; ++j) gb[j] = clip01(0.2f * (xp[j] + gb[j]) + 0.5f);
        for (int j = 0; j < H; ++j) S->rh[(long)b * H + j] = gb[H + j] * h[(long)b * H + j];
      }
      layer_apply(&S->u_c, S->rh, H, B, g + 2 * H, 3L * H);
      for (int b = 0; b < B; ++b) {
        const float *xp = S->xp + ((long)b * F + t) * 3 * H, *gb = g + (long)b * 3 * H;
        for (int j = 0; j < H; ++j) {
          const float z = gb[j], c = tanhf(xp[2 * H + j] + gb[2 * H + j]);
          h[(long)b * H + j] = z * h[(long)b * H + j] + (1.f - z) * c;
        }
      }
    } else { /* v2: hp = h W_hh^T + b_hh; r, z = sigmoid(xp + hp); n = tanh(xp_n + r hp_n) */
      layer_apply(&S->u, h, H, B, g, 3L * H);
      for (int b = 0; b < B; ++b) {
        const float *xp = S->xp + ((long)b * F + t) * 3 * H, *hp = g + (long)b * 3 * H;
        for (int j = 0; j < H; ++j) {
          const float r = sigmoidf(xp[j] + hp[j]), z = sigmoidf(xp[H + j] + hp[H + j]);
          const float n = tanhf(xp[2 * H + j] + r * hp[2 * H + j]);
          h[(long)b * H + j] = (1.f - z) * n + z * h[(long)b * H + j];
        }
      }
    }
    for (int b = 0; b < B; ++b)
      memcpy(S->x + ((long)b * F + t) * S->width + gru_col, h + (long)b * H, sizeof(float) * H);
  }
}

/* Rows of controls -> S->amps [rows, K] (harmonic amplitudes) and S->firs [rows, taps]. */
static void decode(Stream *S, const float *f0, const float *ld, const float *z, int B, int F) {
  const int rows = B * F, W = S->width, K = S->K;
  for (int i = 0; i < rows; ++i) {
    S->fin[i] = hz_to_midi(f0[i]) / 127.f;
    S->lin[i] = ld[i] / 120.f + 1.f;
  }
  stack_apply(S->f, S->nf, S->fin, 1, 1, rows, S->t1, S->t2, S->x, W);
  stack_apply(S->l, S->nl, S->lin, 1, 1, rows, S->t1, S->t2, S->x + S->f_out, W);
  if (S->zd > 0) stack_apply(S->z, S->nz, z, S->zd, S->zd, rows, S->t1, S->t2, S->x + S->f_out + S->l_out, W);
  layer_apply(&S->gru_x, S->x, W, rows, S->xp, 3L * S->H);
  gru_run(S, B, F, S->f_out + S->l_out);
  const float *y = S->x;
  long ldy = W;
  if (S->no > 0) {
    stack_apply(S->o, S->no, S->x, W, S->o_out, rows, S->t1, S->t2, S->hid, S->o_out);
    y = S->hid, ldy = S->o_out;
  }
  layer_apply(&S->dense_out, y, ldy, rows, S->raw, S->n_raw);
  for (int i = 0; i < rows; ++i) {
    const float *raw = S->raw + (long)i * S->n_raw;
    float *a = S->amps + (long)i * K, *m = S->mags + (long)i * S->bands;
    const float amplitude = exp_sigmoid(raw[0]);
    float total = 0.f;
    for (int k = 0; k < K; ++k) {
      a[k] = f0[i] * (float)(k + 1) >= (float)S->nyquist ? 0.f : exp_sigmoid(raw[1 + k]);
      total += a[k];
    }
    const float inv = 1.f / (total == 0.f ? 1e-7f : total);
    for (int k = 0; k < K; ++k) a[k] = amplitude * (a[k] * inv);
    for (int q = 0; q < S->bands; ++q) m[q] = exp_sigmoid(raw[1 + K + q] + (float)S->noise_bias);
  }
  layer_apply(&S->design, S->mags, S->bands, rows, S->firs, S->taps);
}

/* Harmonic audio of frames j < n_out, frame j's next being j + 1 (f_all, a_all hold n_out + 1
 * frames), from phase *phase, which moves to frame n_out's start (wrapped). */
static void harmonics(Stream *S, const float *f_all, const float *const *a_all, int n_out, double *phase,
                      float *out) {
  const int hop = S->hop;
  const double w = 2.0 * M_PI / S->sr;
  double offset = *phase;
  for (int j = 0; j < n_out; ++j) {
    const double f = f_all[j], slope = (double)f_all[j + 1] - f;
    for (int r = 0; r < hop; ++r)
      S->ph[(long)j * hop + r] = offset + w * ((r + 1) * f + slope * ((double)r * (r + 1) / (2.0 * hop)));
    offset += w * (hop * f + slope * ((hop - 1) / 2.0));
  }
  const double last = S->ph[(long)n_out * hop - 1], two_pi = 2.0 * M_PI;
  *phase = last - floor(last / two_pi) * two_pi;
  for (int j = 0; j < n_out; ++j)
    harmonic_frame(S->ph + (long)j * hop, f_all[j], f_all[j + 1], a_all[j], a_all[j + 1], S->K, hop, S->nyquist,
                   S->w1, S->hbuf, S->kmax, out + (long)j * hop);
}

/* Adds the filtered noise of F new frames of batch row b to out [F * hop] (the centred output
 * from one frame before the new frames) and carries the tail. */
static void noise(Stream *S, int b, int F, const float *firs, float *out) {
  const int hop = S->hop, taps = S->taps, offset = hop - S->delay;
  const long n = (long)F * hop;
  float *acc = S->acc, *tail = S->noise_tail + (long)b * S->tail;
  memset(acc, 0, sizeof(float) * (n + S->tail));
  memcpy(acc, tail, sizeof(float) * S->tail);
  for (int i = 0; i < F; ++i) {
    const float *fir = firs + (long)i * taps;
    float *dst = acc + offset + (long)i * hop;
    const int64_t t0 = (S->frames_done + i) * (int64_t)hop;
    for (int m = 0; m < hop; ++m) {
      const float v = hashed_noise(t0 + m, b, S->seed);
      for (int k = 0; k < taps; ++k) dst[m + k] += v * fir[k];
    }
  }
  for (long t = 0; t < n; ++t) out[t] += acc[t];
  memcpy(tail, acc + n, sizeof(float) * S->tail);
}

/* y = sum_i a_i p_i over the N partitions' spectra, a_i the input spectrum of i partitions ago
 * (ring slot position - i). Each spectrum is a row [re P | im P] of P packed bins (`rfft`):
 * complex products, and in bin 0 the real DC and Nyquist products apart. Bins go 64 at a time,
 * their sums held in registers over all partitions, each row streamed once per pass. */
#define MAC_VECTORS 8
static void spectrum_sum(const float *ring, const float *pieces, int N, int P, int position, float *y) {
  double dc = 0.0, ny = 0.0;
  for (int q0 = 0; q0 < P; q0 += 8 * MAC_VECTORS) {
    const int vecs = (P - q0) / 8 < MAC_VECTORS ? (P - q0) / 8 : MAC_VECTORS;
    v8 sr[MAC_VECTORS] = {{0}}, si[MAC_VECTORS] = {{0}};
    float tr[8] = {0}, ti[8] = {0}; /* bins past the last whole vector (P < 8) */
    const int rest = P - q0 - 8 * vecs < 8 ? P - q0 - 8 * vecs : 0;
    for (int i = 0; i < N; ++i) {
      const long slot = i <= position ? position - i : position - i + N;
      const float *a = ring + slot * 2 * P + q0, *w = pieces + (long)i * 2 * P + q0;
      if (q0 == 0) dc += a[0] * w[0], ny += a[P] * w[P];
      for (int u = 0; u < vecs; ++u) {
        const v8 xr = load8(a + 8 * u), xi = load8(a + P + 8 * u), wr = load8(w + 8 * u), wi = load8(w + P + 8 * u);
        sr[u] += xr * wr, sr[u] -= xi * wi;
        si[u] += xr * wi, si[u] += xi * wr;
      }
      for (int q = 8 * vecs; q < 8 * vecs + rest; ++q) {
        tr[q - 8 * vecs] += a[q] * w[q] - a[P + q] * w[P + q];
        ti[q - 8 * vecs] += a[q] * w[P + q] + a[P + q] * w[q];
      }
    }
    for (int u = 0; u < vecs; ++u)
      memcpy(y + q0 + 8 * u, &sr[u], sizeof sr[u]), memcpy(y + P + q0 + 8 * u, &si[u], sizeof si[u]);
    for (int q = 0; q < rest; ++q) y[q0 + 8 * vecs + q] = tr[q], y[P + q0 + 8 * vecs + q] = ti[q];
    if (rest) break;
  }
  y[0] = (float)dc, y[P] = (float)ny;
}

static void fdl_init(Fdl *d, const float *ir, int length, int P) {
  d->P = P, d->n_parts = (length + P - 1) / P, d->position = 0, d->batch = 0, d->ring = NULL;
  fft_init(&d->fft, 2 * P);
  d->pieces = calloc((size_t)d->n_parts * 2 * P, sizeof(float));
  for (int p = 0; p < d->n_parts; ++p) {
    const int m = length - p * P < P ? length - p * P : P;
    rfft(&d->fft, ir + (long)p * P, m, d->pieces + (long)p * 2 * P, d->pieces + (long)p * 2 * P + P);
  }
  d->spec = malloc(sizeof(float) * 2 * P);
  d->y = malloc(sizeof(float) * 2 * P);
}

static void fdl_reset(Fdl *d, int batch) {
  free(d->ring);
  d->ring = calloc((size_t)batch * d->n_parts * 2 * d->P, sizeof(float));
  d->batch = batch, d->position = 0;
}

static void fdl_free(Fdl *d) {
  if (d->n_parts == 0) return;
  fft_free(&d->fft);
  free(d->pieces), free(d->ring), free(d->spec), free(d->y);
}

/* The next input slot, for every batch row (once per partition of input). */
static void fdl_advance(Fdl *d) { d->position = (d->position + 1) % d->n_parts; }

/* Row b's P new input samples x in; d->y = the 2P samples of their convolution with the pieces,
 * and of the earlier inputs', that start now (the overlap-add of the second half is the caller's). */
static void fdl_push(Fdl *d, int b, const float *x) {
  const int P = d->P, N = d->n_parts;
  float *ring = d->ring + (long)b * N * 2 * P, *slot = ring + (long)d->position * 2 * P;
  rfft(&d->fft, x, P, slot, slot + P);
  spectrum_sum(ring, d->pieces, N, P, d->position, d->spec);
  irfft(&d->fft, d->spec, d->spec + P, d->y);
}

/* out = dry + dry convolved with the IR, n samples (a multiple of P) of every batch row.
 *
 * With a long IR, only its head h[0, 2Q) is convolved in partitions of P with no delay; the tail
 * h[2Q, L) goes in partitions of Q (a power of two, >= 16 P). A tail partition's input is a
 * segment of Q samples, whole once the segment ends; its output starts 2Q after the segment's
 * start, one segment later, so it is computed at the segment's end and added over the two
 * segments after the next (`ready` now, `next`, `after`). The tail work is then one job per Q
 * samples instead of the same work spread over every P: the mean block is far cheaper, the
 * block that ends a segment carries the job. */
static void room(Stream *S, const float *dry, long n, float *out) {
  const int P = S->P, Q = S->Q;
  for (long s = 0; s < n; s += P) {
    fdl_advance(&S->head);
    for (int b = 0; b < S->batch; ++b) {
      const float *x = dry + (long)b * n + s;
      fdl_push(&S->head, b, x);
      const float *y = S->head.y, *ready = S->ready + (long)b * Q + S->fill;
      float *ov = S->overlap + (long)b * P, *o = out + (long)b * n + s;
      for (int i = 0; i < P; ++i) o[i] = x[i] + y[i] + ov[i], ov[i] = y[P + i];
      if (S->late.n_parts == 0) continue;
      for (int i = 0; i < P; ++i) o[i] += ready[i];
      memcpy(S->tail_in + (long)b * Q + S->fill, x, sizeof(float) * P);
    }
    if (S->late.n_parts == 0) continue;
    S->fill += P;
    if (S->fill < Q) continue;
    S->fill = 0;
    fdl_advance(&S->late);
    for (int b = 0; b < S->batch; ++b) {
      fdl_push(&S->late, b, S->tail_in + (long)b * Q);
      float *ready = S->ready + (long)b * Q, *next = S->next + (long)b * Q, *after = S->after + (long)b * Q;
      for (int i = 0; i < Q; ++i) ready[i] = next[i], next[i] = after[i] + S->late.y[i], after[i] = S->late.y[Q + i];
    }
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* Buffers */

static void *grow(void *p, size_t size) {
  void *q = realloc(p, size);
  if (!q) abort();
  return q;
}

/* Scratch for `rows` control rows and `samples` samples per batch row. */
static void ensure(Stream *S, long rows, long samples) {
  if (rows > S->cap_rows) {
    const int wide = S->ch > S->width ? S->ch : S->width;
    S->fin = grow(S->fin, sizeof(float) * rows);
    S->lin = grow(S->lin, sizeof(float) * rows);
    S->x = grow(S->x, sizeof(float) * rows * S->width);
    S->t1 = grow(S->t1, sizeof(float) * rows * wide);
    S->t2 = grow(S->t2, sizeof(float) * rows * wide);
    S->hid = grow(S->hid, sizeof(float) * rows * S->ch);
    S->f_all = grow(S->f_all, sizeof(float) * (rows + 1));
    S->a_all = grow(S->a_all, sizeof(float *) * (rows + 1));
    S->xp = grow(S->xp, sizeof(float) * rows * 3 * S->H);
    S->raw = grow(S->raw, sizeof(float) * rows * S->n_raw);
    S->amps = grow(S->amps, sizeof(float) * rows * S->K);
    S->mags = grow(S->mags, sizeof(float) * rows * S->bands);
    S->firs = grow(S->firs, sizeof(float) * rows * S->taps);
    S->cap_rows = rows;
  }
  if (samples > S->cap_samples) {
    const long acc = samples + S->tail;
    S->ph = grow(S->ph, sizeof(double) * samples);
    S->dry = grow(S->dry, sizeof(float) * samples * S->batch);
    S->acc = grow(S->acc, sizeof(float) * acc);
    S->cap_samples = samples;
  }
}

static void free_state(Stream *S) {
  free(S->h), free(S->held_f0), free(S->held_amps), free(S->noise_tail);
  free(S->overlap), free(S->phase), free(S->gates), free(S->rh);
  free(S->tail_in), free(S->ready), free(S->next), free(S->after);
}

/* ---------------------------------------------------------------------------------------------- */
/* Entry points */

/* cfg: sample_rate, hop, n_harmonics, n_bands, taps, noise delay, hidden, cell (1 v1, 2 v2), z_dims,
 * ch, seed, layers of the f, l, z and output stacks, block size, reverb length (0: none).
 * w: per stack layer [W^T, b, gamma, beta] (f, l, z stacks), the GRU (v1: kernel, recurrent
 * kernel, bias; v2: W_ih^T, b_ih, W_hh^T, b_hh), the output stack's layers, dense_out [W^T, b].
 * design: [bands, taps]; ir: the reverb's wet IR. */
void *stream_create(const int *cfg, const float *const *w, const float *design, const float *ir,
                    double noise_bias) {
  Stream *S = calloc(1, sizeof(Stream));
  S->sr = cfg[0], S->hop = cfg[1], S->K = cfg[2], S->bands = cfg[3], S->taps = cfg[4], S->delay = cfg[5];
  S->H = cfg[6], S->cell = cfg[7], S->zd = cfg[8], S->ch = cfg[9], S->seed = cfg[10];
  S->nf = cfg[11], S->nl = cfg[12], S->nz = cfg[13], S->no = cfg[14];
  const int block = cfg[15], ir_len = cfg[16];
  S->noise_bias = noise_bias, S->nyquist = S->sr / 2.0;
  S->f_out = S->nf ? S->ch : 1, S->l_out = S->nl ? S->ch : 1, S->z_out = S->zd ? (S->nz ? S->ch : S->zd) : 0;
  S->gru_in = S->f_out + S->l_out + S->z_out;
  const int out_in = S->f_out + S->l_out + S->H;
  S->o_out = S->no ? S->ch : out_in;
  S->width = S->f_out + S->l_out + (S->z_out > S->H ? S->z_out : S->H);
  S->n_raw = 1 + S->K + S->bands;
  const int lead = S->hop - S->delay + S->taps - 1;
  S->tail = lead > S->hop ? lead : S->hop;
  int i = 0;
  const int H = S->H;
  Layer **stacks[3] = {&S->f, &S->l, &S->z};
  const int counts[3] = {S->nf, S->nl, S->nz}, ins[3] = {1, 1, S->zd};
  for (int s = 0; s < 3; ++s) {
    *stacks[s] = calloc(counts[s] ? counts[s] : 1, sizeof(Layer));
    for (int l = 0; l < counts[s]; ++l, i += 4)
      layer_init(&(*stacks[s])[l], w[i], w[i + 1], w[i + 2], w[i + 3], l ? S->ch : ins[s], S->ch, 1);
  }
  if (S->cell == 1) {
    layer_init(&S->gru_x, w[i], w[i + 2], NULL, NULL, S->gru_in, 3 * H, 0);
    layer_columns(&S->u_zr, w[i + 1], 3 * H, NULL, H, 2 * H);
    layer_columns(&S->u_c, w[i + 1] + 2 * H, 3 * H, NULL, H, H);
    i += 3;
  } else {
    layer_init(&S->gru_x, w[i], w[i + 1], NULL, NULL, S->gru_in, 3 * H, 0);
    layer_columns(&S->u, w[i + 2], 3 * H, w[i + 3], H, 3 * H);
    i += 4;
  }
  S->o = calloc(S->no ? S->no : 1, sizeof(Layer));
  for (int l = 0; l < S->no; ++l, i += 4)
    layer_init(&S->o[l], w[i], w[i + 1], w[i + 2], w[i + 3], l ? S->ch : out_in, S->ch, 1);
  layer_init(&S->dense_out, w[i], w[i + 1], NULL, NULL, S->o_out, S->n_raw, 0);
  layer_init(&S->design, design, NULL, NULL, NULL, S->bands, S->taps, 0);
  S->w1 = malloc(sizeof(double) * S->hop);
  rise_table(S->hop, 1, S->w1);
  S->hbuf = malloc(sizeof(double) * 6 * S->hop);
  S->kmax = malloc(sizeof(int) * S->hop);
  /* Reverb: P the largest power of two dividing the block; the tail past 2Q in partitions of Q. */
  S->P = block & -block;
  S->Q = 16 * S->P > 1024 ? 16 * S->P : 1024;
  S->has_reverb = ir_len > 0;
  const int head = ir_len > 2 * S->Q ? 2 * S->Q : (ir_len > 0 ? ir_len : 1);
  const float zero = 0.f;
  fdl_init(&S->head, ir_len > 0 ? ir : &zero, head, S->P);
  if (ir_len > 2 * S->Q)
    fdl_init(&S->late, ir + head, ir_len - head, S->Q);
  else
    S->late.n_parts = 0;
  return S;
}

void stream_reset(void *handle, int batch) {
  Stream *S = handle;
  free_state(S);
  S->batch = batch, S->frames_done = 0, S->fill = 0;
  S->h = calloc((size_t)batch * S->H, sizeof(float));
  S->held_f0 = calloc(batch, sizeof(float));
  S->held_amps = calloc((size_t)batch * S->K, sizeof(float));
  S->noise_tail = calloc((size_t)batch * S->tail, sizeof(float));
  fdl_reset(&S->head, batch);
  if (S->late.n_parts) fdl_reset(&S->late, batch);
  S->overlap = calloc((size_t)batch * S->P, sizeof(float));
  S->tail_in = calloc((size_t)batch * S->Q, sizeof(float));
  S->ready = calloc((size_t)batch * S->Q, sizeof(float));
  S->next = calloc((size_t)batch * S->Q, sizeof(float));
  S->after = calloc((size_t)batch * S->Q, sizeof(float));
  S->phase = calloc(batch, sizeof(double));
  S->gates = calloc((size_t)batch * 3 * S->H, sizeof(float));
  S->rh = calloc((size_t)batch * S->H, sizeof(float));
  S->cap_samples = 0; /* dry is sized by the batch */
}

/* 0, or what is wrong with the controls (nothing is rendered then): 1 f0 or loudness not finite,
 * 2 negative f0, 3 z not finite. */
static int check(const Stream *S, const float *f0, const float *ld, const float *z, long rows) {
  for (long i = 0; i < rows; ++i)
    if (!isfinite(f0[i]) || !isfinite(ld[i])) return 1;
  for (long i = 0; i < rows; ++i)
    if (f0[i] < 0.f) return 2;
  for (long i = 0; z && i < rows * S->zd; ++i)
    if (!isfinite(z[i])) return 3;
  return 0;
}

/* One block: f0, ld [batch, F] (z [batch, F, z_dims] or NULL) -> out [batch, F * hop]. */
int stream_block(void *handle, const float *f0, const float *ld, const float *z, int F, float *out) {
  Stream *S = handle;
  const int B = S->batch, hop = S->hop, K = S->K;
  const int bad = check(S, f0, ld, z, (long)B * F);
  if (bad) return bad;
  const long n = (long)F * hop;
  ensure(S, (long)B * F, n);
  decode(S, f0, ld, z, B, F);
  const int first = S->frames_done == 0;
  float *f_all = S->f_all;
  const float **a_all = S->a_all;
  for (int b = 0; b < B; ++b) {
    const float *fb = f0 + (long)b * F, *ab = S->amps + (long)b * F * K;
    float *held = S->held_amps + (long)b * K, *dry = S->dry + (long)b * n;
    if (first) {
      S->held_f0[b] = fb[0];
      memcpy(held, ab, sizeof(float) * K);
      S->phase[b] = -(2.0 * M_PI / S->sr) * hop * (double)fb[0];
    }
    f_all[0] = S->held_f0[b], a_all[0] = held;
    for (int j = 0; j < F; ++j) f_all[j + 1] = fb[j], a_all[j + 1] = ab + (long)j * K;
    harmonics(S, f_all, a_all, F, &S->phase[b], dry);
    noise(S, b, F, S->firs + (long)b * F * S->taps, dry);
    if (first) memset(dry, 0, sizeof(float) * hop);
    S->held_f0[b] = fb[F - 1];
    memcpy(held, ab + (long)(F - 1) * K, sizeof(float) * K);
  }
  S->frames_done += F;
  if (S->has_reverb)
    room(S, S->dry, n, out);
  else
    memcpy(out, S->dry, sizeof(float) * B * n);
  return 0;
}

/* After the last block: the held frame and the room's tail, n samples per batch row (n >= hop, a
 * multiple of the block size). */
void stream_flush(void *handle, int n, float *out) {
  Stream *S = handle;
  const int hop = S->hop, K = S->K;
  ensure(S, 1, n);
  for (int b = 0; b < S->batch; ++b) {
    float *dry = S->dry + (long)b * n;
    const float f_all[2] = {S->held_f0[b], S->held_f0[b]};
    const float *a_all[2] = {S->held_amps + (long)b * K, S->held_amps + (long)b * K};
    harmonics(S, f_all, a_all, 1, &S->phase[b], dry);
    for (int t = 0; t < hop; ++t) dry[t] += S->noise_tail[(long)b * S->tail + t];
    memset(dry + hop, 0, sizeof(float) * (n - hop));
  }
  if (S->has_reverb)
    room(S, S->dry, n, out);
  else
    memcpy(out, S->dry, sizeof(float) * S->batch * n);
}

void stream_free(void *handle) {
  Stream *S = handle;
  if (!S) return;
  free_state(S);
  Layer *stacks[4] = {S->f, S->l, S->z, S->o};
  const int counts[4] = {S->nf, S->nl, S->nz, S->no};
  for (int s = 0; s < 4; ++s) {
    for (int l = 0; l < counts[s]; ++l) layer_free(&stacks[s][l]);
    free(stacks[s]);
  }
  layer_free(&S->gru_x), layer_free(&S->dense_out), layer_free(&S->design);
  layer_free(&S->u_zr), layer_free(&S->u_c), layer_free(&S->u);
  free(S->w1), free(S->hbuf), free(S->kmax);
  fdl_free(&S->head), fdl_free(&S->late);
  free(S->fin), free(S->lin), free(S->x), free(S->t1), free(S->t2), free(S->hid), free(S->xp), free(S->raw), free(S->amps);
  free(S->mags), free(S->firs), free(S->ph), free(S->dry), free(S->acc), free(S->f_all), free(S->a_all);
  free(S);
}
