// A small persistent thread pool for parallel-for (SPEC §8: one pool owns the cores).
//
// Workers are created on first use and kept. Between parallel regions each worker spins briefly
// (a forward pass issues regions back to back, and waking a sleeping thread costs tens of
// microseconds), then sleeps on a condition variable. Task indices are handed out dynamically from
// one atomic word that also carries the region's generation, so a late worker can never take an
// index of a region it did not read the settings of (see attend_parallel_for).
#include "CAttendKernels.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

enum { MAX_WORKERS = 255, SPIN_ROUNDS = 1 << 16 };
#define INDEX_BITS 32
#define CLOSED 0xFFFFFFFFu  // index value of a finished region: no task can be taken

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

// The current region. Settings are written only while the index word is CLOSED, before the
// store that opens the region; a worker that reads them late (mixing two regions) cannot take a
// task, because the index word then names another generation or is CLOSED. Relaxed atomics make
// those late reads well defined.
static struct {
    _Atomic(attend_task_fn) fn;
    _Atomic(void *) context;
    _Atomic uint32_t count;
    _Atomic int helpers;  // workers 1...helpers take part (the caller is worker 0)
} region;
static _Atomic uint64_t next_task = CLOSED;  // generation << 32 | next index
static _Atomic uint32_t finished;           // tasks of the current region completed
static _Atomic int sleepers;
static int workers_started;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;    // guards sleeping and starting
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;  // one region at a time
static _Thread_local int inside_region;

/// Takes and runs tasks of generation `generation` until none is left; returns how many it ran.
static uint32_t run_tasks(uint32_t generation, attend_task_fn fn, void *context, uint32_t count) {
    uint32_t done = 0;
    uint64_t word = atomic_load_explicit(&next_task, memory_order_acquire);
    for (;;) {
        uint32_t index = (uint32_t)word;
        if ((uint32_t)(word >> INDEX_BITS) != generation || index >= count) return done;
        if (atomic_compare_exchange_weak_explicit(&next_task, &word, word + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            fn(context, (int)index);
            done++;
            atomic_fetch_add_explicit(&finished, 1, memory_order_release);
            word = atomic_load_explicit(&next_task, memory_order_acquire);
        }
    }
}

static void *worker_main(void *argument) {
    int id = (int)(intptr_t)argument;
    inside_region = 1;  // tasks run on workers never open nested regions
    uint32_t seen = (uint32_t)(atomic_load(&next_task) >> INDEX_BITS);
    for (;;) {
        uint64_t word = atomic_load_explicit(&next_task, memory_order_acquire);
        for (int spin = 0; (uint32_t)(word >> INDEX_BITS) == seen && spin < SPIN_ROUNDS; spin++) {
            cpu_relax();
            word = atomic_load_explicit(&next_task, memory_order_acquire);
        }
        if ((uint32_t)(word >> INDEX_BITS) == seen) {
            pthread_mutex_lock(&pool_lock);
            atomic_fetch_add(&sleepers, 1);
            while ((uint32_t)((word = atomic_load(&next_task)) >> INDEX_BITS) == seen)
                pthread_cond_wait(&pool_wake, &pool_lock);
            atomic_fetch_sub(&sleepers, 1);
            pthread_mutex_unlock(&pool_lock);
        }
        seen = (uint32_t)(word >> INDEX_BITS);
        if (id <= atomic_load_explicit(&region.helpers, memory_order_relaxed))
            run_tasks(seen, atomic_load_explicit(&region.fn, memory_order_relaxed),
                      atomic_load_explicit(&region.context, memory_order_relaxed),
                      atomic_load_explicit(&region.count, memory_order_relaxed));
    }
    return NULL;
}

/// Starts workers until `helpers` exist (or as many as the system allows); returns how many exist.
static int ensure_workers(int helpers) {
    pthread_mutex_lock(&pool_lock);
    while (workers_started < helpers) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attributes, worker_main, (void *)(intptr_t)(workers_started + 1));
        pthread_attr_destroy(&attributes);
        if (failed) break;
        workers_started++;
    }
    int available = workers_started;
    pthread_mutex_unlock(&pool_lock);
    return available;
}

void attend_parallel_for(int count, int threads, attend_task_fn fn, void *context) {
    int helpers = (threads < count ? threads : count) - 1;
    if (helpers > MAX_WORKERS) helpers = MAX_WORKERS;
    if (helpers <= 0 || inside_region) {  // serial: one thread wanted, or already inside a task
        for (int i = 0; i < count; i++) fn(context, i);
        return;
    }
    helpers = ensure_workers(helpers);
    pthread_mutex_lock(&submit_lock);
    inside_region = 1;
    uint32_t generation = (uint32_t)(atomic_load(&next_task) >> INDEX_BITS) + 1;
    atomic_store_explicit(&region.fn, fn, memory_order_relaxed);
    atomic_store_explicit(&region.context, context, memory_order_relaxed);
    atomic_store_explicit(&region.count, (uint32_t)count, memory_order_relaxed);
    atomic_store_explicit(&region.helpers, helpers, memory_order_relaxed);
    atomic_store_explicit(&finished, 0, memory_order_relaxed);
    atomic_store(&next_task, (uint64_t)generation << INDEX_BITS);  // opens the region (seq_cst)
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&pool_lock);
        pthread_cond_broadcast(&pool_wake);
        pthread_mutex_unlock(&pool_lock);
    }
    run_tasks(generation, fn, context, (uint32_t)count);
    while (atomic_load_explicit(&finished, memory_order_acquire) < (uint32_t)count) cpu_relax();
    atomic_store(&next_task, (uint64_t)generation << INDEX_BITS | CLOSED);
    inside_region = 0;
    pthread_mutex_unlock(&submit_lock);
}

static _Atomic int configured_threads;  // Parallel.threads; 0 until set

int attend_configured_threads(void) { return atomic_load_explicit(&configured_threads, memory_order_relaxed); }

void attend_set_configured_threads(int threads) { atomic_store_explicit(&configured_threads, threads, memory_order_relaxed); }
