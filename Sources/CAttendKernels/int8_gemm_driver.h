// The int8 GEMM's driver (int8_gemm.c) for kernels that bring their own epilogue (hdp.c: S_I and its
// block sums in one pass). Not part of the public header.
#pragma once
#include "CAttendKernels.h"
#include <stdint.h>

/// Rows of one emitted tile: several micro-tiles of one panel, so that an epilogue loads its per-column
/// constants once for all of them (a multiple of 8, dividing ATTEND_I8_MC).
#define ATTEND_I8_EMIT_ROWS 64

/// Internal body (not in CAttendKernels.h's enum; attend_u8s8_multiply and attend_i8_body_name accept
/// it): AVX2 with int16 sums (int8_gemm.c), exact only for operands attend_i8_body_for_products admits.
#define ATTEND_I8_AVX2_NARROW 5

/// The body a · B runs on when every product |a[i, k]·B[k, n]| is at most max_product: ATTEND_I8_AVX2_NARROW
/// where `body` resolves to an AVX2 body (AVX2 or AVX2_SHIFT, not VNNI) and (Kp/2)·max_product ≤ 32767
/// (Kp = K rounded up to 4: each int16 lane then holds an exact sum), else `body` resolved.
int attend_i8_body_for_products(int body, int K, int32_t max_product);

/// Receives one tile of int32 sums: rows [i0, i0 + rows) × columns [n0, n0 + columns), row stride
/// ATTEND_I8_NR, rows ≤ ATTEND_I8_EMIT_ROWS. Tiles start at rows that are multiples of
/// ATTEND_I8_EMIT_ROWS and at columns that are multiples of ATTEND_I8_NR; rows < ATTEND_I8_EMIT_ROWS or
/// columns < NR only at the matrix's last rows or columns.
typedef void (*attend_i8_emit)(const int32_t *tile, int i0, int rows, int n0, int columns, void *context);

/// a · B for rows [0, M) × panels [panel_begin, panel_end) of B (attend_i8_pack_b), every tile to emit.
void attend_u8s8_multiply(int body, int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed,
                          int panel_begin, int panel_end, attend_i8_emit emit, void *context);
