import AttendWorkload
import FuzzSupport

// The workload traces: Attend's per-(sentence, layer, head) trace CSV and SpAtten's released
// workload CSV (`--trace-format spatten`), the same text read by both readers.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTrace(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: Scratch.buffer(data, size), as: UTF8.self)
    do { _ = try TraceCSV.read(text) } catch { _ = error.description }
    do { _ = try SpAttenCSV.read(text) } catch { _ = error.description }
    return 0
}
