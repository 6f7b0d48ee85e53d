// Winograd F(2x2, 3x3) for 3x3, stride-1 NHWC convolutions (cross-correlation, as tfjs computes it), and
// its two adjoints. The output is cut into 2x2 tiles (the tiled area padded with zeros), each read from a
// 4x4 input tile d, and for every one of the 16 transform positions xi a GEMM replaces the 3x3 taps:
//   forward:         V = Bt d B,  U = G g Gt,  M_xi = V_xi . U_xi,   y = At M A
//   filter gradient: Yh = A dy At,  dUh_xi = V_xi^T . Yh_xi (summed over tiles),  dw = Gt dUh G
//   input gradient:  Yh = A dy At,  dV_xi = Yh_xi . U_xi^T,  dx += B dV Bt (tiles overlap by 2)
// with Bt = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
// At = [1 1 1 0; 0 1 -1 -1] (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015).
// Tiles are processed in blocks of `tb` so that a block's transformed tiles stay in cache between the
// transforms and the GEMMs. Matrices of one block are laid out [16][tiles][channels]. Every sum is taken
// in a fixed order that depends only on the shapes, so results are reproducible.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

typedef struct {
  int n, h, w, th, tw, pad_top, pad_left;
} tiling;

#include "gemm.h"

// ---- 4-point transforms of one row or column (four channels per vector) ----

INLINE void bt4(v128_t *r) {  // Bt . d
  v128_t a = wasm_f32x4_sub(r[0], r[2]), b = wasm_f32x4_add(r[1], r[2]);
  v128_t c = wasm_f32x4_sub(r[2], r[1]), d = wasm_f32x4_sub(r[1], r[3]);
  r[0] = a, r[1] = b, r[2] = c, r[3] = d;
}
INLINE void b4(v128_t *r) {  // B . v
  v128_t a = r[0], b = wasm_f32x4_add(wasm_f32x4_sub(r[1], r[2]), r[3]);
  v128_t c = wasm_f32x4_sub(wasm_f32x4_add(r[1], r[2]), r[0]), d = wasm_f32x4_neg(r[3]);
  r[0] = a, r[1] = b, r[2] = c, r[3] = d;
}
INLINE void a2(const v128_t *r, v128_t *o) {  // A . dy: 4 from 2
  o[0] = r[0], o[1] = wasm_f32x4_add(r[0], r[1]), o[2] = wasm_f32x4_sub(r[0], r[1]), o[3] = wasm_f32x4_neg(r[1]);
}
INLINE void at4(const v128_t *r, v128_t *o) {  // At . m: 2 from 4
  o[0] = wasm_f32x4_add(wasm_f32x4_add(r[0], r[1]), r[2]);
  o[1] = wasm_f32x4_sub(wasm_f32x4_sub(r[1], r[2]), r[3]);
}

// Loads and stores of the last, partial vector of channels (rem < 4 of them), lane by lane.
INLINE v128_t load_rem(const float *p, int rem) {
  if (rem >= 4) return wasm_v128_load(p);
  v128_t v = wasm_f32x4_splat(0);
  v = wasm_v128_load32_lane(p, v, 0);
  if (rem > 1) v = wasm_v128_load32_lane(p + 1, v, 1);
  if (rem > 2) v = wasm_v128_load32_lane(p + 2, v, 2);
  return v;
}
INLINE void store_rem(float *p, v128_t v, int rem) {
  switch (rem) {
    case 1: wasm_v128_store32_lane(p, v, 0); break;
    case 2: wasm_v128_store64_lane(p, v, 0); break;
    case 3:
      wasm_v128_store64_lane(p, v, 0);
      wasm_v128_store32_lane(p + 2, v, 2);
      break;
    default: wasm_v128_store(p, v); break;
  }
}

// ---- tile transforms over a block of tiles [t0, t0 + tb) ----

// One tile's four channels of V = Bt d B. CHECKED = 0 for tiles inside the image and whole vectors of
// channels (most of them): no bounds tests on the 16 loads.
INLINE void input_tile(const float *img, float *out, int plane, int h, int w, int cin, int y0, int x0, int c,
                       int rem, const int CHECKED) {
  v128_t d[4][4];
#pragma clang loop unroll(full)
  for (int i = 0; i < 4; i++)
#pragma clang loop unroll(full)
    for (int j = 0; j < 4; j++) {
      int yy = y0 + i, xx = x0 + j;
      const float *p = img + (yy * w + xx) * cin + c;
      if (!CHECKED) d[i][j] = wasm_v128_load(p);
      else d[i][j] = (unsigned)yy < (unsigned)h && (unsigned)xx < (unsigned)w ? load_rem(p, rem) : wasm_f32x4_splat(0);
    }
#pragma clang loop unroll(full)
  for (int i = 0; i < 4; i++) bt4(d[i]);  // along j
#pragma clang loop unroll(full)
  for (int j = 0; j < 4; j++) {
    v128_t col[4] = {d[0][j], d[1][j], d[2][j], d[3][j]};
    bt4(col);  // along i
#pragma clang loop unroll(full)
    for (int i = 0; i < 4; i++) {
      if (!CHECKED) wasm_v128_store(out + (i * 4 + j) * plane + c, col[i]);
      else store_rem(out + (i * 4 + j) * plane + c, col[i], rem);
    }
  }
}

// V[xi][t][c] = (Bt d B)[xi] for each tile's 4x4 input patch d (zero outside the image).
INLINE void input_transform(const float *x, float *v, tiling g, int cin, int t0, int tb) {
  int plane = tb * cin;
  for (int t = 0; t < tb; t++) {
    int tile = t0 + t, b = tile / (g.th * g.tw), ty = tile / g.tw % g.th, tx = tile % g.tw;
    int y0 = 2 * ty - g.pad_top, x0 = 2 * tx - g.pad_left;
    int inside = y0 >= 0 && x0 >= 0 && y0 + 4 <= g.h && x0 + 4 <= g.w;
    const float *img = x + (long)b * g.h * g.w * cin;
    float *out = v + t * cin;
    for (int c = 0; c < cin; c += 4) {
      int rem = cin - c;
      if (inside && rem >= 4) input_tile(img, out, plane, g.h, g.w, cin, y0, x0, c, rem, 0);
      else input_tile(img, out, plane, g.h, g.w, cin, y0, x0, c, rem, 1);
    }
  }
}

// One tile's four channels of Yh = A dy At. CHECKED = 0 for whole 2x2 tiles and whole vectors of channels.
INLINE void output_grad_tile(const float *p00, float *out, int plane, int ow, int cout, int rows, int cols,
                             int c, int rem, const int CHECKED) {
  v128_t d[2][2], r[2][4];
#pragma clang loop unroll(full)
  for (int i = 0; i < 2; i++)
#pragma clang loop unroll(full)
    for (int j = 0; j < 2; j++) {
      const float *p = p00 + (i * ow + j) * cout + c;
      if (!CHECKED) d[i][j] = wasm_v128_load(p);
      else d[i][j] = i < rows && j < cols ? load_rem(p, rem) : wasm_f32x4_splat(0);
    }
#pragma clang loop unroll(full)
  for (int i = 0; i < 2; i++) a2(d[i], r[i]);  // along j
#pragma clang loop unroll(full)
  for (int j = 0; j < 4; j++) {
    v128_t col[2] = {r[0][j], r[1][j]}, o[4];
    a2(col, o);  // along i
#pragma clang loop unroll(full)
    for (int i = 0; i < 4; i++) {
      if (!CHECKED) wasm_v128_store(out + (i * 4 + j) * plane + c, o[i]);
      else store_rem(out + (i * 4 + j) * plane + c, o[i], rem);
    }
  }
}

// Yh[xi][t][c] = (A dy At)[xi] for each tile's 2x2 output gradient (zero beyond the output).
INLINE void output_grad_transform(const float *dy, float *yh, tiling g, int oh, int ow, int cout, int t0,
                                  int tb) {
  int plane = tb * cout;
  for (int t = 0; t < tb; t++) {
    int tile = t0 + t, b = tile / (g.th * g.tw), ty = tile / g.tw % g.th, tx = tile % g.tw;
    int rows = oh - 2 * ty < 2 ? 1 : 2, cols = ow - 2 * tx < 2 ? 1 : 2, whole = rows == 2 && cols == 2;
    const float *p00 = dy + (((long)b * oh + 2 * ty) * ow + 2 * tx) * cout;
    float *out = yh + t * cout;
    for (int c = 0; c < cout; c += 4) {
      int rem = cout - c;
      if (whole && rem >= 4) output_grad_tile(p00, out, plane, ow, cout, rows, cols, c, rem, 0);
      else output_grad_tile(p00, out, plane, ow, cout, rows, cols, c, rem, 1);
    }
  }
}

// One tile's four channels of y = At M A (+ bias, then relu if asked); CHECKED as for output_grad_tile.
INLINE void output_tile(const float *in, float *p00, const float *bias, int relu, int plane, int ow, int cout,
                        int rows, int cols, int c, int rem, const int CHECKED) {
  v128_t r[4][2];
#pragma clang loop unroll(full)
  for (int i = 0; i < 4; i++) {
    v128_t row[4];
#pragma clang loop unroll(full)
    for (int j = 0; j < 4; j++) {
      const float *p = in + (i * 4 + j) * plane + c;
      row[j] = CHECKED ? load_rem(p, rem) : wasm_v128_load(p);
    }
    at4(row, r[i]);  // along j
  }
  v128_t add = bias ? (CHECKED ? load_rem(bias + c, rem) : wasm_v128_load(bias + c)) : wasm_f32x4_splat(0);
#pragma clang loop unroll(full)
  for (int j = 0; j < 2; j++) {
    v128_t col[4] = {r[0][j], r[1][j], r[2][j], r[3][j]}, o[2];
    at4(col, o);  // along i
#pragma clang loop unroll(full)
    for (int i = 0; i < 2; i++) {
      if (bias) o[i] = wasm_f32x4_add(o[i], add);
      if (relu) o[i] = wasm_f32x4_max(o[i], wasm_f32x4_splat(0));
      float *q = p00 + (i * ow + j) * cout + c;
      if (!CHECKED) wasm_v128_store(q, o[i]);
      else if (i < rows && j < cols) store_rem(q, o[i], rem);
    }
  }
}

// y = At M A (+ bias, then relu if asked) for each tile, dropping what falls beyond the output.
INLINE void output_transform(const float *m, float *y, const float *bias, int relu, tiling g, int oh, int ow,
                             int cout, int t0, int tb) {
  int plane = tb * cout;
  for (int t = 0; t < tb; t++) {
    int tile = t0 + t, b = tile / (g.th * g.tw), ty = tile / g.tw % g.th, tx = tile % g.tw;
    int rows = oh - 2 * ty < 2 ? 1 : 2, cols = ow - 2 * tx < 2 ? 1 : 2, whole = rows == 2 && cols == 2;
    float *p00 = y + (((long)b * oh + 2 * ty) * ow + 2 * tx) * cout;
    const float *in = m + t * cout;
    for (int c = 0; c < cout; c += 4) {
      int rem = cout - c;
      if (whole && rem >= 4) output_tile(in, p00, bias, relu, plane, ow, cout, rows, cols, c, rem, 0);
      else output_tile(in, p00, bias, relu, plane, ow, cout, rows, cols, c, rem, 1);
    }
  }
}

// One tile's four channels of dx += B dV Bt; CHECKED as for input_tile.
INLINE void input_grad_tile(const float *in, float *img, int plane, int h, int w, int cin, int y0, int x0,
                            int c, int rem, const int CHECKED) {
  v128_t d[4][4];
#pragma clang loop unroll(full)
  for (int i = 0; i < 4; i++) {
#pragma clang loop unroll(full)
    for (int j = 0; j < 4; j++)
      d[i][j] = CHECKED ? load_rem(in + (i * 4 + j) * plane + c, rem) : wasm_v128_load(in + (i * 4 + j) * plane + c);
    b4(d[i]);  // along j
  }
#pragma clang loop unroll(full)
  for (int j = 0; j < 4; j++) {
    v128_t col[4] = {d[0][j], d[1][j], d[2][j], d[3][j]};
    b4(col);  // along i
#pragma clang loop unroll(full)
    for (int i = 0; i < 4; i++) {
      int yy = y0 + i, xx = x0 + j;
      float *q = img + (yy * w + xx) * cin + c;
      if (!CHECKED) wasm_v128_store(q, wasm_f32x4_add(wasm_v128_load(q), col[i]));
      else if ((unsigned)yy < (unsigned)h && (unsigned)xx < (unsigned)w)
        store_rem(q, wasm_f32x4_add(load_rem(q, rem), col[i]), rem);
    }
  }
}

// dx += B dV Bt for each tile's 4x4 input patch, dropping what falls outside the image. dx must be zeroed.
INLINE void input_grad_transform(const float *dv, float *dx, tiling g, int cin, int t0, int tb) {
  int plane = tb * cin;
  for (int t = 0; t < tb; t++) {
    int tile = t0 + t, b = tile / (g.th * g.tw), ty = tile / g.tw % g.th, tx = tile % g.tw;
    int y0 = 2 * ty - g.pad_top, x0 = 2 * tx - g.pad_left;
    int inside = y0 >= 0 && x0 >= 0 && y0 + 4 <= g.h && x0 + 4 <= g.w;
    float *img = dx + (long)b * g.h * g.w * cin;
    const float *in = dv + t * cin;
    for (int c = 0; c < cin; c += 4) {
      int rem = cin - c;
      if (inside && rem >= 4) input_grad_tile(in, img, plane, g.h, g.w, cin, y0, x0, c, rem, 0);
      else input_grad_tile(in, img, plane, g.h, g.w, cin, y0, x0, c, rem, 1);
    }
  }
}

// U[xi][ci][co] (transposed: U[xi][co][ci]) = (G g Gt)[xi] for the [3, 3, cin, cout] filter.
EXPORT(winograd_filter_transform)
void winograd_filter_transform(const float *f, float *u, int cin, int cout, int transposed) {
  int k = cin * cout, s_ci = transposed ? 1 : cout, s_co = transposed ? cin : 1;
  for (int ci = 0; ci < cin; ci++) {
    for (int co = 0; co < cout; co++) {
      const float *p = f + ci * cout + co;
      float r[3][4];
      for (int j = 0; j < 3; j++) {  // G along i, for each column j
        float g0 = p[(0 * 3 + j) * k], g1 = p[(1 * 3 + j) * k], g2 = p[(2 * 3 + j) * k];
        r[j][0] = g0, r[j][1] = 0.5f * (g0 + g1 + g2), r[j][2] = 0.5f * (g0 - g1 + g2), r[j][3] = g2;
      }
      for (int i = 0; i < 4; i++) {  // then along j
        float g0 = r[0][i], g1 = r[1][i], g2 = r[2][i];
        float o[4] = {g0, 0.5f * (g0 + g1 + g2), 0.5f * (g0 - g1 + g2), g2};
        for (int j = 0; j < 4; j++) u[(i * 4 + j) * k + ci * s_ci + co * s_co] = o[j];
      }
    }
  }
}

// dw = Gt dUh G: the [3, 3, cin, cout] filter gradient from dUh[xi][ci][co].
static void filter_grad_transform(const float *du, float *dw, int cin, int cout) {
  int k = cin * cout;
  for (int e = 0; e < k; e++) {
    float r[4][3];
    for (int i = 0; i < 4; i++) {  // Gt along j
      float u0 = du[(i * 4 + 0) * k + e], u1 = du[(i * 4 + 1) * k + e];
      float u2 = du[(i * 4 + 2) * k + e], u3 = du[(i * 4 + 3) * k + e];
      r[i][0] = u0 + 0.5f * (u1 + u2), r[i][1] = 0.5f * (u1 - u2), r[i][2] = 0.5f * (u1 + u2) + u3;
    }
    for (int j = 0; j < 3; j++) {  // then along i
      float u0 = r[0][j], u1 = r[1][j], u2 = r[2][j], u3 = r[3][j];
      dw[(0 * 3 + j) * k + e] = u0 + 0.5f * (u1 + u2);
      dw[(1 * 3 + j) * k + e] = 0.5f * (u1 - u2);
      dw[(2 * 3 + j) * k + e] = 0.5f * (u1 + u2) + u3;
    }
  }
}

INLINE tiling make_tiling(int n, int h, int w, int oh, int ow, int pad_top, int pad_left) {
  tiling g = {n, h, w, (oh + 1) / 2, (ow + 1) / 2, pad_top, pad_left};
  return g;
}

// y[n, oh, ow, cout] from x[n, h, w, cin] and U from winograd_filter_transform; v and m hold one block
// (16 * tb * cin and 16 * tb * cout floats). bias ([cout], or 0 for none) and relu (0 or 1) are the fused
// convolution's epilogue.
EXPORT(winograd_conv2d)
void winograd_conv2d(const float *x, const float *u, float *y, float *v, float *m, int n, int h, int w,
                     int cin, int oh, int ow, int cout, int pad_top, int pad_left, int tb, const float *bias,
                     int relu) {
  tiling g = make_tiling(n, h, w, oh, ow, pad_top, pad_left);
  int tiles = n * g.th * g.tw;
  for (int t0 = 0; t0 < tiles; t0 += tb) {
    int nb = tiles - t0 < tb ? tiles - t0 : tb;
    input_transform(x, v, g, cin, t0, nb);
    for (int xi = 0; xi < 16; xi++)
      gemm(v + xi * nb * cin, cin, 1, u + xi * cin * cout, cout, m + xi * nb * cout, cout, nb, cout, cin, 0);
    output_transform(m, y, bias, relu, g, oh, ow, cout, t0, nb);
  }
}

// dw[3, 3, cin, cout] from x and dy; v, yh hold one block (16 * tb * cin, 16 * tb * cout floats) and du
// the 16 * cin * cout transformed gradient.
EXPORT(winograd_conv2d_backprop_filter)
void winograd_conv2d_backprop_filter(const float *x, const float *dy, float *dw, float *v, float *yh,
                                     float *du, int n, int h, int w, int cin, int oh, int ow, int cout,
                                     int pad_top, int pad_left, int tb) {
  tiling g = make_tiling(n, h, w, oh, ow, pad_top, pad_left);
  int tiles = n * g.th * g.tw;
  for (int t0 = 0; t0 < tiles; t0 += tb) {
    int nb = tiles - t0 < tb ? tiles - t0 : tb;
    input_transform(x, v, g, cin, t0, nb);
    output_grad_transform(dy, yh, g, oh, ow, cout, t0, nb);
    for (int xi = 0; xi < 16; xi++)
      gemm(v + xi * nb * cin, 1, cin, yh + xi * nb * cout, cout, du + xi * cin * cout, cout, cin, cout, nb,
           t0 > 0);
  }
  filter_grad_transform(du, dw, cin, cout);
}

// dx[n, h, w, cin] from dy and the transposed U (winograd_filter_transform with transposed = 1); yh and
// dv hold one block (16 * tb * cout, 16 * tb * cin floats).
EXPORT(winograd_conv2d_backprop_input)
void winograd_conv2d_backprop_input(const float *dy, const float *ut, float *dx, float *yh, float *dv, int n,
                                    int h, int w, int cin, int oh, int ow, int cout, int pad_top,
                                    int pad_left, int tb) {
  tiling g = make_tiling(n, h, w, oh, ow, pad_top, pad_left);
  int tiles = n * g.th * g.tw;
  __builtin_memset(dx, 0, (unsigned long)n * h * w * cin * sizeof(float));
  for (int t0 = 0; t0 < tiles; t0 += tb) {
    int nb = tiles - t0 < tb ? tiles - t0 : tb;
    output_grad_transform(dy, yh, g, oh, ow, cout, t0, nb);
    for (int xi = 0; xi < 16; xi++)
      gemm(yh + xi * nb * cout, cout, 1, ut + xi * cout * cin, cin, dv + xi * nb * cin, cin, nb, cin, cout, 0);
    input_grad_transform(dv, dx, g, cin, t0, nb);
  }
}
