// The int8 GEMM's driver (int8_gemm.c) for kernels that bring their own epilogue (hdp.c: S_I and its
// block sums in one pass). Not part of the public header.
#pragma once
#include "CAttendKernels.h"
#include <stdint.h>

/// Rows of one emitted tile: several micro-tiles of one panel, so that an epilogue loads its per-column
/// constants once for all of them (a multiple of 8, dividing ATTEND_I8_MC).
#define ATTEND_I8_EMIT_ROWS 64

/// Receives one tile of int32 sums: rows [i0, i0 + rows) × columns [n0, n0 + columns), row stride
/// ATTEND_I8_NR, rows ≤ ATTEND_I8_EMIT_ROWS. Tiles start at rows that are multiples of
/// ATTEND_I8_EMIT_ROWS and at columns that are multiples of ATTEND_I8_NR; rows < ATTEND_I8_EMIT_ROWS or
/// columns < NR only at the matrix's last rows or columns.
typedef void (*attend_i8_emit)(const int32_t *tile, int i0, int rows, int n0, int columns, void *context);

/// a · B for rows [0, M) × panels [panel_begin, panel_end) of B (attend_i8_pack_b), every tile to emit.
void attend_u8s8_multiply(int body, int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed,
                          int panel_begin, int panel_end, attend_i8_emit emit, void *context);
