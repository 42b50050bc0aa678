// The integer encoder's column-wise passes as epilogues of the int8 GEMM (BertIntegerLayer.swift):
// each tile of int32 sums is requantized, or taken through the FFN activation, while it is in L1, so
// the sums never go to memory and back. Every tile runs the kernels of int_ops.c on its rows and
// columns, so the integers are those of the GEMM followed by the separate pass.
#include "CAttendKernels.h"
#include "int8_gemm_driver.h"
#include "int_ops_rows.h"

typedef struct {
    int body;
    const int_requant *to_gelu, *to_hidden;
    const attend_int_gelu_constants *k;
    uint8_t *out;
    int ldo;
} ffn_epilogue;

static void emit_ffn_activation(const int32_t *tile, int i0, int rows, int n0, int columns, void *context) {
    const ffn_epilogue *e = context;
    int_requant g = int_requant_from_column(e->to_gelu, n0), h = int_requant_from_column(e->to_hidden, n0);
    attend_int_ffn_activation(e->body, rows, columns, tile, ATTEND_I8_NR, &g, e->k, &h, e->out + (size_t)i0 * e->ldo + n0, e->ldo);
}

void attend_u8s8_gemm_ffn_activation(int body, int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed,
                                     int panel_begin, int panel_end, const attend_int_requant *to_gelu,
                                     const attend_int_gelu_constants *k, const attend_int_requant *to_hidden, uint8_t *out, int ldo) {
    ffn_epilogue e = {body, to_gelu, to_hidden, k, out, ldo};
    attend_u8s8_multiply(body, M, N, K, a, lda, packed, panel_begin, panel_end, emit_ffn_activation, &e);
}

typedef struct {
    int body, split;
    const int_requant *first, *second;
    uint8_t *out_first;
    int8_t *out_second;
    int ld_first, ld_second;
} split_epilogue;

static void emit_requantize_split(const int32_t *tile, int i0, int rows, int n0, int columns, void *context) {
    const split_epilogue *e = context;
    if (n0 < e->split) {
        int_requant r = int_requant_from_column(e->first, n0);
        attend_requantize_u8(e->body, rows, columns, tile, ATTEND_I8_NR, r.bias, r.mult, r.shift, r.offset, r.zero, r.lo, r.hi,
                             e->out_first + (size_t)i0 * e->ld_first + n0, e->ld_first);
    } else {
        int_requant r = int_requant_from_column(e->second, n0 - e->split);
        attend_requantize_s8(e->body, rows, columns, tile, ATTEND_I8_NR, r.bias, r.mult, r.shift, r.offset, r.zero, r.lo, r.hi,
                             e->out_second + (size_t)i0 * e->ld_second + (n0 - e->split), e->ld_second);
    }
}

void attend_u8s8_gemm_requantize_split(int body, int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed,
                                       int panel_begin, int panel_end, int split, const attend_int_requant *first,
                                       uint8_t *out_first, int ld_first, const attend_int_requant *second,
                                       int8_t *out_second, int ld_second) {
    split_epilogue e = {body, split, first, second, out_first, out_second, ld_first, ld_second};
    attend_u8s8_multiply(body, M, N, K, a, lda, packed, panel_begin, panel_end, emit_requantize_split, &e);
}
