/* Register-tiled products of a few rows with a packed weight matrix (float32, GCC/Clang vectors),
 * and the gates' nonlinearities, shared by the GRU kernel (gru_kernel.c) and the streaming kernel
 * (stream_kernel.c). */
#ifndef DDSP_REPRO_TILES_H
#define DDSP_REPRO_TILES_H
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TR 4  /* batch rows per tile */
#define TC 16 /* output columns per tile: two 8-float vectors */

typedef float v8 __attribute__((vector_size(32))); /* GCC/Clang vectors: AVX where the CPU has it */

static inline v8 load8(const float *p) {
  v8 v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* w [K, N] (row stride ldw) repacked tile by tile: tile j holds columns 16 j .. 16 j + 15 as
 * [K][16], zero beyond N, so that a tile's product streams through contiguous memory. */
static float *pack_columns(const float *w, long ldw, int K, int N) {
  const int n_tiles = (N + TC - 1) / TC;
  float *packed = calloc((size_t)n_tiles * K * TC, sizeof(float));
  for (int tile = 0; tile < n_tiles; ++tile)
    for (int k = 0; k < K; ++k)
      for (int c = 0; c < TC && tile * TC + c < N; ++c)
        packed[((long)tile * K + k) * TC + c] = w[k * ldw + tile * TC + c];
  return packed;
}

/* acc[r][c] = sum_k in[r, k] wp[k, c] for the `rows` (<= TR) input rows of a packed tile. */
static void tile_product(const float *restrict in, long ldi, const float *restrict wp, int K, int rows,
                         float acc[restrict TR][TC]) {
  if (rows == TR) {
    v8 a0 = {0}, b0 = {0}, a1 = {0}, b1 = {0}, a2 = {0}, b2 = {0}, a3 = {0}, b3 = {0};
    for (int k = 0; k < K; ++k) {
      __builtin_prefetch(wp + (k + 32) * TC); /* weights larger than the cache stream in: ask ahead */
      const v8 w0 = load8(wp + k * TC), w1 = load8(wp + k * TC + 8);
      const float x0 = in[k], x1 = in[ldi + k], x2 = in[2 * ldi + k], x3 = in[3 * ldi + k];
      a0 += x0 * w0, b0 += x0 * w1;
      a1 += x1 * w0, b1 += x1 * w1;
      a2 += x2 * w0, b2 += x2 * w1;
      a3 += x3 * w0, b3 += x3 * w1;
    }
    const v8 sums[TR][2] = {{a0, b0}, {a1, b1}, {a2, b2}, {a3, b3}};
    memcpy(acc, sums, sizeof(sums));
    return;
  }
  for (int r = 0; r < rows; ++r) {
    v8 a = {0}, b = {0};
    for (int k = 0; k < K; ++k) {
      const float x = in[r * ldi + k];
      a += x * load8(wp + k * TC), b += x * load8(wp + k * TC + 8);
    }
    memcpy(acc[r], &a, sizeof a);
    memcpy(acc[r] + 8, &b, sizeof b);
  }
}

static inline float clip01(float y) { return y < 0.f ? 0.f : (y > 1.f ? 1.f : y); }
static inline float sigmoidf(float x) { return 1.f / (1.f + expf(-x)); }
#endif
