// Training kernels in WebAssembly SIMD that work in place on the tfjs wasm backend's heap: the module
// imports that backend's WebAssembly.Memory, so tensors are read and written where they lie, without
// copies. Pointers are byte offsets into that memory. Nothing here may use the C stack or static data:
// the imported memory belongs to tfjs (the build script and a test check the module has neither).
//
// Build: node packages/model/wasm/build.mjs (clang and lld from Debian).
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// dst[c * rows + r] = src[r * cols + c], in 4x4 SIMD tiles.
EXPORT(transpose2d)
void transpose2d(const float *src, float *dst, int rows, int cols) {
  int r4 = rows & ~3, c4 = cols & ~3;
  for (int r = 0; r < r4; r += 4) {
    for (int c = 0; c < c4; c += 4) {
      v128_t a = wasm_v128_load(src + (r + 0) * cols + c);
      v128_t b = wasm_v128_load(src + (r + 1) * cols + c);
      v128_t e = wasm_v128_load(src + (r + 2) * cols + c);
      v128_t f = wasm_v128_load(src + (r + 3) * cols + c);
      v128_t ab_lo = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5);
      v128_t ab_hi = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
      v128_t ef_lo = wasm_i32x4_shuffle(e, f, 0, 4, 1, 5);
      v128_t ef_hi = wasm_i32x4_shuffle(e, f, 2, 6, 3, 7);
      wasm_v128_store(dst + (c + 0) * rows + r, wasm_i64x2_shuffle(ab_lo, ef_lo, 0, 2));
      wasm_v128_store(dst + (c + 1) * rows + r, wasm_i64x2_shuffle(ab_lo, ef_lo, 1, 3));
      wasm_v128_store(dst + (c + 2) * rows + r, wasm_i64x2_shuffle(ab_hi, ef_hi, 0, 2));
      wasm_v128_store(dst + (c + 3) * rows + r, wasm_i64x2_shuffle(ab_hi, ef_hi, 1, 3));
    }
    for (int c = c4; c < cols; c++)
      for (int i = 0; i < 4; i++) dst[c * rows + r + i] = src[(r + i) * cols + c];
  }
  for (int r = r4; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

// Transposed NHWC im2col: colsT is [KH*KW*Cin, N*OH*OW] with rows ordered like the filter's [KH, KW, Cin]
// axes; xT holds x channel-major ([Cin, N, H, W]) so each row segment reads x sequentially.
EXPORT(im2col_t)
void im2col_t(const float *xT, float *colsT, int n, int h, int w, int cin, int oh, int ow, int kh, int kw,
              int sh, int sw, int pad_top, int pad_left) {
  int plane = h * w;
  float *d = colsT;
  for (int i = 0; i < kh; i++) {
    for (int j = 0; j < kw; j++) {
      // Output columns whose tap (i, j) lands inside the image horizontally.
      int lo = pad_left - j > 0 ? (pad_left - j + sw - 1) / sw : 0;
      int hi_num = w - 1 + pad_left - j;
      int hi = hi_num < 0 ? 0 : hi_num / sw + 1;
      if (hi > ow) hi = ow;
      for (int c = 0; c < cin; c++) {
        const float *xc = xT + c * n * plane;
        for (int b = 0; b < n; b++) {
          const float *xn = xc + b * plane;
          for (int y = 0; y < oh; y++, d += ow) {
            int ih = y * sh - pad_top + i;
            if (ih < 0 || ih >= h || hi <= lo) {
              __builtin_memset(d, 0, ow * sizeof(float));
              continue;
            }
            for (int x = 0; x < lo; x++) d[x] = 0;
            const float *s = xn + ih * w + lo * sw - pad_left + j;
            if (sw == 1) {
              __builtin_memcpy(d + lo, s, (hi - lo) * sizeof(float));
            } else {
              for (int x = lo; x < hi; x++, s += sw) d[x] = *s;
            }
            for (int x = hi; x < ow; x++) d[x] = 0;
          }
        }
      }
    }
  }
}

// out[c] = sum over rows of x[r, c], accumulated in double precision, 4 columns at a time.
EXPORT(sum_rows)
void sum_rows(const float *x, float *out, int rows, int cols) {
  int c4 = cols & ~3;
  for (int c = 0; c < c4; c += 4) {
    v128_t lo = wasm_f64x2_splat(0), hi = wasm_f64x2_splat(0);
    const float *p = x + c;
    for (int r = 0; r < rows; r++, p += cols) {
      v128_t v = wasm_v128_load(p);
      lo = wasm_f64x2_add(lo, wasm_f64x2_promote_low_f32x4(v));
      hi = wasm_f64x2_add(hi, wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(v, v, 1, 0)));
    }
    out[c] = (float)wasm_f64x2_extract_lane(lo, 0);
    out[c + 1] = (float)wasm_f64x2_extract_lane(lo, 1);
    out[c + 2] = (float)wasm_f64x2_extract_lane(hi, 0);
    out[c + 3] = (float)wasm_f64x2_extract_lane(hi, 1);
  }
  for (int c = c4; c < cols; c++) {
    double acc = 0;
    for (int r = 0; r < rows; r++) acc += x[r * cols + c];
    out[c] = (float)acc;
  }
}

// Max-pool gradient for non-overlapping, unpadded 2x2 windows of stride 2 (the usual pooling): each
// input element is in at most one window and gets dy where it is the window's first maximum (row-major,
// strict '>', as the cpu backend), else 0. Four channels at a time.
EXPORT(max_pool_grad_2x2)
void max_pool_grad_2x2(const float *x, const float *dy, float *dx, int n, int h, int w, int c, int oh,
                       int ow) {
  __builtin_memset(dx, 0, (unsigned long)n * h * w * c * sizeof(float));
  int row = w * c;
  int c4 = c & ~3;
  for (int b = 0; b < n; b++) {
    const float *xi = x + b * h * row;
    float *di = dx + b * h * row;
    for (int y = 0; y < oh; y++) {
      for (int xo = 0; xo < ow; xo++, dy += c) {
        int p00 = 2 * y * row + 2 * xo * c, p01 = p00 + c, p10 = p00 + row, p11 = p10 + c;
        for (int ch = 0; ch < c4; ch += 4) {
          v128_t v00 = wasm_v128_load(xi + p00 + ch), v01 = wasm_v128_load(xi + p01 + ch);
          v128_t v10 = wasm_v128_load(xi + p10 + ch), v11 = wasm_v128_load(xi + p11 + ch);
          v128_t g = wasm_v128_load(dy + ch);
          // Which of the four wins, as a lane mask each, keeping the first of equal maxima.
          v128_t best = v00;
          v128_t m01 = wasm_f32x4_gt(v01, best);
          best = wasm_v128_bitselect(v01, best, m01);
          v128_t m10 = wasm_f32x4_gt(v10, best);
          best = wasm_v128_bitselect(v10, best, m10);
          v128_t m11 = wasm_f32x4_gt(v11, best);
          v128_t w11 = m11;
          v128_t w10 = wasm_v128_andnot(m10, m11);
          v128_t w01 = wasm_v128_andnot(wasm_v128_andnot(m01, m10), m11);
          v128_t w00 = wasm_v128_not(wasm_v128_or(wasm_v128_or(m01, m10), m11));
          wasm_v128_store(di + p00 + ch, wasm_v128_and(g, w00));
          wasm_v128_store(di + p01 + ch, wasm_v128_and(g, w01));
          wasm_v128_store(di + p10 + ch, wasm_v128_and(g, w10));
          wasm_v128_store(di + p11 + ch, wasm_v128_and(g, w11));
        }
        for (int ch = c4; ch < c; ch++) {
          int a = p00;
          float bv = xi[p00 + ch];
          if (xi[p01 + ch] > bv) { bv = xi[p01 + ch]; a = p01; }
          if (xi[p10 + ch] > bv) { bv = xi[p10 + ch]; a = p10; }
          if (xi[p11 + ch] > bv) { bv = xi[p11 + ch]; a = p11; }
          di[a + ch] = dy[ch];
        }
      }
    }
  }
}

// Max-pool gradient for any window, stride and padding: dy goes to the first maximum of each window
// (row-major, strict '>'), summed where windows overlap.
EXPORT(max_pool_grad)
void max_pool_grad(const float *x, const float *dy, float *dx, int n, int h, int w, int c, int oh, int ow,
                   int fh, int fw, int sh, int sw, int pad_top, int pad_left) {
  __builtin_memset(dx, 0, (unsigned long)n * h * w * c * sizeof(float));
  int row = w * c;
  for (int b = 0; b < n; b++) {
    int img = b * h * row;
    for (int y = 0; y < oh; y++) {
      int h0 = y * sh - pad_top, h1 = h0 + fh;
      if (h0 < 0) h0 = 0;
      if (h1 > h) h1 = h;
      for (int xo = 0; xo < ow; xo++, dy += c) {
        int w0 = xo * sw - pad_left, w1 = w0 + fw;
        if (w0 < 0) w0 = 0;
        if (w1 > w) w1 = w;
        for (int ch = 0; ch < c; ch++) {
          float best = -__builtin_inff();
          int arg = -1;
          for (int ih = h0; ih < h1; ih++) {
            for (int iw = w0; iw < w1; iw++) {
              int p = img + ih * row + iw * c + ch;
              if (x[p] > best) {
                best = x[p];
                arg = p;
              }
            }
          }
          if (arg >= 0) dx[arg] += dy[ch];
        }
      }
    }
  }
}

// Max pooling over non-overlapping, unpadded 2x2 windows of stride 2, four channels at a time.
EXPORT(max_pool_2x2)
void max_pool_2x2(const float *x, float *y, int n, int h, int w, int c, int oh, int ow) {
  int row = w * c;
  int c4 = c & ~3;
  for (int b = 0; b < n; b++) {
    const float *xi = x + b * h * row;
    for (int yo = 0; yo < oh; yo++) {
      for (int xo = 0; xo < ow; xo++, y += c) {
        const float *p00 = xi + 2 * yo * row + 2 * xo * c, *p01 = p00 + c, *p10 = p00 + row, *p11 = p10 + c;
        for (int ch = 0; ch < c4; ch += 4) {
          v128_t a = wasm_f32x4_pmax(wasm_v128_load(p00 + ch), wasm_v128_load(p01 + ch));
          v128_t d = wasm_f32x4_pmax(wasm_v128_load(p10 + ch), wasm_v128_load(p11 + ch));
          wasm_v128_store(y + ch, wasm_f32x4_pmax(a, d));
        }
        for (int ch = c4; ch < c; ch++) {
          float a = p00[ch] > p01[ch] ? p00[ch] : p01[ch];
          float d = p10[ch] > p11[ch] ? p10[ch] : p11[ch];
          y[ch] = a > d ? a : d;
        }
      }
    }
  }
}

// Filter gradient straight from x and dy, for few input channels (the first layer's cin = 1), where
// im2col's patch matrix would have only kh*kw*cin rows and a GEMM spends its time packing dy:
// dw[i, j, ci, co] = sum over (b, y, x) of x[b, y*sh - pad_top + i, x*sw - pad_left + j, ci] * dy[b, y, x, co].
// Three taps of a filter row times NV vectors of four output channels are accumulated in registers while
// dy streams by once per (row, channel, tap triple, channel block). cout must be a multiple of 4.
static inline __attribute__((always_inline)) void bpf_block(const float *x, const float *dy, float *dw,
                                                            int n, int h, int w, int cin, int oh, int ow,
                                                            int cout, int kw, int sh, int sw, int pad_top,
                                                            int pad_left, int i, int ci, int j0, int co0,
                                                            const int NV) {
  v128_t acc[3][4];
  for (int t = 0; t < 3; t++)
    for (int v = 0; v < NV; v++) acc[t][v] = wasm_f32x4_splat(0);
  int taps = kw - j0 < 3 ? kw - j0 : 3;
  for (int b = 0; b < n; b++) {
    for (int y = 0; y < oh; y++) {
      int ih = y * sh - pad_top + i;
      if (ih < 0 || ih >= h) continue;
      const float *xr = x + ((b * h + ih) * w) * cin + ci;
      const float *g = dy + ((b * oh + y) * ow) * cout + co0;
      for (int xo = 0; xo < ow; xo++, g += cout) {
        int iw = xo * sw - pad_left + j0;
        float x0 = (unsigned)iw < (unsigned)w ? xr[iw * cin] : 0.f;
        float x1 = taps > 1 && (unsigned)(iw + 1) < (unsigned)w ? xr[(iw + 1) * cin] : 0.f;
        float x2 = taps > 2 && (unsigned)(iw + 2) < (unsigned)w ? xr[(iw + 2) * cin] : 0.f;
        v128_t s0 = wasm_f32x4_splat(x0), s1 = wasm_f32x4_splat(x1), s2 = wasm_f32x4_splat(x2);
        for (int v = 0; v < NV; v++) {
          v128_t d = wasm_v128_load(g + 4 * v);
          acc[0][v] = wasm_f32x4_add(acc[0][v], wasm_f32x4_mul(s0, d));
          acc[1][v] = wasm_f32x4_add(acc[1][v], wasm_f32x4_mul(s1, d));
          acc[2][v] = wasm_f32x4_add(acc[2][v], wasm_f32x4_mul(s2, d));
        }
      }
    }
  }
#pragma clang loop unroll(full)
  for (int t = 0; t < 3; t++)
    if (t < taps)
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++)
        wasm_v128_store(dw + ((i * kw + j0 + t) * cin + ci) * cout + co0 + 4 * v, acc[t][v]);
}

EXPORT(conv2d_backprop_filter_direct)
void conv2d_backprop_filter_direct(const float *x, const float *dy, float *dw, int n, int h, int w, int cin,
                                   int oh, int ow, int cout, int kh, int kw, int sh, int sw, int pad_top,
                                   int pad_left) {
  int c8 = cout & ~7;
  for (int i = 0; i < kh; i++) {
    for (int ci = 0; ci < cin; ci++) {
      for (int j0 = 0; j0 < kw; j0 += 3) {
        int co0 = 0;
        for (; co0 < c8; co0 += 8)
          bpf_block(x, dy, dw, n, h, w, cin, oh, ow, cout, kw, sh, sw, pad_top, pad_left, i, ci, j0, co0, 2);
        for (; co0 < cout; co0 += 4)
          bpf_block(x, dy, dw, n, h, w, cin, oh, ow, cout, kw, sh, sw, pad_top, pad_left, i, ci, j0, co0, 1);
      }
    }
  }
}

// out[r, c] = a[r, c] + bias[c]: the bias add of dense and conv layers, which the stock kernel runs
// through its general broadcasting loop. Four columns at a time.
EXPORT(add_bias)
void add_bias(const float *a, const float *bias, float *out, int rows, int cols) {
  int c4 = cols & ~3;
  for (int r = 0; r < rows; r++, a += cols, out += cols) {
    for (int c = 0; c < c4; c += 4)
      wasm_v128_store(out + c, wasm_f32x4_add(wasm_v128_load(a + c), wasm_v128_load(bias + c)));
    for (int c = c4; c < cols; c++) out[c] = a[c] + bias[c];
  }
}

// Input gradient from the patch-gradient matrix (col2im): cols is [N*OH*OW, KH*KW*C] with columns ordered
// like the filter's [KH, KW, Cin] axes; each row is added back onto the input pixels its patch covered,
// in a fixed order (output pixel, then tap). Taps that fell on padding are dropped. Four channels at a time.
EXPORT(col2im)
void col2im(const float *cols, float *dx, int n, int h, int w, int c, int oh, int ow, int kh, int kw, int sh,
            int sw, int pad_top, int pad_left) {
  __builtin_memset(dx, 0, (unsigned long)n * h * w * c * sizeof(float));
  int c4 = c & ~3;
  const float *s = cols;
  for (int b = 0; b < n; b++) {
    float *img = dx + b * h * w * c;
    for (int y = 0; y < oh; y++) {
      for (int xo = 0; xo < ow; xo++) {
        for (int i = 0; i < kh; i++) {
          int ih = y * sh - pad_top + i;
          if (ih < 0 || ih >= h) {
            s += kw * c;
            continue;
          }
          for (int j = 0; j < kw; j++, s += c) {
            int iw = xo * sw - pad_left + j;
            if (iw < 0 || iw >= w) continue;
            float *d = img + (ih * w + iw) * c;
            for (int ch = 0; ch < c4; ch += 4)
              wasm_v128_store(d + ch, wasm_f32x4_add(wasm_v128_load(d + ch), wasm_v128_load(s + ch)));
            for (int ch = c4; ch < c; ch++) d[ch] += s[ch];
          }
        }
      }
    }
  }
}

// One Adam step over n weights, in float32 like the optimisers of tfjs and PyTorch. `step` is the learning rate
// times the first moment's bias correction; `c2` is the second moment's; each weight is first multiplied by `keep`
// (1 - learning rate x decoupled weight decay, as AdamW; exactly 1 without decay). Called on a private memory
// (the trainer's flat weight vectors), not on the tfjs heap.
EXPORT(adam_step)
void adam_step(float *w, const float *g, float *m, float *v, int n, float b1, float b2, float step, float c2,
               float eps, float keep) {
  int n4 = n & ~3;
  v128_t vb1 = wasm_f32x4_splat(b1), va1 = wasm_f32x4_splat(1.0f - b1);
  v128_t vb2 = wasm_f32x4_splat(b2), va2 = wasm_f32x4_splat(1.0f - b2);
  v128_t vstep = wasm_f32x4_splat(step), vc2 = wasm_f32x4_splat(c2), veps = wasm_f32x4_splat(eps);
  v128_t vkeep = wasm_f32x4_splat(keep);
  for (int j = 0; j < n4; j += 4) {
    v128_t gj = wasm_v128_load(g + j);
    v128_t mj = wasm_f32x4_add(wasm_f32x4_mul(vb1, wasm_v128_load(m + j)), wasm_f32x4_mul(va1, gj));
    v128_t vj = wasm_f32x4_add(wasm_f32x4_mul(vb2, wasm_v128_load(v + j)), wasm_f32x4_mul(va2, wasm_f32x4_mul(gj, gj)));
    wasm_v128_store(m + j, mj);
    wasm_v128_store(v + j, vj);
    v128_t denom = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_mul(vj, vc2)), veps);
    v128_t wj = wasm_f32x4_mul(wasm_v128_load(w + j), vkeep);
    wasm_v128_store(w + j, wasm_f32x4_sub(wj, wasm_f32x4_div(wasm_f32x4_mul(vstep, mj), denom)));
  }
  for (int j = n4; j < n; j++) {
    float gj = g[j];
    float mj = b1 * m[j] + (1.0f - b1) * gj;
    float vj = b2 * v[j] + (1.0f - b2) * (gj * gj);
    m[j] = mj;
    v[j] = vj;
    w[j] = w[j] * keep - (step * mj) / (__builtin_sqrtf(vj * c2) + eps);
  }
}


// The gradient of relu in one pass: dx = dy * (x > 0 ? 1 : 0), the same products as tfjs's mul(dy, step(x)).
EXPORT(relu_grad)
void relu_grad(const float *dy, const float *x, float *dx, int n) {
  int n4 = n & ~3;
  v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  for (int i = 0; i < n4; i += 4) {
    v128_t on = wasm_v128_and(wasm_f32x4_gt(wasm_v128_load(x + i), zero), one);
    wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(dy + i), on));
  }
  for (int i = n4; i < n; i++) dx[i] = dy[i] * (x[i] > 0.0f ? 1.0f : 0.0f);
}
