/* One frame of the harmonic oscillator bank (see harmonic_kernel.c for the maths), shared by the
 * offline kernel and the streaming kernel (stream_kernel.c). Static functions, no OpenMP. */
#ifndef DDSP_REPRO_HARMONIC_FRAME_H
#define DDSP_REPRO_HARMONIC_FRAME_H
#include <math.h>

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

/* cos/sin of the fundamental's phase `p` over one frame whose f0 goes from fj towards fn, and the
 * number of harmonics below Nyquist per sample; returns the smallest and largest such count. */
static void frame_setup(const double *p, float fj, float fn, int hop, double nyquist, int K, double *c1,
                        double *s1, int *kmax, int *kmin_all, int *kmax_all) {
  int lo = K, hi = 0;
  for (int r = 0; r < hop; ++r) {
    c1[r] = cos(p[r]);
    s1[r] = sin(p[r]);
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

/* o[r] = sum_k (w0 a0[k] + w1 a1[k]) sin(k p[r]) over one frame; buf holds 6 hop doubles and
 * kmax hop ints of scratch, w1 the `rise_table`. */
static void harmonic_frame(const double *p, float fj, float fn, const float *a0, const float *a1, int K,
                           int hop, double nyquist, const double *w1, double *buf, int *kmax, float *o) {
  double *c1 = buf, *s1 = buf + hop, *ck = buf + 2 * hop, *sk = buf + 3 * hop;
  double *acc0 = buf + 4 * hop, *acc1 = buf + 5 * hop;
  int kmin_all, kmax_all;
  frame_setup(p, fj, fn, hop, nyquist, K, c1, s1, kmax, &kmin_all, &kmax_all);
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
  for (int r = 0; r < hop; ++r) o[r] = (float)((1.0 - w1[r]) * acc0[r] + w1[r] * acc1[r]);
}
#endif
