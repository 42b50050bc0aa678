import CAttendKernels

/// count elements of this thread's scratch slot `slot` (an `ATTEND_SCRATCH_*` owner;
/// `attend_thread_scratch`), uninitialized, valid until the next request for that slot on this thread.
public func threadScratch<T>(_ slot: Int, _ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
    guard let base = attend_thread_scratch(Int32(slot), max(count, 1) * MemoryLayout<T>.stride) else {
        preconditionFailure("out of memory for \(count) scratch values of \(T.self) (slot \(slot))")
    }
    return base.bindMemory(to: T.self, capacity: max(count, 1))
}
