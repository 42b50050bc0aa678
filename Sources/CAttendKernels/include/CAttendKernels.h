// CAttendKernels — the SIMD inner loops of Attend's kernels.
//
// Every function here has a portable C body and, where it pays, an AVX2/FMA (x86-64) or NEON
// (arm64) body chosen once at run time by a CPU check, so the package builds with no compiler
// flags. The Swift module AttendKernels wraps these; each has a slow Swift twin used by tests.
// Row-major throughout; `ld*` are leading dimensions (elements between consecutive rows).
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- GEMM -------------------------------------------------------------------------------------
// C[M, N] = A[M, K] · B[K, N] (+ bias[N]).  B is first packed into panels of
// ATTEND_GEMM_NR columns, K blocked by kc (the packing's depth block, ≤ ATTEND_GEMM_KC_MAX):
// block p (rows k0 = p·kc …) holds, for each panel j, kc×NR floats (row k of the panel contiguous);
// block p starts at float k0·Npad where Npad = N rounded up to NR. Padding columns are zero.
// The cache blocking (MC, KC, NC, prefetch) is chosen per machine and passed to each product
// (KernelConfig in Swift); ATTEND_GEMM_KC/MC/NC are the defaults and the blocking the internal tile
// products (attention, quantized weights) always use.
#define ATTEND_GEMM_MR 6
#define ATTEND_GEMM_NR 16
#define ATTEND_GEMM_KC 256
#define ATTEND_GEMM_MC 240
#define ATTEND_GEMM_NC 2048
#define ATTEND_GEMM_KC_MAX 512

/// The SGEMM micro-kernel bodies. ATTEND_GEMM_AUTO runs the best this CPU has: AVX-512F (6×32
/// outputs from two panels at a time), else AVX2/FMA (6×16), else NEON (6×16), else portable;
/// ATTEND_PORTABLE=1 makes AUTO portable. The AVX2 and AVX-512 bodies give bit-identical results
/// (the same fused multiply-adds in the same k order); the others agree to rounding.
enum { ATTEND_GEMM_AUTO = 0, ATTEND_GEMM_PORTABLE = 1, ATTEND_GEMM_AVX2 = 2, ATTEND_GEMM_AVX512 = 3, ATTEND_GEMM_NEON = 4 };

/// Whether this CPU runs `body` (AUTO and PORTABLE always).
int attend_gemm_body_available(int body);

/// The name of `body` ("avx512f", "avx2-fma", "neon" or "portable"), AUTO resolved for this CPU.
const char *attend_gemm_body_name(int body);

/// Cache blocking of the SGEMM driver: mc rows of A per block (a multiple of MR), kc depth per
/// block (≤ ATTEND_GEMM_KC_MAX), nc columns of B packed at a time by attend_gemm (a multiple of NR),
/// whether the next B panel is prefetched while the current one runs, and the micro-kernel body
/// (ATTEND_GEMM_AUTO, or a forced one the CPU has).
typedef struct {
    int mc, kc, nc, prefetch, body;
} attend_gemm_blocking;

/// Floats needed to pack a K×N right-hand side (any kc).
size_t attend_gemm_packed_size(int K, int N);

/// Packs B into `packed` (attend_gemm_packed_size(K, N) floats) in depth blocks of kc.
/// transposed == 0: B is [K, N] with row stride ldb.  transposed != 0: B is given as Bᵀ = [N, K]
/// with row stride ldb (a PyTorch Linear weight [out, in]).
void attend_gemm_pack_b(int K, int N, int kc, const float *b, int ldb, int transposed, float *packed);

/// Computes rows [0, M) and the column panels [panel_begin, panel_end) of C = A·B (+ bias):
/// A: [M, K] stride lda (read in place); packed: from attend_gemm_pack_b(K, N, blocking->kc);
/// C: [M, N] stride ldc (overwritten); bias: [N] or NULL. One thread; callers split panels/rows
/// across threads.
void attend_gemm_packed(const attend_gemm_blocking *blocking, int M, int N, int K, const float *a, int lda, const float *packed,
                        int panel_begin, int panel_end, float *c, int ldc, const float *bias);

/// Like attend_gemm_packed, but B is read unpacked ([K, N] stride ldb, or given as [N, K] when
/// transposed) and packed on the fly, one kc×nc block of `blocking` at a time, into `work`
/// (min(K, kc) · min(N, nc) rounded up to NR floats).
void attend_gemm(const attend_gemm_blocking *blocking, int M, int N, int K, const float *a, int lda, const float *b, int ldb,
                 int transposed, int panel_begin, int panel_end, float *c, int ldc,
                 const float *bias, float *work);

/// C[M, N] = A[M, K] · B  (or C += A·B when accumulate), B packed by
/// attend_gemm_pack_b(K, N, ATTEND_GEMM_KC); one thread, no bias, the default blocking. The building
/// block of tiled attention.
void attend_gemm_tile(int M, int N, int K, const float *a, int lda, const float *packed, float *c,
                      int ldc, int accumulate);

// ---- Int8 GEMM (int8_gemm.c) -------------------------------------------------------------------
// C[M, N] (int32) = A[M, K] (u8) · B[K, N] (s8) with B packed into panels of ATTEND_I8_NR columns:
// Kp = K rounded up to 4; panel p (columns 16p …) is Kp·16 bytes at byte p·Kp·16, holding for each
// group g of 4 k the 16 columns' 4 bytes: byte 64g + 4j + q = B[4g + q, 16p + j]. Padding is zero.
// Ranges (the same for every body, so results are identical and exact): A in [0, 255], B in
// [−ATTEND_I8_WEIGHT_MAX − 1, ATTEND_I8_WEIGHT_MAX] = [−64, 63] — AVX2's vpmaddubsw adds u8×s8 pairs
// into saturating int16, and 2·255·64 = 32640 never saturates. K < 131 595 keeps sums in int32.
// A rows are read in groups of 4 bytes up to Kp: rows need Kp readable bytes (the quantizers zero
// the padding; B's padding is zero, so those bytes do not count).
#define ATTEND_I8_NR 16
#define ATTEND_I8_MC 192
#define ATTEND_I8_WEIGHT_MAX 63

/// Bodies of the int8 kernels: AUTO picks AVX-512 VNNI, else AVX2 (AVX2_SHIFT on Zen 1), else portable
/// (ATTEND_PORTABLE=1 in the environment: portable). A forced body must be available
/// (attend_i8_body_available). AVX2_SHIFT differs from AVX2 only in the GEMM's micro-kernel (int8_gemm.c:
/// the pairs widened by shifts instead of vpmaddwd); every other kernel runs its AVX2 body for it.
enum { ATTEND_I8_AUTO = 0, ATTEND_I8_PORTABLE = 1, ATTEND_I8_AVX2 = 2, ATTEND_I8_AVX512_VNNI = 3, ATTEND_I8_AVX2_SHIFT = 4 };

/// 1 when this CPU runs `body`.
int attend_i8_body_available(int body);

/// Name of the body `body` resolves to: "portable", "avx2", "avx2-shift" or "avx512-vnni".
const char *attend_i8_body_name(int body);

/// Bytes of a packed K×N right-hand side.
size_t attend_i8_packed_size(int K, int N);

/// Packs B given as Bᵀ = [N, K] (row stride ldb; a PyTorch Linear weight's layout) into `packed`
/// (attend_i8_packed_size bytes); column_sums[n] = Σ_k B[k, n] (may be NULL).
void attend_i8_pack_b(int K, int N, const int8_t *bt, int ldb, int8_t *packed, int32_t *column_sums);

/// Symmetric per-output-channel weight quantization of w: [N, K] (stride ldw):
/// scales[n] = max_k |w[n, k]| / 63 (1 for a zero row), q[n, k] = clamp(rint(w[n, k] / scales[n]), −63, 63).
void attend_i8_quantize_weights(int N, int K, const float *w, int ldw, int8_t *q, int ldq, float *scales);

/// Dynamic per-row asymmetric quantization of x: [rows, K] (stride ldx) into out: [rows, Kp] (stride
/// ldo ≥ Kp, padding zeroed): with lo = min(0, min x_i), hi = max(0, max x_i), scale_i = (hi − lo)/255
/// (1 for a zero row), zero_i = clamp(rint(−lo/scale_i), 0, 255),
/// out[i, k] = clamp(rint(x[i, k] · (1/scale_i)) + zero_i, 0, 255), so x ≈ scale_i · (out − zero_i).
void attend_u8_quantize_rows(int body, int rows, int K, const float *x, int ldx, uint8_t *out, int ldo,
                             float *scales, int32_t *zeros);

/// The same with one given (static, calibrated) scale and zero point for every row.
void attend_u8_quantize_rows_static(int body, int rows, int K, const float *x, int ldx, float scale, int zero,
                                    uint8_t *out, int ldo);

/// c[i, n] = Σ_k a[i, k] · B[k, n] exactly, for rows [0, M) and the columns of panels
/// [panel_begin, panel_end): a: [M, Kp] (stride lda); packed: attend_i8_pack_b(K, N); c: [M, N] (ldc).
/// One thread; callers split rows / panels across threads.
void attend_u8s8_gemm(int body, int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed,
                      int panel_begin, int panel_end, int32_t *c, int ldc);

/// The same product dequantized on the way out (ONNX Runtime's dynamic quantization does this):
/// c[i, n] = (float)(Σ_k a[i, k]·B[k, n] − row_zeros[i]·column_sums[n]) · (row_scales[i]·column_scales[n])
/// + bias[n] (bias may be NULL).
void attend_u8s8_gemm_dequantized(int body, int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed,
                                  int panel_begin, int panel_end, const float *row_scales, const int32_t *row_zeros,
                                  const float *column_scales, const int32_t *column_sums, const float *bias,
                                  float *c, int ldc);

// ---- Quantized weights (GGML block types) -----------------------------------------------------
// W: [rows, columns] row-major, each row `row_bytes` bytes of GGML blocks of `type` (ggml's type id:
// 0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 8 Q8_0, 12 Q4_K, 14 Q6_K, 30 BF16; layouts in GGMLType.swift).
// Activations x and outputs are F32; columns is a multiple of the type's block size.
/// Columns per weight block when packing for the matrix–matrix path (a multiple of ATTEND_GEMM_NR).
#define ATTEND_QUANT_NC 512

/// Values per block of `type` (0 for an unknown type).
int attend_quant_block_elements(int type);

/// out[count] = the `count` values (a multiple of the block size) stored at src.
void attend_quant_dequantize(int type, const void *src, int64_t count, float *out);

/// sums[b] = Σ_{i<32} x[32b + i] for b < columns / 32: the per-block sums the Q4_0/Q4_1 dot products
/// need (Σ_i (d·q_i + m)·x_i = d·Σ q_i·x_i + m·Σ x_i).
void attend_quant_block_sums(const float *x, int columns, float *sums);

/// y[v·ldy + r] = Σ_c W[r, c]·x[v·ldx + c] for rows r in [row_begin, row_end) and vectors v < n.
/// xsums: [n, columns/32] block sums of each vector (attend_quant_block_sums; NULL unless Q4_0/Q4_1).
/// One thread; callers split rows across threads.
void attend_quant_matvec(int type, const void *w, size_t row_bytes, int columns, int row_begin, int row_end,
                         int n, const float *x, int ldx, const float *xsums, float *y, int ldy);

/// The portable body of attend_quant_matvec, callable on any CPU (the twin the SIMD body is tested against).
void attend_quant_matvec_portable(int type, const void *w, size_t row_bytes, int columns, int row_begin,
                                  int row_end, int n, const float *x, int ldx, const float *xsums, float *y,
                                  int ldy);

/// Dequantizes W[n0 ..< n0+nc, k0 ..< k0+kc] (k0, kc multiples of the block size, kc ≤ ATTEND_GEMM_KC)
/// into `packed` in the layout of attend_gemm_pack_b(kc, nc) applied to Wᵀ: ⌈nc/NR⌉ panels of kc×NR
/// floats, padding columns zero.
void attend_quant_pack_b(int type, const void *w, size_t row_bytes, int n0, int nc, int k0, int kc, float *packed);

/// out[i, n] = Σ_c x[i, c]·W[n, c] for i < m and n in the column panels [panel_begin, panel_end) (NR
/// output columns each): x: [m, columns] stride ldx; out: [m, rows] stride ldo (overwritten). Weight
/// blocks of KC×ATTEND_QUANT_NC are dequantized once into `work` (ATTEND_GEMM_KC·ATTEND_QUANT_NC
/// floats) and multiplied with all m rows by the SGEMM micro-kernel. One thread.
void attend_quant_matmul(int type, const void *w, size_t row_bytes, int rows, int columns, int m, const float *x,
                         int ldx, int panel_begin, int panel_end, float *out, int ldo, float *work);

/// Name of the quantized dot-product body chosen for this CPU ("avx2-fma-f16c" or "portable").
const char *attend_quant_kernel_name(void);

// ---- Tiled attention --------------------------------------------------------------------------
/// Which (query i, key j) pairs of one head attend (SPEC §3). Entry (i, j) is allowed when
/// j < keys, and (not causal, or j ≤ i + causal_offset), and (no window, or i − left ≤ j ≤ i + right
/// — a negative side is unbounded — or j is global, or i is global and globals_attend_all), and
/// (no block layout, or blocks[(i / block_rows)·key_blocks + j / block_cols] ≠ 0).
typedef struct {
    int keys;
    int causal, causal_offset;
    int window_left, window_right;  // both < 0: no window
    const int *globals;             // sorted positions; may be NULL when global_count == 0
    int global_count, globals_attend_all;
    const unsigned char *blocks;    // [query_blocks, key_blocks] of 0/1, or NULL
    int block_rows, block_cols, key_blocks;
} attend_mask;

/// One attention head: q: [queries, d] (stride ldq); K and V tiles packed by
/// attend_attention_pack_tile into `packed`, or packed = NULL and k, v: [keys, d] (strides ldk,
/// ldv) read in place (few query rows); out: [queries, d] (stride ldo); lse: [queries] or NULL.
typedef struct {
    int queries, d, key_tile;
    float scale;
    const float *q;
    int ldq;
    const float *packed;
    const float *k, *v;
    int ldk, ldv;
    float *out;
    int ldo;
    float *lse;
    attend_mask mask;
    /// Table exponential for the softmax (ReBERT's LUT, SPEC §4.3), or lut_msb = NULL for the exact
    /// one: e^x ≈ lut_msb[c >> lut_lsb_bits] · lut_lsb[c & (2^lut_lsb_bits − 1)] with
    /// c = min(round(−x · 2^lut_fraction_bits), lut_max_code) (round half away from zero).
    const float *lut_msb, *lut_lsb;
    int lut_fraction_bits, lut_lsb_bits, lut_max_code;
} attend_head;

/// What query tiles computed (accumulated): key tiles visited and not skipped, score entries
/// evaluated (whole tiles) and allowed by the mask, and keys read (Σ tile widths over computed tiles).
typedef struct {
    long long tiles_total, tiles_computed, entries_computed, entries_allowed, keys_read;
} attend_tile_counts;

/// Whether the mask allows query i to attend key j (the per-entry rule above).
int attend_mask_allows(const attend_mask *mask, int i, int j);

/// Floats of packed K and V tiles for `keys` keys of head size d in tiles of key_tile keys.
size_t attend_attention_packed_size(int keys, int d, int key_tile);

/// Packs key tile `tile` (keys [tile·key_tile, …)) of k: [keys, d] and v: [keys, d] into its slot
/// of `packed` (attend_attention_packed_size floats in all).
void attend_attention_pack_tile(const float *k, int ldk, const float *v, int ldv, int keys, int d,
                                int key_tile, int tile, float *packed);

/// Exact attention for queries [i0, i1) of one head: out = softmax(scale·Q Kᵀ + mask) V and
/// lse = log Σ_j exp(scale·s_ij) over allowed j, by the online softmax over key tiles; empty tiles
/// are skipped. With column_sums (keys floats, overwritten), also these rows' Σ_i P[i, j] from the
/// probabilities the output used (each tile's e^{scale·(s − m_t)} kept and weighted at the end by
/// the later tiles' rescalings α and 1/l, as the output was; no second Q·Kᵀ pass). counts and
/// column_sums may be NULL. Without packed tiles (packed = NULL) each row's scores come from the K
/// rows in place and one softmax over the whole row (tiles classified and counted the same way).
/// scratch: (i1 − i0)·(w + d + 2 + tiles) floats, w = keys with column sums, else key_tile; without
/// packed tiles keys + d floats.
void attend_attention_query_tile(const attend_head *head, int i0, int i1, float *scratch,
                                 attend_tile_counts *counts, float *column_sums);

// ---- Hybrid dynamic pruning (HDP, SPEC §4.4) -----------------------------------------------------
/// Integer scores c = a · bᵀ: a: [m, d] int16 (row stride lda), b: [n, d] int16 (ldb), c: [m, n]
/// int32 (ldc), accumulated exactly in int32 (callers keep d · max|a| · max|b| < 2³¹).
void attend_int_scores(int m, int n, int d, const int16_t *a, int lda, const int16_t *b, int ldb,
                       int32_t *c, int ldc);

/// HDP's fixed point (FixedPoint in Swift): code = round(x·2^f) half away from zero, saturated to
/// [−2^(t−1), 2^(t−1) − 1], NaN → 0; integer = code >> f (floor), fraction = code − integer·2^f.
/// x: [rows, d] (row stride ldx); out: [rows, 2d], each row the d fraction parts then the d integer
/// parts (fraction_first = 1) or the other way round.
void attend_fixed_point_split(int rows, int d, const float *x, int ldx, int total_bits, int fraction_bits,
                              int fraction_first, int16_t *out);

/// θ per block: out[r·columns + c] = Σ|s[i, j]| over block r × c of `block × block` entries of
/// s: [m, n] int32 (row stride lds; edge blocks partial); out: [⌈m/block⌉, ⌈n/block⌉].
void attend_block_abs_sums(int m, int n, const int32_t *s, int lds, int block, int64_t *out);

/// HDP's int8 operands of S_I = Q_I·K_Iᵀ from int16 integer parts qi: [nq, d] (stride ldq) and
/// ki: [nk, d] (stride ldk): a: [nq, lda] = Q_I + offset as u8 (zero-padded from d to lda) with
/// offset = −min(0, min Q_I), bt: [nk, d] = K_I as s8, and max_product = max a · max |K_I| (the
/// largest |a·b| the product can meet; small integer parts let the GEMM sum in int16). Returns 1 when
/// every Q_I lies in [−128, 127] and every K_I in [−64, 63] (the int8 GEMM's ranges), else 0 (the
/// outputs are then not meaningful).
int attend_hdp_int8_operands(int nq, int nk, int d, const int16_t *qi, int ldq, const int16_t *ki, int ldk,
                             uint8_t *a, int lda, int8_t *bt, int32_t *offset, int32_t *max_product);

/// HDP's S_I and block importances in one pass over the int8 GEMM's tiles (SPEC §4.4 steps 1, 4):
/// s[i, j] = (a · B)[i, j] − offset · column_sums[j] in wrapping int32 (a: [M, lda] = Q_I + offset as
/// u8, B = K_Iᵀ packed by attend_i8_pack_b(K, N) with its column_sums), and theta: [⌈M/block⌉,
/// ⌈N/block⌉] = Σ|s| per block × block block (edge blocks partial), as attend_block_abs_sums of s.
/// body: ATTEND_I8_AUTO or a forced one (on AVX-512 VNNI with 2 × 2 blocks one fused kernel, its
/// epilogue in registers; otherwise the int8 GEMM's driver with a tile epilogue — on its int16-sum
/// AVX2 micro-kernel when an AVX2 body runs and (Kp/2)·max_product ≤ 32767, max_product bounding every
/// |a·b| as attend_hdp_int8_operands gives it). s = NULL: θ only, S_I not stored. Returns 0 (nothing
/// written) when the body is not available on this CPU, 2 when the int16-sum kernel ran, else 1.
int attend_hdp_importance(int body, int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed, const int32_t *column_sums,
                          int32_t offset, int32_t max_product, int32_t *s, int lds, int block, int64_t *theta);

/// Σ θ over `count` block importances as a double, summed in order (HDP's head importance θ_H).
double attend_hdp_importance_total(const int64_t *theta, size_t count);

/// HDP's row-balanced selection (SPEC §4.4 item 3) from θ: [rows, columns] int64: per block-row with
/// min / max / mean of its θ (as doubles), Θ = ρ·max + (1−ρ)·mean (ρ ≥ 0) or −ρ·min + (1+ρ)·mean,
/// kept = θ ≥ Θ, and the first maximum always kept. kept: [rows, columns] of 0/1.
void attend_hdp_row_balanced(const int64_t *theta, int rows, int columns, double rho, unsigned char *kept);

/// Counts of a block mask kept: [⌈queries/block⌉, ⌈keys/block⌉] of 0/1 (edge blocks partial): the
/// kept blocks, the (query, key) entries they cover, and the key rows some kept block needs.
void attend_hdp_kept_counts(const unsigned char *kept, int queries, int keys, int block, int64_t *blocks, int64_t *entries,
                            int64_t *key_rows);

/// flags: [count] of 0 / nonzero packed into bits, ⌈count / 64⌉ words: bit i % 64 of words[i / 64] is
/// flags[i] != 0, the bits past count zero (a block mask kept in a record, as AttendWorkload's BlockMask).
void attend_pack_flags(const unsigned char *flags, size_t count, uint64_t *words);
void attend_pack_flags_portable(const unsigned char *flags, size_t count, uint64_t *words);


/// One head of HDP attention over its kept blocks. q, k, v: [queries|keys, d] float (strides ldq,
/// ldk, ldv); out: [queries, d] (ldo). q_fi: [queries, 2d] int16, each row the fraction parts then
/// the integer parts of the query's fixed-point codes (code = integer · 2^fraction_bits + fraction,
/// 0 ≤ fraction < 2^fraction_bits); k_if: [keys, 2d], each row the integer parts then the fraction
/// parts, so that q_fi[i] · k_if[j] = Q_F·K_I + Q_I·K_F in one dot product; s_int: [queries, keys]
/// = Q_I · K_Iᵀ. kept: [query blocks, key_blocks] of 0/1 for square blocks of `block` entries.
typedef struct {
    int queries, keys, d;
    float scale;
    const float *q; int ldq;
    const float *k; int ldk;
    const float *v; int ldv;
    float *out; int ldo;
    const int16_t *q_fi, *k_if;
    int fraction_bits;
    const int32_t *s_int;
    const unsigned char *kept;
    int block, key_blocks;
    /// 1: scores (s_int·2^f + Q_F·K_Iᵀ + Q_I·K_Fᵀ) / 2^f (the fraction·fraction term dropped); 0: q·kᵀ in float.
    int approximate;
    /// 1: I-BERT's polynomial exp and a linear reciprocal (attend_ibert_exp, attend_linear_reciprocal); 0: exact.
    int polynomial;
} attend_hdp_head;

/// Rows [i0, i1) of an HDP head: for query i, the keys of the kept blocks of block-row i / block are
/// scored, softmaxed (over those keys only) and their V rows summed; V rows of pruned keys are never
/// read. scratch: attend_hdp_scratch_size(keys, d) floats. The body: AVX-512 VNNI when the CPU has
/// it and the head fits it (approximate scores, fraction_bits ≤ 8, integer parts in [−128, 127],
/// d ≤ 256), else AVX2, else portable.
void attend_hdp_rows(const attend_hdp_head *head, int i0, int i1, float *scratch);

/// Whether attend_hdp_rows over every query of `head` reads s_int (kept, s_int and out are not
/// looked at): exact scores never do; on AVX2 without the VNNI body, approximate scores whose
/// queries' codes fit int16 and whose sums fit int32 take S_I·2^f + Q_F·K_I + Q_I·K_F as one product
/// Q_code·K_I + Q_I·K_F. When 0, S_I need not be stored (attend_hdp_importance with s = NULL).
int attend_hdp_rows_reads_s_int(const attend_hdp_head *head);

/// Floats of scratch attend_hdp_rows needs for `keys` keys of dimension d (every body).
size_t attend_hdp_scratch_size(int keys, int d);

/// attend_hdp_rows with a chosen body (ATTEND_I8_AUTO, _PORTABLE, _AVX2, _AVX512_VNNI); returns 0
/// without touching the output when this CPU lacks the body or the head does not fit it.
int attend_hdp_rows_with(int body, const attend_hdp_head *head, int i0, int i1, float *scratch);

/// The portable bodies of the four HDP kernels above, callable on any CPU: the slow twins the
/// SIMD bodies are tested against.
void attend_int_scores_portable(int m, int n, int d, const int16_t *a, int lda, const int16_t *b, int ldb,
                                int32_t *c, int ldc);
void attend_block_abs_sums_portable(int m, int n, const int32_t *s, int lds, int block, int64_t *out);
void attend_fixed_point_split_portable(int rows, int d, const float *x, int ldx, int total_bits, int fraction_bits,
                                       int fraction_first, int16_t *out);
void attend_hdp_rows_portable(const attend_hdp_head *head, int i0, int i1, float *scratch);

/// I-BERT's second-order exp for x ≤ 0 (SPEC §4.4 item 6): x = −z·ln2 + r with z = ⌊−x/ln2⌋ and
/// r ∈ (−ln2, 0], e^x ≈ (0.3585·(r + 1.353)² + 0.344) · 2^−z; −∞ and NaN give 0.
float attend_ibert_exp(float x);

/// Linear reciprocal for s > 0: s = m·2^e with m ∈ [½, 1), 1/m ≈ 48/17 − 32/17·m (the
/// Newton–Raphson seed; relative error ≤ 1/17).
float attend_linear_reciprocal(float s);

// ---- Threads ----------------------------------------------------------------------------------
/// Owners of the per-thread scratch slots (attend_thread_scratch): HDP's per-head S_I, block sums,
/// row scratch, split Q and K, S_I's int8 operands and kept-block flags; tiled attention's packed
/// K and V tiles of one call.
enum {
    ATTEND_SCRATCH_HDP_SCORES, ATTEND_SCRATCH_HDP_BLOCK_SUMS, ATTEND_SCRATCH_HDP_ROWS, ATTEND_SCRATCH_HDP_QUERY_SPLIT,
    ATTEND_SCRATCH_HDP_KEY_SPLIT, ATTEND_SCRATCH_HDP_INT8_OPERANDS, ATTEND_SCRATCH_HDP_KEPT_FLAGS,
    ATTEND_SCRATCH_TILED_PACKED_KV, ATTEND_SCRATCH_SLOTS
};

/// A 64-byte aligned buffer of at least `bytes` bytes private to the calling thread, one per slot
/// (0 ..< ATTEND_SCRATCH_SLOTS), kept and grown across calls (never freed): a work area needed on
/// every call without an allocation (and its page faults) per call. Valid until the next call with
/// that slot on this thread; NULL when the slot is out of range or memory runs out.
void *attend_thread_scratch(int slot, size_t bytes);

/// A task of a parallel-for: called once per index with the caller's context.
typedef void (*attend_task_fn)(void *context, int index);

/// Runs fn(context, i) for every i in [0, count) on up to `threads` threads (the caller and
/// threads − 1 pool workers, started on first use and kept), handing indices out dynamically.
/// Returns when every task has finished. Regions from different threads run one after another;
/// a region opened from inside a task runs serially on that thread.
void attend_parallel_for(int count, int threads, attend_task_fn fn, void *context);

/// The process-wide thread count behind `Parallel.threads` (0 = not set), an atomic so that it
/// may be set while other threads run kernels that read it.
int attend_configured_threads(void);
void attend_set_configured_threads(int threads);

// ---- Row operations ---------------------------------------------------------------------------
/// y[i] = e^{x[i]} for n values (polynomial exp, relative error ≤ 2e-7 over [-87, 88]).
void attend_exp(const float *x, float *y, int n);

/// In place, for each of `rows` rows of `n` values at stride ld:
/// x ← softmax(scale · x) with max subtraction; entries equal to -INFINITY get probability 0;
/// a row with no finite entry becomes all zeros (SPEC §3 masked rows).
void attend_softmax_rows(float *x, int rows, int n, int ld, float scale);

/// One online-softmax step over a row of raw scores s[0, n) (−INFINITY = masked), FlashAttention
/// style (SPEC §4.2): with the row's running max *m (raw units, −INFINITY before any allowed key)
/// and running sum *l, sets m' = max(*m, max s), s ← exp(scale·(s − m')), *l ← *l·α + Σ s,
/// *m ← m', and returns α = exp(scale·(m − m')) (0 when m was −∞) by which the caller rescales
/// its output row. A row with no allowed key so far leaves the state alone, zeroes s, returns 1.
float attend_online_softmax_row(float *s, int n, float scale, float *m, float *l);

/// out[j] = x · rows[j] for the n rows of d values at stride ld (a few query rows' scores against
/// K rows read in place). attend_dot_rows_portable is its slow twin (another summation order).
void attend_dot_rows(const float *x, const float *rows, int ld, int n, int d, float *out);
void attend_dot_rows_portable(const float *x, const float *rows, int ld, int n, int d, float *out);

/// acc[c] += Σ_j w[j] · rows[j][c] for the n rows of d values at stride ld, rows with w[j] = 0 not
/// read (P·V over V rows in place). attend_weighted_rows_portable is its slow twin.
void attend_weighted_rows(const float *w, const float *rows, int ld, int n, int d, float *acc);
void attend_weighted_rows_portable(const float *w, const float *rows, int ld, int n, int d, float *acc);

/// The most query heads `attend_dot_code_rows`, `attend_weighted_code_rows` and
/// `attend_spatten_code_rows` take at once (a KV head's group is split into chunks of at most this).
#define ATTEND_SPATTEN_MAX_GROUP 4

/// out[h·ldout + j] = q_h · rows[j] for the m query code rows q_h = q[h·d, (h+1)·d) (int16) and the n
/// rows of d codes at stride ld (int8, or uint8 when is_unsigned), in int32 arithmetic — exact while
/// d·max|q|·max|code| < 2^31, which the caller ensures. attend_dot_code_rows_portable is its slow twin
/// (the same integers).
void attend_dot_code_rows(const int16_t *q, int m, const void *rows, int is_unsigned, int ld, int n, int d, int32_t *out, int ldout);
void attend_dot_code_rows_portable(const int16_t *q, int m, const void *rows, int is_unsigned, int ld, int n, int d, int32_t *out, int ldout);

/// acc[h·ldacc + c] += Σ_j w[h·ldw + j] · rows[j][c] for h < m over n rows of d int8 codes at stride
/// ld (each row read once for the m heads). attend_weighted_code_rows_portable is its slow twin.
void attend_weighted_code_rows(const float *w, int ldw, int m, const int8_t *rows, int ld, int n, int d, float *acc, int ldacc);
void attend_weighted_code_rows_portable(const float *w, int ldw, int m, const int8_t *rows, int ld, int n, int d, float *acc, int ldacc);

/// One KV head of a cache stored by SpAtten's progressive quantization with a scale per token
/// (SPEC §4.5): key j = (k_msb[j]·2^lsb_bits + k_lsb[j])·k_scale[j], value j = v_code[j]·v_scale[j].
typedef struct {
    const int8_t *k_msb;    // [n, d] MSB codes ⌊code / 2^lsb_bits⌋
    const uint8_t *k_lsb;   // [n, d] LSB codes code − msb·2^lsb_bits in [0, 2^lsb_bits) (unused when lsb_bits = 0)
    const float *k_scale;   // [n]
    const int8_t *v_code;   // [n, d]
    const float *v_scale;   // [n]
    int n, d, lsb_bits;
    float scale;            // the attention scale (1/√d)
    float threshold;        // requantize when the largest MSB probability is below this
} attend_spatten_codes;

/// One query row of m query heads sharing KV head kv (their codes q[h·d, (h+1)·d), int16, scales
/// q_scales[h]) over its first `allowed` keys: s_hj = scale · q̃_h·k̃_j with k̃_j the MSB-only key (the
/// dropped LSBs at the midpoint of their range, (msb·2^l + 2^(l−1))·s_j), p_h = softmax(s_h); a head
/// whose max p_h < threshold (with lsb_bits > 0) fetches the LSBs and is recomputed with the full keys
/// (requantized[h] = 1). The products are exact integers scaled once: q̃·k̃ = s_q·s_j·Σ q_code·key_code.
/// Writes out[h][0, d) = Σ_j p_hj·v_j and, when column_sums is not NULL, adds p_hj to
/// column_sums[h·n + j]. scratch: (2m + 2)·n + m·d 4-byte words. m ≤ ATTEND_SPATTEN_MAX_GROUP.
void attend_spatten_code_rows(const attend_spatten_codes *kv, const int16_t *q, const float *q_scales, int m, int allowed,
                              float *column_sums, void *scratch, float *const *out, int *requantized);

/// In place over `rows` rows of n values (stride ld):
/// x ← (x + residual − μ) / √(σ² + eps) · gamma + beta, where μ, σ² are of (x + residual) per row.
/// residual may be NULL.
void attend_layer_norm_rows(float *x, int ld, const float *residual, int ldr, int rows, int n,
                            const float *gamma, const float *beta, float eps);

/// In place: x ← x · ½(1 + erf(x/√2)) (exact-erf GELU, erf to ≤ 2e-7 absolute).
void attend_gelu(float *x, size_t n);

// ---- Integer-only kernels (int_ops.c, int_ops_avx2.c, int_attention.c; I-BERT, Kim et al. 2021, SPEC §4.6)
// C, integer arithmetic only (int32 storage, int64 intermediates; `>>` on negative values is
// arithmetic, i.e. floor division by a power of two, as GCC and Clang define it). A dyadic number
// b / 2^c stands for a real multiplier m (`IntegerOps.Dyadic`); round(x·b / 2^c) is computed as
// (x·b + 2^(c−1)) >> c, i.e. ⌊x·b/2^c + 1/2⌋, with 1 ≤ c ≤ 62 and |x·b| < 2^62.

// Every kernel takes `body`: ATTEND_I8_AUTO (the AVX-512 bodies where the int8 GEMM runs its VNNI body,
// else AVX2 on an AVX2 CPU, unless ATTEND_PORTABLE=1; else portable), ATTEND_I8_PORTABLE, ATTEND_I8_AVX2
// (the AVX2 bodies) or ATTEND_I8_AVX512_VNNI (the AVX-512 bodies; AVX2 without VNNI). All bodies give
// the same integers. `bias` (may be NULL) is added to x first, as int32 with wrap-around: the int8
// GEMM's per-column correction, folded into the pass that reads its sums.

/// One per-column dyadic requantization: out[n] = clamp(⌊(x[n] + bias[n])·mult[n]/2^shift[n] + 1/2⌋,
/// clamped to ±2^30, + offset[n] + zero, lo, hi) (bias, offset may be NULL).
typedef struct {
    const int32_t *bias, *mult, *offset;
    const int8_t *shift;
    int32_t zero, lo, hi;
} attend_int_requant;

/// out[i, n] = clamp(⌊(x[i, n] + bias[n])·mult[n]/2^shift[n] + 1/2⌋ + offset[n] + zero, lo, hi) for n < N
/// (the rounded product clamped to ±2^30 first; bias, offset may be NULL): per-column dyadic
/// requantization of int32 sums. Output u8, s8 or i32. The SIMD bodies handle every input (AVX2's u8 / s8
/// ones narrow by saturating packs when [lo, hi] lies in the type's range, else portable; AVX-512 keeps
/// the low byte, as the portable conversion does, for any range).
void attend_requantize_u8(int body, int rows, int N, const int32_t *x, int ldx, const int32_t *bias, const int32_t *mult,
                          const int8_t *shift, const int32_t *offset, int32_t zero, int32_t lo, int32_t hi, uint8_t *out, int ldo);
void attend_requantize_s8(int body, int rows, int N, const int32_t *x, int ldx, const int32_t *bias, const int32_t *mult,
                          const int8_t *shift, const int32_t *offset, int32_t zero, int32_t lo, int32_t hi, int8_t *out, int ldo);
void attend_requantize_i32(int body, int rows, int N, const int32_t *x, int ldx, const int32_t *bias, const int32_t *mult,
                           const int8_t *shift, const int32_t *offset, int32_t zero, int32_t lo, int32_t hi, int32_t *out, int ldo);

/// Integer residual add: out[i, n] = clamp(⌊(a[i, n] + bias[n])·mult_a[n]/2^shift_a[n] + 1/2⌋ +
/// ⌊(r[i, n] − zero_r)·mult_r/2^shift_r + 1/2⌋, lo, hi) — both operands brought to the output scale.
void attend_int_residual(int body, int rows, int N, const int32_t *a, int lda, const int32_t *bias, const int32_t *mult_a,
                         const int8_t *shift_a, const uint8_t *r, int ldr, int32_t zero_r, int32_t mult_r, int shift_r,
                         int32_t lo, int32_t hi, int32_t *out, int ldo);

/// Constants of the integer softmax for one input scale S (`IntegerOps.SoftmaxConstants`).
typedef struct {
    int64_t x0;        // ⌊−ln 2 / S⌋ (< 0)
    int64_t b;         // ⌊b / S⌋, b = 1.353
    int64_t c;         // ⌊c / (a·S²)⌋, a = 0.3585, c = 0.344
    int64_t mult;      // dyadic mult / 2^shift ≈ a·S²·2^15: polynomial → 2^-15 units
    int32_t shift;
} attend_int_softmax_constants;

/// Integer softmax of rows of int32 scores (real value S·x), I-BERT's Alg. 2 and SPEC §4.6:
/// x̃ = max(x − max_j x, 30·x0); z = x̃ / x0, p = x̃ − z·x0; L = (p + b)² + c;
/// e = ⌊L·mult / 2^(shift + z) + 1/2⌋ (≈ 2^15·exp(S·x̃)); factor = ⌊2^32 / Σ e⌋;
/// out = min(255, (e·factor) >> 24) (≈ 256·softmax). Only keys j < valid[i] exist (valid NULL: all
/// N); keys past it and rows with none output 0.
/// x + bias (bias: [N], may be NULL) is the row of scores. The SIMD bodies run when the constants keep
/// u < 2^24, L < 2^42, L·mult < 2^62 and e < 2^30 (every scale SoftmaxConstants accepts) and Σe > 1;
/// else that row is portable.
void attend_int_softmax(int body, int rows, int N, const int32_t *x, int ldx, const int32_t *bias, const int32_t *valid,
                        const attend_int_softmax_constants *k, uint8_t *out, int ldo);

/// Bytes of scratch attend_int_attention_head needs.
size_t attend_int_attention_scratch_size(int queries, int n, int d);

/// One head of integer attention over n keys for its first `queries` query rows: scores[i, j] =
/// Σ_e (q[i, e])·k[j, e] − 128·Σ_e k[j, e] (q u8 with zero point 128, k s8 7-bit: Q·Kᵀ as an int8 GEMM),
/// P = attend_int_softmax(scores) (u8 ≈ 256·softmax), out[i, e] = Σ_j P[i, j]·v[j, e] (int32).
/// q: [queries, d] (stride ldq; rows readable to d rounded up to 4), k, v: [n, d] s8 in [−64, 63]
/// (stride ldkv), out: [queries, d] (stride ldo); scratch: attend_int_attention_scratch_size bytes.
void attend_int_attention_head(int queries, int n, int d, const uint8_t *q, int ldq, const int8_t *k, const int8_t *v, int ldkv,
                               const attend_int_softmax_constants *softmax, int32_t *out, int ldo, void *scratch);

/// Constants of the integer GELU for one input scale S (`IntegerOps.GELUConstants`).
typedef struct {
    int64_t b;      // ⌊b / S_e⌋, b = −1.769, S_e = S/√2 (< 0)
    int64_t c;      // ⌊1 / (a·S_e²)⌋, a = −0.2888 (< 0)
    int32_t shift;  // L is shifted right by this before use (overflow headroom, I-BERT's 2^14)
    int64_t one;    // ⌊1 / S_erf⌋, S_erf = a·S_e²·2^shift (< 0)
} attend_int_gelu_constants;

/// Integer GELU, I-BERT's i-GELU: L = sgn(q)·((min(|q|, −b) + b)² + c) ≈ erf(S·q/√2)/S_erf;
/// out = q · (⌊L / 2^shift⌋ + one) ≈ GELU(S·q) / (S·S_erf/2), saturated to int32.
/// The SIMD bodies run when the constants keep L and ⌊L/2^shift⌋ + one in int32 (|b| ≤ 46340: every
/// model scale; else portable).
void attend_int_gelu(int body, size_t count, const int32_t *x, const attend_int_gelu_constants *k, int32_t *out);

/// The FFN activation in one pass per row: out[i, ·] = requantize_u8(to_hidden, i-GELU(requantize_i32(to_gelu,
/// x[i, ·]))) — the three kernels above composed (identical integers), one row kept in L1 between them.
/// x: [rows, N] int32 (stride ldx), out: [rows, N] u8 (stride ldo); to_hidden's range within [0, 255].
void attend_int_ffn_activation(int body, int rows, int N, const int32_t *x, int ldx, const attend_int_requant *to_gelu,
                               const attend_int_gelu_constants *k, const attend_int_requant *to_hidden, uint8_t *out, int ldo);

/// attend_u8s8_gemm's product with attend_int_ffn_activation as its epilogue, tile by tile (the int32
/// sums never stored): out[i, n] for rows [0, M) and the columns of panels [panel_begin, panel_end)
/// = the FFN activation of Σ_k a[i, k]·B[k, n] (to_gelu's bias: the GEMM's correction). Identical
/// integers to the product followed by the pass. out: [M, N] u8 (stride ldo).
void attend_u8s8_gemm_ffn_activation(int body, int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed,
                                     int panel_begin, int panel_end, const attend_int_requant *to_gelu,
                                     const attend_int_gelu_constants *k, const attend_int_requant *to_hidden, uint8_t *out, int ldo);

/// attend_u8s8_gemm's product requantized tile by tile: columns n < split by `first` to u8 at
/// out_first[i, n], columns n ≥ split by `second` (its column 0 = product column split) to s8 at
/// out_second[i, n − split] (the QKV product: Q, then K and V). split: a multiple of ATTEND_I8_NR.
void attend_u8s8_gemm_requantize_split(int body, int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed,
                                       int panel_begin, int panel_end, int split, const attend_int_requant *first,
                                       uint8_t *out_first, int ld_first, const attend_int_requant *second,
                                       int8_t *out_second, int ld_second);

/// ⌊√n⌋ for n ≥ 0 exactly, by I-BERT's Newton iteration (Alg. 4): x₀ = 2^⌈bits(n)/2⌉,
/// x_{i+1} = ⌊(x_i + ⌊n/x_i⌋)/2⌋ until it stops decreasing.
int64_t attend_isqrt(int64_t n);

/// Integer LayerNorm without the affine part, per row of x: [rows, N] (I-BERT's i-LayerNorm):
/// μ = ⌊(2·Σx + N) / 2N⌋ (the mean rounded half up), y = x − μ, σ' = isqrt(Σ y²),
/// factor = ⌊2^(31+e) / σ'⌋ with e = ⌊log2 σ'⌋ (I-BERT's 2^31/σ' with e more bits; rows with σ' = 0
/// output 0), out = (y·factor) >> (out_shift + e), so
/// out ≈ ((x − mean)/std) · 2^(31 − out_shift) / √N. out_shift ≥ 1 + ⌈log2 √N⌉ keeps |out| ≲ 2^30
/// (saturated to int32); inputs |x| < 2^26 keep Σ y² < 2^63 for N < 2^10.
/// The SIMD bodies run on rows with max − min < 2^31 (else that row is portable).
void attend_int_layernorm(int body, int rows, int N, const int32_t *x, int ldx, int out_shift, int32_t *out, int ldo);

/// A sublayer's end in one pass per row: s = attend_int_residual(a, r) (to [lo, hi]), y =
/// attend_int_layernorm(s), then out = requantize_u8(to_out, y) when to_out is not NULL and y written
/// to normalized: [rows, N] (stride ldn) when that is not NULL — the kernels above composed (identical
/// integers). a: [rows, N] int32, r: [rows, N] u8, out: [rows, N] u8 (stride ldo).
void attend_int_residual_layernorm(int body, int rows, int N, const int32_t *a, int lda, const int32_t *bias, const int32_t *mult_a,
                                   const int8_t *shift_a, const uint8_t *r, int ldr, int32_t zero_r, int32_t mult_r, int shift_r,
                                   int32_t lo, int32_t hi, int out_shift, const attend_int_requant *to_out, uint8_t *out, int ldo,
                                   int32_t *normalized, int ldn);

#ifdef __cplusplus
}
#endif
