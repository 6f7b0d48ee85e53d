// Blocks of 6 rows by 8 columns keep 12 accumulators in registers and broadcast A straight from memory; B is
// read in place, without packing, which pays for operands that change on every call (a layer's weights during
// training).
#include <wasm_simd128.h>

#include "gemm.h"

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

// ---- GEMM: C[m, n] (+)= sum_k A(m, k) B[k, n], A(m, k) = a[m * ars + k * aks], B and C row-major ----

INLINE void gemm_block(const float *a, int ars, int aks, const float *b, int ldb, float *c, int ldc, int k,
                       int accumulate, const int MR, const int NV) {
  v128_t acc[6][2];
#pragma clang loop unroll(full)
  for (int i = 0; i < MR; i++)
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++)
      acc[i][v] = accumulate ? wasm_v128_load(c + i * ldc + 4 * v) : wasm_f32x4_splat(0);
  for (int p = 0; p < k; p++, a += aks, b += ldb) {
    v128_t b0 = wasm_v128_load(b);
    v128_t b1 = NV > 1 ? wasm_v128_load(b + 4) : b0;
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
      v128_t s = wasm_v128_load32_splat(a + i * ars);
      acc[i][0] = wasm_f32x4_add(acc[i][0], wasm_f32x4_mul(s, b0));
      if (NV > 1) acc[i][1] = wasm_f32x4_add(acc[i][1], wasm_f32x4_mul(s, b1));
    }
  }
#pragma clang loop unroll(full)
  for (int i = 0; i < MR; i++)
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) wasm_v128_store(c + i * ldc + 4 * v, acc[i][v]);
}

INLINE void gemm_rows(const float *a, int ars, int aks, const float *b, int ldb, float *c, int ldc, int m,
                      int k, int accumulate, const int NV) {
  int i = 0;
  for (; i + 6 <= m; i += 6) gemm_block(a + i * ars, ars, aks, b, ldb, c + i * ldc, ldc, k, accumulate, 6, NV);
  switch (m - i) {
    case 5: gemm_block(a + i * ars, ars, aks, b, ldb, c + i * ldc, ldc, k, accumulate, 5, NV); break;
    case 4: gemm_block(a + i * ars, ars, aks, b, ldb, c + i * ldc, ldc, k, accumulate, 4, NV); break;
    case 3: gemm_block(a + i * ars, ars, aks, b, ldb, c + i * ldc, ldc, k, accumulate, 3, NV); break;
    case 2: gemm_block(a + i * ars, ars, aks, b, ldb, c + i * ldc, ldc, k, accumulate, 2, NV); break;
    case 1: gemm_block(a + i * ars, ars, aks, b, ldb, c + i * ldc, ldc, k, accumulate, 1, NV); break;
    default: break;
  }
}

EXPORT(gemm)
void gemm(const float *a, int ars, int aks, const float *b, int ldb, float *c, int ldc, int m, int n,
                 int k, int accumulate) {
  int j = 0;
  for (; j + 8 <= n; j += 8) gemm_rows(a, ars, aks, b + j, ldb, c + j, ldc, m, k, accumulate, 2);
  for (; j + 4 <= n; j += 4) gemm_rows(a, ars, aks, b + j, ldb, c + j, ldc, m, k, accumulate, 1);
  for (; j < n; j++) {
    for (int i = 0; i < m; i++) {
      float s = accumulate ? c[i * ldc + j] : 0.f;
      for (int p = 0; p < k; p++) s += a[i * ars + p * aks] * b[p * ldb + j];
      c[i * ldc + j] = s;
    }
  }
}
