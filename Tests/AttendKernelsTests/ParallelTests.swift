import AttendKernels
import Dispatch
import Testing

@Suite("Parallel.forEach on the thread pool", .serialized)
struct ParallelTests {
    /// Runs forEach and returns how often each index was visited.
    private func visits(_ count: Int, threads: Int, nested: Int = 0) -> [Int] {
        Parallel.threads = threads
        defer { Parallel.threads = Parallel.defaultThreads }
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1) * max(nested, 1))
        counts.initialize(repeating: 0, count: max(count, 1) * max(nested, 1))
        defer { counts.deallocate() }
        nonisolated(unsafe) let shared = counts
        Parallel.forEach(count) { i in
            if nested > 0 {
                Parallel.forEach(nested) { j in shared[i * nested + j] += 1 }  // runs serially inside a task
            } else {
                shared[i] += 1
            }
        }
        return Array(UnsafeBufferPointer(start: counts, count: count * max(nested, 1)))
    }

    @Test("every index runs exactly once", arguments: [0, 1, 2, 3, 97, 1025, 100_000])
    func exactlyOnce(count: Int) {
        for threads in [1, 2, 3, 8] {
            #expect(visits(count, threads: threads).allSatisfy { $0 == 1 }, "count \(count), \(threads) threads")
        }
    }

    @Test("a forEach inside a task runs every inner index once")
    func nested() {
        #expect(visits(17, threads: 2, nested: 5).allSatisfy { $0 == 1 })
    }

    @Test("regions opened from several threads at once all complete")
    func concurrentCallers() {
        Parallel.threads = 2
        defer { Parallel.threads = Parallel.defaultThreads }
        let totals = UnsafeMutablePointer<Int>.allocate(capacity: 8)
        totals.initialize(repeating: 0, count: 8)
        defer { totals.deallocate() }
        nonisolated(unsafe) let shared = totals
        DispatchQueue.concurrentPerform(iterations: 8) { caller in
            for _ in 0..<50 {
                let slots = UnsafeMutablePointer<Int>.allocate(capacity: 64)
                slots.initialize(repeating: 0, count: 64)
                nonisolated(unsafe) let s = slots
                Parallel.forEach(64) { s[$0] = $0 }
                shared[caller] += (0..<64).reduce(0) { $0 + slots[$1] }
                slots.deallocate()
            }
        }
        #expect((0..<8).allSatisfy { totals[$0] == 50 * (63 * 64 / 2) })
    }
}
