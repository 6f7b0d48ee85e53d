// Batch normalisation in training, over the last axis of a row-major [m, c] activation (NHWC with
// m = N * H * W): each channel is normalised by the batch's own mean and variance. Two passes forward,
// two back, instead of the dozen whole-tensor ops tfjs composes (src/kernels/batch-norm-train.ts).
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// mean[j] and rstd[j] = 1 / sqrt(var[j] + eps) of column j (the variance from deviations about the mean,
// a second pass, so a large mean loses nothing); then xhat = (x - mean) * rstd and y = xhat * gamma + beta.
EXPORT(batch_norm_train)
void batch_norm_train(const float *x, const float *gamma, const float *beta, float *y, float *xhat, float *mean,
                      float *rstd, int m, int c, float eps) {
  int c4 = c & ~3;
  float inv = 1.0f / (float)m;
  for (int j = 0; j < c; j++) mean[j] = 0.0f, rstd[j] = 0.0f;
  for (int i = 0; i < m; i++) {
    const float *row = x + i * c;
    int j = 0;
    for (; j < c4; j += 4) wasm_v128_store(mean + j, wasm_f32x4_add(wasm_v128_load(mean + j), wasm_v128_load(row + j)));
    for (; j < c; j++) mean[j] += row[j];
  }
  for (int j = 0; j < c; j++) mean[j] *= inv;
  for (int i = 0; i < m; i++) {
    const float *row = x + i * c;
    int j = 0;
    for (; j < c4; j += 4) {
      v128_t d = wasm_f32x4_sub(wasm_v128_load(row + j), wasm_v128_load(mean + j));
      wasm_v128_store(rstd + j, wasm_f32x4_add(wasm_v128_load(rstd + j), wasm_f32x4_mul(d, d)));
    }
    for (; j < c; j++) {
      float d = row[j] - mean[j];
      rstd[j] += d * d;
    }
  }
  for (int j = 0; j < c; j++) rstd[j] = 1.0f / __builtin_sqrtf(rstd[j] * inv + eps);
  for (int i = 0; i < m; i++) {
    const float *row = x + i * c;
    float *h = xhat + i * c, *out = y + i * c;
    int j = 0;
    for (; j < c4; j += 4) {
      v128_t n = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(row + j), wasm_v128_load(mean + j)), wasm_v128_load(rstd + j));
      wasm_v128_store(h + j, n);
      wasm_v128_store(out + j, wasm_f32x4_add(wasm_f32x4_mul(n, wasm_v128_load(gamma + j)), wasm_v128_load(beta + j)));
    }
    for (; j < c; j++) {
      float n = (row[j] - mean[j]) * rstd[j];
      h[j] = n;
      out[j] = n * gamma[j] + beta[j];
    }
  }
}

// The gradient of batch_norm_train: dbeta = sum(dy), dgamma = sum(dy * xhat) per column, and
// dx = gamma * rstd * (dy - dbeta / m - xhat * dgamma / m), the mean's and variance's paths included.
EXPORT(batch_norm_train_grad)
void batch_norm_train_grad(const float *dy, const float *xhat, const float *rstd, const float *gamma, float *dx,
                           float *dgamma, float *dbeta, int m, int c) {
  int c4 = c & ~3;
  for (int j = 0; j < c; j++) dgamma[j] = 0.0f, dbeta[j] = 0.0f;
  for (int i = 0; i < m; i++) {
    const float *g = dy + i * c, *h = xhat + i * c;
    int j = 0;
    for (; j < c4; j += 4) {
      v128_t gj = wasm_v128_load(g + j);
      wasm_v128_store(dbeta + j, wasm_f32x4_add(wasm_v128_load(dbeta + j), gj));
      wasm_v128_store(dgamma + j, wasm_f32x4_add(wasm_v128_load(dgamma + j), wasm_f32x4_mul(gj, wasm_v128_load(h + j))));
    }
    for (; j < c; j++) {
      dbeta[j] += g[j];
      dgamma[j] += g[j] * h[j];
    }
  }
  float inv = 1.0f / (float)m;
  v128_t vinv = wasm_f32x4_splat(inv);
  for (int i = 0; i < m; i++) {
    const float *g = dy + i * c, *h = xhat + i * c;
    float *out = dx + i * c;
    int j = 0;
    for (; j < c4; j += 4) {
      v128_t scale = wasm_f32x4_mul(wasm_v128_load(gamma + j), wasm_v128_load(rstd + j));
      v128_t mb = wasm_f32x4_mul(wasm_v128_load(dbeta + j), vinv);
      v128_t mg = wasm_f32x4_mul(wasm_v128_load(dgamma + j), vinv);
      v128_t inner = wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(g + j), mb), wasm_f32x4_mul(wasm_v128_load(h + j), mg));
      wasm_v128_store(out + j, wasm_f32x4_mul(scale, inner));
    }
    for (; j < c; j++) out[j] = gamma[j] * rstd[j] * (g[j] - dbeta[j] * inv - h[j] * dgamma[j] * inv);
  }
}
