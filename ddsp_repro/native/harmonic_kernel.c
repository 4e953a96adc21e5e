/* Fused harmonic oscillator bank: forward and backward in one pass over the audio, per frame.
 *
 * audio[t] = sum_{k : k f(t) < nyquist} A_k(t) sin(k phi(t)),  t = j * hop + r,
 * A_k(t)   = amps[j, k] * w0(r) + amps[j + 1, k] * w1(r)   (frame j + 1 held past the end),
 * f(t)     = f0[j] + (f0[j + 1] - f0[j]) r / hop            (the official linear mapping),
 * w1(r)    = sin^2(pi r / 2 hop) ("window") or r / hop ("linear"), w0 = 1 - w1.
 *
 * sin(k phi) and cos(k phi) come from a rotation recurrence in double precision, so no
 * [batch, n_samples, n_harmonics] tensor is ever formed. The backward pass returns
 * d audio / d phi and the two per-frame amplitude gradients (current and next frame), which the
 * caller adds up. Frames are independent, so they are shared out with OpenMP.
 */
#include <math.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Next-frame weight of each sample of a hop, shared by every frame. */
static void rise_table(int hop, int window, double *w1) {
  const double pi = 3.14159265358979323846;
  for (int r = 0; r < hop; ++r) {
    if (window) {
      const double s = sin(pi * r / (2.0 * hop));
      w1[r] = s * s;
    } else {
      w1[r] = (double)r / hop;
    }
  }
}

/* cos/sin of the fundamental's phase and the number of harmonics below Nyquist, per sample of
 * frame j; returns the smallest and largest such count over the frame. */
static void frame_setup(const double *phase, const float *f0, int F, int hop, int j, int b, double nyquist,
                        int K, double *c1, double *s1, int *kmax, int *kmin_all, int *kmax_all) {
  const float fj = f0[(long)b * F + j];
  const float fn = f0[(long)b * F + (j + 1 < F ? j + 1 : F - 1)];
  const long t0 = ((long)b * F + j) * hop;
  int lo = K, hi = 0;
  for (int r = 0; r < hop; ++r) {
    const double p = phase[t0 + r];
    c1[r] = cos(p);
    s1[r] = sin(p);
    const float f = (float)(fj + (fn - fj) * ((double)r / hop));
    int k = K;
    if (f > 0.0f) {
      /* Largest k with k * f < nyquist, compared in float as the official code does. */
      const double guess = floor(nyquist / f);
      k = guess > K ? K : (int)guess;
      while (k >= 1 && (float)k * f >= (float)nyquist) --k;
      while (k < K && (float)(k + 1) * f < (float)nyquist) ++k;
    }
    kmax[r] = k;
    if (k > hi) hi = k;
    if (k < lo) lo = k;
  }
  *kmin_all = lo;
  *kmax_all = hi;
}

void harmonic_forward(const double *phase, const float *f0, const float *amps, float *out, int B, int F,
                      int K, int hop, double nyquist, int window, int n_threads) {
#pragma omp parallel num_threads(n_threads)
  {
    double *buf = (double *)malloc(sizeof(double) * hop * 7);
    int *kmax = (int *)malloc(sizeof(int) * hop);
    double *c1 = buf, *s1 = buf + hop, *w1 = buf + 2 * hop, *ck = buf + 3 * hop, *sk = buf + 4 * hop;
    double *acc0 = buf + 5 * hop, *acc1 = buf + 6 * hop;
    rise_table(hop, window, w1);
#pragma omp for schedule(static)
    for (long bj = 0; bj < (long)B * F; ++bj) {
      const int b = (int)(bj / F), j = (int)(bj % F);
      int kmin_all, kmax_all;
      frame_setup(phase, f0, F, hop, j, b, nyquist, K, c1, s1, kmax, &kmin_all, &kmax_all);
      const float *a0 = amps + ((long)b * F + j) * K;
      const float *a1 = amps + ((long)b * F + (j + 1 < F ? j + 1 : F - 1)) * K;
      for (int r = 0; r < hop; ++r) {
        ck[r] = c1[r];
        sk[r] = s1[r];
        acc0[r] = 0.0;
        acc1[r] = 0.0;
      }
      /* Harmonics below Nyquist on every sample of the frame: no mask. */
      for (int k = 1; k <= kmin_all; ++k) {
        const double ak0 = a0[k - 1], ak1 = a1[k - 1];
        for (int r = 0; r < hop; ++r) {
          acc0[r] += ak0 * sk[r];
          acc1[r] += ak1 * sk[r];
          const double c = ck[r] * c1[r] - sk[r] * s1[r];
          sk[r] = sk[r] * c1[r] + ck[r] * s1[r];
          ck[r] = c;
        }
      }
      /* Harmonics that cross Nyquist inside the frame (f0 moving): per-sample mask. */
      for (int k = kmin_all + 1; k <= kmax_all; ++k) {
        const double ak0 = a0[k - 1], ak1 = a1[k - 1];
        for (int r = 0; r < hop; ++r) {
          const double m = k <= kmax[r] ? 1.0 : 0.0;
          acc0[r] += m * ak0 * sk[r];
          acc1[r] += m * ak1 * sk[r];
          const double c = ck[r] * c1[r] - sk[r] * s1[r];
          sk[r] = sk[r] * c1[r] + ck[r] * s1[r];
          ck[r] = c;
        }
      }
      float *o = out + ((long)b * F + j) * hop;
      for (int r = 0; r < hop; ++r) o[r] = (float)((1.0 - w1[r]) * acc0[r] + w1[r] * acc1[r]);
    }
    free(buf);
    free(kmax);
  }
}

void harmonic_backward(const double *phase, const float *f0, const float *amps, const float *grad_out,
                       double *grad_phase, float *grad_amps_cur, float *grad_amps_next, int B, int F, int K,
                       int hop, double nyquist, int window, int n_threads) {
#pragma omp parallel num_threads(n_threads)
  {
    double *buf = (double *)malloc(sizeof(double) * hop * 9);
    int *kmax = (int *)malloc(sizeof(int) * hop);
    double *c1 = buf, *s1 = buf + hop, *w1 = buf + 2 * hop, *ck = buf + 3 * hop, *sk = buf + 4 * hop;
    double *gw0 = buf + 5 * hop, *gw1 = buf + 6 * hop, *gp = buf + 7 * hop, *w0 = buf + 8 * hop;
    rise_table(hop, window, w1);
    for (int r = 0; r < hop; ++r) w0[r] = 1.0 - w1[r];
#pragma omp for schedule(static)
    for (long bj = 0; bj < (long)B * F; ++bj) {
      const int b = (int)(bj / F), j = (int)(bj % F);
      int kmin_all, kmax_all;
      frame_setup(phase, f0, F, hop, j, b, nyquist, K, c1, s1, kmax, &kmin_all, &kmax_all);
      const float *a0 = amps + ((long)b * F + j) * K;
      const float *a1 = amps + ((long)b * F + (j + 1 < F ? j + 1 : F - 1)) * K;
      const float *g = grad_out + ((long)b * F + j) * hop;
      float *gcur = grad_amps_cur + ((long)b * F + j) * K;
      float *gnext = grad_amps_next + ((long)b * F + j) * K;
      for (int r = 0; r < hop; ++r) {
        ck[r] = c1[r];
        sk[r] = s1[r];
        gw0[r] = g[r] * w0[r];
        gw1[r] = g[r] * w1[r];
        gp[r] = 0.0;
      }
      for (int k = 1; k <= K; ++k) {
        if (k > kmax_all) {
          gcur[k - 1] = 0.0f;
          gnext[k - 1] = 0.0f;
          continue;
        }
        const double ak0 = a0[k - 1], ak1 = a1[k - 1];
        double sum0 = 0.0, sum1 = 0.0;
        if (k <= kmin_all) {
          for (int r = 0; r < hop; ++r) {
            sum0 += gw0[r] * sk[r];
            sum1 += gw1[r] * sk[r];
            gp[r] += k * (ak0 * w0[r] + ak1 * w1[r]) * ck[r];
            const double c = ck[r] * c1[r] - sk[r] * s1[r];
            sk[r] = sk[r] * c1[r] + ck[r] * s1[r];
            ck[r] = c;
          }
        } else {
          for (int r = 0; r < hop; ++r) {
            const double m = k <= kmax[r] ? 1.0 : 0.0;
            sum0 += m * gw0[r] * sk[r];
            sum1 += m * gw1[r] * sk[r];
            gp[r] += m * k * (ak0 * w0[r] + ak1 * w1[r]) * ck[r];
            const double c = ck[r] * c1[r] - sk[r] * s1[r];
            sk[r] = sk[r] * c1[r] + ck[r] * s1[r];
            ck[r] = c;
          }
        }
        gcur[k - 1] = (float)sum0;
        gnext[k - 1] = (float)sum1;
      }
      double *gph = grad_phase + ((long)b * F + j) * hop;
      for (int r = 0; r < hop; ++r) gph[r] = g[r] * gp[r];
    }
    free(buf);
    free(kmax);
  }
}
