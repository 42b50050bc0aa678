// One head of the integer-only attention (I-BERT; BertIntegerLayer.swift): scores = Q_h·K_hᵀ as an
// int8 GEMM, i-softmax, then P·V_h as an int8 GEMM, a block of queries at a time. K_h is packed
// straight from its strided rows (its rows are Bᵀ's rows) and V_h from its rows (B itself), once per
// head, into one scratch block.
#include "CAttendKernels.h"
#include <string.h>

static size_t align64(size_t bytes) { return (bytes + 63) & ~(size_t)63; }
static int round4(int v) { return (v + 3) & ~3; }

/// Queries per block: the block's int32 scores (block × n) fit 128 KiB, so that the GEMM writes them to
/// and the i-softmax reads them from L2 (a multiple of 8, the int8 GEMM's largest MR; at least 8).
static int query_block(int queries, int n) {
    int block = (int)((128u << 10) / (sizeof(int32_t) * (size_t)(n > 0 ? n : 1))) / 8 * 8;
    if (block < 8) block = 8;
    return queries < block ? queries : block;
}

size_t attend_int_attention_scratch_size(int queries, int n, int d) {
    int block = query_block(queries, n);
    return align64(attend_i8_packed_size(d, n)) + align64(attend_i8_packed_size(n, d)) + 2 * align64(sizeof(int32_t) * (size_t)n) +
           align64(sizeof(int32_t) * (size_t)block * n) + align64((size_t)block * round4(n));
}

/// Packs B: [K, N] given by its rows (b[k·ldb + j]) into the int8 GEMM's panels (attend_i8_pack_b's layout).
static void pack_b_rows(int K, int N, const int8_t *b, int ldb, int8_t *packed) {
    int kp = round4(K);
    memset(packed, 0, attend_i8_packed_size(K, N));
    for (int k = 0; k < K; k++) {
        const int8_t *row = b + (size_t)k * ldb;
        int8_t *group = packed + (size_t)(k / 4) * 4 * ATTEND_I8_NR + k % 4;  // byte k % 4 of k's group, panel 0
        for (int j0 = 0; j0 < N; j0 += ATTEND_I8_NR, group += (size_t)kp * ATTEND_I8_NR) {
            int width = N - j0 < ATTEND_I8_NR ? N - j0 : ATTEND_I8_NR;
            for (int j = 0; j < width; j++) group[4 * j] = row[j0 + j];
        }
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
    int block = query_block(queries, n);
    int32_t *scores = (int32_t *)p;  // [block, n]
    p += align64(sizeof(int32_t) * (size_t)block * n);
    uint8_t *probabilities = p;  // [block, round4(n)], padding 0
    int kpn = round4(n);
    attend_i8_pack_b(d, n, k, ldkv, packed_k, column_sums);  // B = K_hᵀ: [d, n]; its transpose K_h: [n, d] rows
    for (int j = 0; j < n; j++) bias[j] = (int32_t)(0u - 128u * (uint32_t)column_sums[j]);  // Σ (q + 128)·k − 128·Σ k
    pack_b_rows(n, d, v, ldkv, packed_v);  // B = V_h: [n, d]
    for (int i = 0; i < block; i++) memset(probabilities + (size_t)i * kpn + n, 0, (size_t)(kpn - n));
    for (int i0 = 0; i0 < queries; i0 += block) {  // query blocks: the scores stay in L2
        int rows = queries - i0 < block ? queries - i0 : block;
        attend_u8s8_gemm(ATTEND_I8_AUTO, rows, n, d, q + (size_t)i0 * ldq, ldq, packed_k, 0, (n + ATTEND_I8_NR - 1) / ATTEND_I8_NR, scores, n);
        attend_int_softmax(ATTEND_I8_AUTO, rows, n, scores, n, bias, NULL, softmax, probabilities, kpn);
        attend_u8s8_gemm(ATTEND_I8_AUTO, rows, d, n, probabilities, kpn, packed_v, 0, (d + ATTEND_I8_NR - 1) / ATTEND_I8_NR,
                         out + (size_t)i0 * ldo, ldo);
    }
}
