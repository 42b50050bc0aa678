// Tiled exact attention (FlashAttention's online softmax, SPEC §4.2) with the mask algebra of
// SPEC §3 evaluated per tile: a (query tile × key tile) pair is classified as empty (skipped before
// any arithmetic), full (no per-entry test) or partial (masked entries set to −∞). Scores and the
// P·V product run on the SGEMM micro-kernel over K and V tiles packed once per head; no N×N buffer
// exists anywhere.
#include "CAttendKernels.h"
#include <math.h>
#include <string.h>

enum { EMPTY = 0, FULL = 1, PARTIAL = 2 };

static inline int min_int(int a, int b) { return a < b ? a : b; }
static inline int max_int(int a, int b) { return a > b ? a : b; }
static inline int round16(int x) { return (x + 15) / 16 * 16; }

/// True when some global position lies in [lo, hi).
static int has_global_in(const attend_mask *mask, int lo, int hi) {
    // globals are sorted: binary search for the first ≥ lo.
    int a = 0, b = mask->global_count;
    while (a < b) {
        int mid = (a + b) / 2;
        if (mask->globals[mid] < lo) a = mid + 1; else b = mid;
    }
    return a < mask->global_count && mask->globals[a] < hi;
}

static int is_global(const attend_mask *mask, int position) { return has_global_in(mask, position, position + 1); }

int attend_mask_allows(const attend_mask *mask, int i, int j) {
    if (j < 0 || j >= mask->keys) return 0;
    if (mask->causal && j > i + mask->causal_offset) return 0;
    if (mask->window_left >= 0 || mask->window_right >= 0) {
        int in_band = (mask->window_left < 0 || j >= i - mask->window_left) &&
                      (mask->window_right < 0 || j <= i + mask->window_right);
        if (!in_band && !is_global(mask, j) && !(mask->globals_attend_all && is_global(mask, i))) return 0;
    }
    if (mask->blocks &&
        !mask->blocks[(size_t)(i / mask->block_rows) * mask->key_blocks + j / mask->block_cols])
        return 0;
    return 1;
}

/// Classifies queries [i0, i1) × keys [j0, j1) (keys already clipped to mask->keys).
static int classify(const attend_mask *mask, int i0, int i1, int j0, int j1) {
    int state = FULL;
    if (mask->causal) {
        if (j0 > i1 - 1 + mask->causal_offset) return EMPTY;
        if (j1 - 1 > i0 + mask->causal_offset) state = PARTIAL;
    }
    if (mask->window_left >= 0 || mask->window_right >= 0) {
        int L = mask->window_left, R = mask->window_right;
        int all_in = (L < 0 || j0 >= i1 - 1 - L) && (R < 0 || j1 - 1 <= i0 + R);
        int none_in = (L >= 0 && j1 - 1 < i0 - L) || (R >= 0 && j0 > i1 - 1 + R);
        if (!all_in) {
            int rescued = mask->global_count > 0 &&
                          (has_global_in(mask, j0, j1) || (mask->globals_attend_all && has_global_in(mask, i0, i1)));
            if (none_in && !rescued) return EMPTY;
            state = PARTIAL;
        }
    }
    if (mask->blocks) {
        int kept = 0, total = 0;
        for (int qb = i0 / mask->block_rows; qb <= (i1 - 1) / mask->block_rows; qb++)
            for (int kb = j0 / mask->block_cols; kb <= (j1 - 1) / mask->block_cols; kb++) {
                kept += mask->blocks[(size_t)qb * mask->key_blocks + kb] != 0;
                total++;
            }
        if (kept == 0) return EMPTY;
        if (kept < total) state = PARTIAL;
    }
    return state;
}

size_t attend_attention_packed_size(int keys, int d, int key_tile) {
    int tiles = (keys + key_tile - 1) / key_tile;
    return (size_t)tiles * ((size_t)d * round16(key_tile) + (size_t)key_tile * round16(d));
}

void attend_attention_pack_tile(const float *k, int ldk, const float *v, int ldv, int keys, int d,
                                int key_tile, int tile, float *packed) {
    int j0 = tile * key_tile, nc = min_int(key_tile, keys - j0);
    size_t stride = (size_t)d * round16(key_tile) + (size_t)key_tile * round16(d);
    float *pk = packed + (size_t)tile * stride, *pv = pk + (size_t)d * round16(key_tile);
    attend_gemm_pack_b(d, nc, ATTEND_GEMM_KC, k + (size_t)j0 * ldk, ldk, 1, pk);  // Kᵀ tile: [d, nc]
    attend_gemm_pack_b(nc, d, ATTEND_GEMM_KC, v + (size_t)j0 * ldv, ldv, 0, pv);  // V tile: [nc, d]
}

/// Masks row i of a partial tile (keys [j0, j0+nc) in s[0..nc)) with the rule of attend_mask_allows,
/// evaluated as intervals: the causal limit and the band bound a run of keys, the sorted globals are
/// walked once, and only a block layout is tested per entry. Masked entries become −∞; returns the
/// number of allowed entries.
static int mask_row(const attend_mask *mask, int i, int j0, int nc, float *s) {
    int end = j0 + nc;
    int causal_end = mask->causal ? min_int(end, i + mask->causal_offset + 1) : end;  // keys < causal_end pass
    int lo = j0, hi = causal_end;  // the band within the causal limit
    int windowed = mask->window_left >= 0 || mask->window_right >= 0;
    if (windowed && !(mask->globals_attend_all && is_global(mask, i))) {
        if (mask->window_left >= 0) lo = max_int(lo, i - mask->window_left);
        if (mask->window_right >= 0) hi = min_int(hi, i + mask->window_right + 1);
    }
    int g = 0, globals = windowed ? mask->global_count : 0;  // globals[g]: the first global ≥ the key tested
    int allowed = 0;
    for (int c = 0; c < nc; c++) {
        int j = j0 + c, ok = j >= lo && j < hi;
        while (g < globals && mask->globals[g] < j) g++;
        if (g < globals && mask->globals[g] == j) ok = ok || j < causal_end;
        if (ok && mask->blocks)
            ok = mask->blocks[(size_t)(i / mask->block_rows) * mask->key_blocks + j / mask->block_cols] != 0;
        if (ok) allowed++; else s[c] = -INFINITY;
    }
    return allowed;
}

/// Scores of queries [i0, i0+m) against key tile `tile` into s (stride ld): s = Q Kᵀ, masked
/// entries −∞ when the tile is partial. Returns the number of allowed entries.
static long long tile_scores(const attend_head *head, int i0, int m, int tile, int state, float *s, int ld) {
    int j0 = tile * head->key_tile, nc = min_int(head->key_tile, head->mask.keys - j0);
    size_t stride = (size_t)head->d * round16(head->key_tile) + (size_t)head->key_tile * round16(head->d);
    attend_gemm_tile(m, nc, head->d, head->q + (size_t)i0 * head->ldq, head->ldq,
                     head->packed + (size_t)tile * stride, s, ld, 0);
    if (state != PARTIAL) return (long long)m * nc;
    long long allowed = 0;
    for (int r = 0; r < m; r++) allowed += mask_row(&head->mask, i0 + r, j0, nc, s + (size_t)r * ld);
    return allowed;
}

/// The table exponential of `head` (see attend_head); −∞ and NaN give 0.
static inline float lut_exp(const attend_head *head, float x) {
    if (!(x > -INFINITY)) return 0;
    float scaled = roundf(-fminf(x, 0) * (float)(1 << head->lut_fraction_bits));
    int code = scaled >= (float)head->lut_max_code ? head->lut_max_code : (int)scaled;
    return head->lut_msb[code >> head->lut_lsb_bits] * head->lut_lsb[code & ((1 << head->lut_lsb_bits) - 1)];
}

/// attend_online_softmax_row with the table exponential (for α too, as a LUT datapath would).
static float online_softmax_row_lut(const attend_head *head, float *s, int n, float *m, float *l) {
    float mx = -INFINITY;
    for (int i = 0; i < n; i++) mx = s[i] > mx ? s[i] : mx;
    float m_new = mx > *m ? mx : *m;
    if (m_new == -INFINITY) {
        for (int i = 0; i < n; i++) s[i] = 0;
        return 1.0f;
    }
    float sum = 0;
    for (int i = 0; i < n; i++) { s[i] = lut_exp(head, (s[i] - m_new) * head->scale); sum += s[i]; }
    float alpha = *m == -INFINITY ? 0.0f : lut_exp(head, (*m - m_new) * head->scale);
    *l = *l * alpha + sum;
    *m = m_new;
    return alpha;
}

/// attend_attention_query_tile without packed tiles (a decode step's few rows): per row, the scores
/// of every non-empty key tile straight from the K rows, one softmax over the row, then Σ_j p_j v_j
/// over the V rows with p_j ≠ 0. Tiles are classified over [i0, i1) and counted as the tiled path does.
static void query_rows_in_place(const attend_head *head, int i0, int i1, float *scratch,
                                attend_tile_counts *counts, float *column_sums) {
    int m = i1 - i0, d = head->d, bc = head->key_tile, keys = head->mask.keys;
    int tiles = (keys + bc - 1) / bc;
    float *s = scratch, *o = s + keys;  // s: [keys] one row's scores, then probabilities; o: [d]
    if (column_sums) memset(column_sums, 0, sizeof(float) * (size_t)keys);
    for (int r = 0; r < m; r++) {
        int i = i0 + r;
        for (int t = 0; t < tiles; t++) {
            int j0 = t * bc, nc = min_int(bc, keys - j0);
            int state = classify(&head->mask, i0, i1, j0, j0 + nc);
            if (counts && r == 0) counts->tiles_total++;
            if (state == EMPTY) {
                for (int c = 0; c < nc; c++) s[j0 + c] = -INFINITY;
                continue;
            }
            attend_dot_rows(head->q + (size_t)i * head->ldq, head->k + (size_t)j0 * head->ldk, head->ldk, nc, d, s + j0);
            int allowed = state == PARTIAL ? mask_row(&head->mask, i, j0, nc, s + j0) : nc;
            if (counts) {
                if (r == 0) { counts->tiles_computed++; counts->entries_computed += (long long)m * nc; counts->keys_read += nc; }
                counts->entries_allowed += allowed;
            }
        }
        float row_max = -INFINITY, row_sum = 0;
        if (head->lut_msb) online_softmax_row_lut(head, s, keys, &row_max, &row_sum);
        else attend_online_softmax_row(s, keys, head->scale, &row_max, &row_sum);
        float *out = head->out + (size_t)i * head->ldo;
        if (row_sum == 0) {  // no allowed key: zeros and LSE −∞ (SPEC §3)
            memset(out, 0, sizeof(float) * (size_t)d);
            if (head->lse) head->lse[i] = -INFINITY;
            continue;
        }
        memset(o, 0, sizeof(float) * (size_t)d);
        attend_weighted_rows(s, head->v, head->ldv, keys, d, o);
        float inv = 1.0f / row_sum;
        for (int c = 0; c < d; c++) out[c] = o[c] * inv;
        if (head->lse) head->lse[i] = head->scale * row_max + logf(row_sum);
        if (column_sums)
            for (int j = 0; j < keys; j++) column_sums[j] += s[j] * inv;
    }
}

void attend_attention_query_tile(const attend_head *head, int i0, int i1, float *scratch,
                                 attend_tile_counts *counts, float *column_sums) {
    if (!head->packed) { query_rows_in_place(head, i0, i1, scratch, counts, column_sums); return; }
    int m = i1 - i0, d = head->d, bc = head->key_tile, keys = head->mask.keys;
    int tiles = (keys + bc - 1) / bc;
    // With column sums every tile's probabilities stay in a [m, keys] row block; otherwise one tile's.
    int ld = column_sums ? keys : bc;
    float *s = scratch;                            // [m, ld] scores, then probabilities e^{scale·(s − m_t)}
    float *o = s + (size_t)m * ld;                 // [m, d] output accumulator
    float *row_max = o + (size_t)m * d, *row_sum = row_max + m;
    float *alphas = row_sum + m;                   // [m, tiles] each row's rescaling α_t at tile t
    memset(o, 0, sizeof(float) * (size_t)m * d);
    for (int r = 0; r < m; r++) { row_max[r] = -INFINITY; row_sum[r] = 0; }
    size_t stride = (size_t)d * round16(bc) + (size_t)bc * round16(d);
    for (int t = 0; t < tiles; t++) {
        int j0 = t * bc, nc = min_int(bc, keys - j0);
        float *st = column_sums ? s + j0 : s;      // this tile's [m, nc] block (stride ld)
        int state = classify(&head->mask, i0, i1, j0, j0 + nc);
        if (counts) counts->tiles_total++;
        if (state == EMPTY) {
            if (column_sums)
                for (int r = 0; r < m; r++) { memset(st + (size_t)r * ld, 0, sizeof(float) * (size_t)nc); alphas[(size_t)r * tiles + t] = 1; }
            continue;
        }
        long long allowed = tile_scores(head, i0, m, t, state, st, ld);
        if (counts) {
            counts->tiles_computed++;
            counts->entries_computed += (long long)m * nc;
            counts->entries_allowed += allowed;
            counts->keys_read += nc;
        }
        for (int r = 0; r < m; r++) {
            float *row = st + (size_t)r * ld;
            float alpha = head->lut_msb ? online_softmax_row_lut(head, row, nc, &row_max[r], &row_sum[r])
                                        : attend_online_softmax_row(row, nc, head->scale, &row_max[r], &row_sum[r]);
            if (alpha != 1.0f)
                for (int c = 0; c < d; c++) o[(size_t)r * d + c] *= alpha;
            if (column_sums) alphas[(size_t)r * tiles + t] = alpha;
        }
        const float *pv = head->packed + (size_t)t * stride + (size_t)d * round16(bc);
        attend_gemm_tile(m, d, nc, st, ld, pv, o, d, 1);
    }
    for (int r = 0; r < m; r++) {
        float *out = head->out + (size_t)(i0 + r) * head->ldo;
        if (row_sum[r] == 0) {  // no allowed key: zeros and LSE −∞ (SPEC §3)
            memset(out, 0, sizeof(float) * (size_t)d);
            if (head->lse) head->lse[i0 + r] = -INFINITY;
            continue;
        }
        float inv = 1.0f / row_sum[r];
        for (int c = 0; c < d; c++) out[c] = o[(size_t)r * d + c] * inv;
        if (head->lse) head->lse[i0 + r] = head->scale * row_max[r] + logf(row_sum[r]);
    }
    if (!column_sums) return;
    // Tile t's e_t = e^{scale·(s − m_t)} entered the output scaled by α_{t+1}·…·α_{T−1} and then 1/l:
    // those are its probabilities (with either exponential), summed over this task's rows.
    memset(column_sums, 0, sizeof(float) * (size_t)keys);
    for (int r = 0; r < m; r++) {
        if (row_sum[r] == 0) continue;
        const float *p = s + (size_t)r * ld;
        float later = 1.0f / row_sum[r];  // Π_{u > t} α_u / l
        for (int t = tiles - 1; t >= 0; t--) {
            int j0 = t * bc, nc = min_int(bc, keys - j0);
            for (int c = j0; c < j0 + nc; c++) column_sums[c] += p[c] * later;
            later *= alphas[(size_t)r * tiles + t];
        }
    }
}
