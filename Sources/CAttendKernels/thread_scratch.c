// Per-thread scratch buffers: kept and grown across calls, never freed, so a kernel that needs a
// large work area on every call (HDP per head, tiled attention's packed K/V per layer) pays no
// allocation and no first-touch page faults after its first call on a thread.
#include "CAttendKernels.h"
#include <stdlib.h>

static _Thread_local struct { void *base; size_t bytes; } scratch_slots[ATTEND_SCRATCH_SLOTS];

void *attend_thread_scratch(int slot, size_t bytes) {
    if (slot < 0 || slot >= ATTEND_SCRATCH_SLOTS) return NULL;
    if (scratch_slots[slot].bytes < bytes || !scratch_slots[slot].base) {
        free(scratch_slots[slot].base);
        size_t size = bytes < 64 ? 64 : (bytes + 63) / 64 * 64;
        void *base = NULL;
        if (posix_memalign(&base, 64, size) != 0) base = NULL;
        scratch_slots[slot].base = base;
        scratch_slots[slot].bytes = base ? size : 0;
    }
    return scratch_slots[slot].base;
}
