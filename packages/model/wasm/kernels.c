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
