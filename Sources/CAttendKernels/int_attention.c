// One head of the integer-only attention (I-BERT; BertIntegerLayer.swift): scores = Q_h·K_hᵀ as an
// int8 GEMM, i-softmax, then P·V_h as an int8 GEMM. K_h is packed straight from its strided rows
// (its rows are Bᵀ's rows) and V_h from its rows (B itself), into one scratch block per head.
#include "CAttendKernels.h"
#include <string.h>

static size_t align64(size_t bytes) { return (bytes + 63) & ~(size_t)63; }
static int round4(int v) { return (v + 3) & ~3; }

size_t attend_int_attention_scratch_size(int queries, int n, int d) {
    return align64(attend_i8_packed_size(d, n)) + align64(attend_i8_packed_size(n, d)) + 2 * align64(sizeof(int32_t) * (size_t)n) +
           align64(sizeof(int32_t) * (size_t)queries * n) + align64((size_t)queries * round4(n));
}

/// Packs B: [K, N] given by its rows (b[k·ldb + j]) into the int8 GEMM's panels (attend_i8_pack_b's layout).
static void pack_b_rows(int K, int N, const int8_t *b, int ldb, int8_t *packed) {
    int kp = round4(K);
    memset(packed, 0, attend_i8_packed_size(K, N));
    for (int k = 0; k < K; k++) {
        const int8_t *row = b + (size_t)k * ldb;
        for (int j = 0; j < N; j++) packed[(size_t)(j / ATTEND_I8_NR) * kp * ATTEND_I8_NR + (size_t)(k / 4) * 4 * ATTEND_I8_NR + 4 * (j % ATTEND_I8_NR) + k % 4] = row[j];
    }
}

void attend_int_attention_head(int queries, int n, int d, const uint8_t *q, int ldq, const int8_t *k, const int8_t *v, int ldkv,
                               const attend_int_softmax_constants *softmax, int32_t *out, int ldo, void *scratch) {
    unsigned char *p = scratch;
    int8_t *packed_k = (int8_t *)p;
    p += align64(attend_i8_packed_size(d, n));
    int8_t *packed_v = (int8_t *)p;
    p += align64(attend_i8_packed_size(n, d));
    int32_t *column_sums = (int32_t *)p;
    p += align64(sizeof(int32_t) * (size_t)n);
    int32_t *bias = (int32_t *)p;
    p += align64(sizeof(int32_t) * (size_t)n);
    int32_t *scores = (int32_t *)p;  // [queries, n]
    p += align64(sizeof(int32_t) * (size_t)queries * n);
    uint8_t *probabilities = p;  // [queries, round4(n)], padding 0
    int kpn = round4(n);
    attend_i8_pack_b(d, n, k, ldkv, packed_k, column_sums);  // B = K_hᵀ: [d, n]; its transpose K_h: [n, d] rows
    for (int j = 0; j < n; j++) bias[j] = (int32_t)(0u - 128u * (uint32_t)column_sums[j]);  // Σ (q + 128)·k − 128·Σ k
    attend_u8s8_gemm(ATTEND_I8_AUTO, queries, n, d, q, ldq, packed_k, 0, (n + ATTEND_I8_NR - 1) / ATTEND_I8_NR, scores, n);
    attend_int_softmax(ATTEND_I8_AUTO, queries, n, scores, n, bias, NULL, softmax, probabilities, kpn);
    for (int i = 0; i < queries; i++) memset(probabilities + (size_t)i * kpn + n, 0, (size_t)(kpn - n));
    pack_b_rows(n, d, v, ldkv, packed_v);  // B = V_h: [n, d]
    attend_u8s8_gemm(ATTEND_I8_AUTO, queries, d, n, probabilities, kpn, packed_v, 0, (d + ATTEND_I8_NR - 1) / ATTEND_I8_NR, out, ldo);
}
