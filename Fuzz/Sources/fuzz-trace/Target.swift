import AttendWorkload
import FuzzSupport

// The per-(sentence, layer, head) workload trace CSV; a trace that reads must read the same after
// being written back out (rows grouped by sentence and layer, in order).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTrace(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: Scratch.buffer(data, size), as: UTF8.self)
    do {
        _ = try TraceCSV.read(text)
    } catch {
        _ = error.description
    }
    return 0
}
