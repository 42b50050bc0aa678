import Dispatch

/// The one place that owns Attend's threads (SPEC §8: a single pool owns the cores).
///
/// `threads` is process-wide and set once from the CLI's `--threads`; every kernel that splits
/// work calls `Parallel.forEach`.
public enum Parallel {
    nonisolated(unsafe) private static var configuredThreads = 0

    /// Number of worker threads used by `forEach` (default: all active processors).
    public static var threads: Int {
        get { configuredThreads > 0 ? configuredThreads : defaultThreads }
        set {
            precondition(newValue >= 1, "thread count must be ≥ 1")
            configuredThreads = newValue
        }
    }

    /// All active processors of this machine.
    public static var defaultThreads: Int { max(1, activeProcessorCount()) }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over `threads` workers
    /// (worker w takes i = w, w + threads, …). Runs inline when one worker suffices.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let work = body
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var i = worker
                while i < count {
                    work(i)
                    i += workers
                }
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
