/* One scale of the multi-scale spectral loss (L1) and its gradient, in one pass over a spectrum.
 *
 * For complex spectra S and S_target (interleaved re, im) with magnitudes m = |S| and T = |S_target|:
 *
 *   mag term    = sum |m - T|
 *   logmag term = sum |log(m + eps) - log(T + eps)| = sum |log((m + eps) / (T + eps))|
 *   d loss / d S = sign(m - T) (mag_w + logmag_w / (m + eps)) scale S / m   (0 where m = 0)
 *
 * where loss = scale (mag_w mag + logmag_w logmag); log is increasing, so both terms share the
 * sign of m - T. The gradient follows PyTorch's convention for complex inputs (that of
 * `abs().backward()`: sgn(S) times the real derivative). Sums are kept per row, in double, and
 * added by the caller in a fixed order, so the result does not depend on the thread count.
 *
 * The elementwise pass has no calls and no reductions, so the compiler vectorises it; its log is
 * the classic frexp + polynomial of Cephes' logf (about 1 ulp), written out so that it vectorises
 * too. The sums follow in double, four interleaved accumulators in a fixed order.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#define CHUNK 256

/* log(x) for normal x > 0: x = 2^e f with f in [sqrt(1/2), sqrt(2)), log(f) by a polynomial. */
static inline float log_poly(float x) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof bits);
  int e = (int)((bits >> 23) & 0xff) - 126;
  bits = (bits & 0x807fffffu) | 0x3f000000u; /* mantissa in [0.5, 1) */
  float f;
  memcpy(&f, &bits, sizeof f);
  const int low = f < 0.70710678f;
  e -= low;
  f = f + (float)low * f - 1.f; /* 2 f - 1 below sqrt(1/2), else f - 1 */
  const float z = f * f;
  float y = 7.0376836292e-2f;
  y = y * f - 1.1514610310e-1f;
  y = y * f + 1.1676998740e-1f;
  y = y * f - 1.2420140846e-1f;
  y = y * f + 1.4249322787e-1f;
  y = y * f - 1.6668057665e-1f;
  y = y * f + 2.0000714765e-1f;
  y = y * f - 2.4999993993e-1f;
  y = y * f + 3.3333331174e-1f;
  y = y * f * z;
  const float ef = (float)e;
  y += -2.12194440e-4f * ef;
  y += -0.5f * z;
  return f + y + 0.693359375f * ef;
}

void spectral_l1(const float *spec, const float *target, float *grad, double *row_sums, long n_rows,
                 int row_len, double mag_w, double logmag_w, double scale, float eps, int n_threads) {
  const float mw = (float)(mag_w * scale), lw = (float)(logmag_w * scale);
#pragma omp parallel for schedule(static) num_threads(n_threads)
  for (long row = 0; row < n_rows; ++row) {
    double mag[4] = {0.0}, logmag[4] = {0.0};
    for (int start = 0; start < row_len; start += CHUNK) {
      const int n = row_len - start < CHUNK ? row_len - start : CHUNK;
      const float *s = spec + 2 * (row * row_len + start), *st = target + 2 * (row * row_len + start);
      float *g = grad + 2 * (row * row_len + start);
      float absd[CHUNK], logd[CHUNK];
      for (int i = 0; i < n; ++i) {
        const float re = s[2 * i], im = s[2 * i + 1];
        const float m = sqrtf(re * re + im * im);
        const float t = sqrtf(st[2 * i] * st[2 * i] + st[2 * i + 1] * st[2 * i + 1]);
        const float d = m - t;
        absd[i] = fabsf(d);
        logd[i] = fabsf(log_poly((m + eps) / (t + eps)));
        /* branch-free, so that the loop vectorises: sign(d), 0 where m = 0 */
        const float sign = (float)(d > 0.f) - (float)(d < 0.f);
        const float live = (float)(m > 0.f), m_safe = m + (1.f - live);
        const float dm = live * sign * (mw + lw / (m + eps)) / m_safe;
        g[2 * i] = dm * re;
        g[2 * i + 1] = dm * im;
      }
      for (int i = 0; i < n; ++i) {
        mag[i & 3] += absd[i];
        logmag[i & 3] += logd[i];
      }
    }
    row_sums[2 * row] = (mag[0] + mag[1]) + (mag[2] + mag[3]);
    row_sums[2 * row + 1] = (logmag[0] + logmag[1]) + (logmag[2] + logmag[3]);
  }
}
