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

#include "harmonic_frame.h"

#ifdef _OPENMP
#include <omp.h>
#endif

void harmonic_forward(const double *phase, const float *f0, const float *amps, float *out, int B, int F,
                      int K, int hop, double nyquist, int window, int n_threads) {
#pragma omp parallel num_threads(n_threads)
  {
    double *buf = (double *)malloc(sizeof(double) * hop * 7);
    int *kmax = (int *)malloc(sizeof(int) * hop);
    double *w1 = buf + 6 * hop;
    rise_table(hop, window, w1);
#pragma omp for schedule(static)
    for (long bj = 0; bj < (long)B * F; ++bj) {
      const int b = (int)(bj / F), j = (int)(bj % F), next = j + 1 < F ? j + 1 : F - 1;
      harmonic_frame(phase + bj * hop, f0[(long)b * F + j], f0[(long)b * F + next], amps + bj * K,
                     amps + ((long)b * F + next) * K, K, hop, nyquist, w1, buf, kmax, out + bj * hop);
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
      const int next = j + 1 < F ? j + 1 : F - 1;
      frame_setup(phase + bj * hop, f0[(long)b * F + j], f0[(long)b * F + next], hop, nyquist, K, c1, s1, kmax,
                  &kmin_all, &kmax_all);
      const float *a0 = amps + bj * K;
      const float *a1 = amps + ((long)b * F + next) * K;
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
