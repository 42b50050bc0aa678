import CAttendKernels

/// The one place that owns Attend's threads (SPEC §8: a single pool owns the cores).
///
/// `threads` is process-wide and set once from the CLI's `--threads`; every kernel that splits
/// work calls `Parallel.forEach`, which runs on a persistent pool of spinning-then-sleeping
/// workers (`attend_parallel_for` in CAttendKernels).
public enum Parallel {
    /// Number of threads used by `forEach` (default: all active processors). Stored atomically
    /// (in CAttendKernels), so setting it while kernels run on other threads is not a data race.
    public static var threads: Int {
        get {
            let configured = Int(attend_configured_threads())
            return configured > 0 ? configured : defaultThreads
        }
        set {
            precondition(newValue >= 1 && newValue <= Int(Int32.max), "thread count must be ≥ 1")
            attend_set_configured_threads(Int32(newValue))
        }
    }

    /// All active processors of this machine.
    public static var defaultThreads: Int { max(1, activeProcessorCount()) }

    /// Runs `body(i)` for every `i` in `0..<count` on up to `threads` threads (the caller
    /// included), handing indices out dynamically; returns when all are done. Tasks must write
    /// disjoint memory. A `forEach` inside a task runs serially on that task's thread.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        if min(threads, count) <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: body) { pointer in
                attend_parallel_for(Int32(count), Int32(threads), { context, index in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(index))
                }, UnsafeMutableRawPointer(mutating: pointer))
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
private func activeProcessorCount() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
#elseif canImport(Darwin)
import Darwin
private func activeProcessorCount() -> Int { Int(sysconf(_SC_NPROCESSORS_ONLN)) }
#else
private func activeProcessorCount() -> Int { 1 }
#endif
