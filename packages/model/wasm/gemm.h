// C[m, n] (+)= sum_k A(m, k) B[k, n], with A(m, k) = a[m * ars + k * aks] (a transposed A is free) and B, C
// row-major. Shared by the Winograd kernels and the dense layers' forward products.
#ifndef FMNIST_GEMM_H
#define FMNIST_GEMM_H
void gemm(const float *a, int ars, int aks, const float *b, int ldb, float *c, int ldc, int m, int n, int k,
          int accumulate);
#endif
