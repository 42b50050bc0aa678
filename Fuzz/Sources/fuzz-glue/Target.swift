import AttendEvaluation
import FuzzSupport

// GLUE rows: the same file read as SST-2 (`sentence<TAB>label`, header) and as CoLA (4 columns).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGLUE(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let url = Scratch.write(Scratch.buffer(data, size), name: "rows.tsv")
    for task in GLUETask.allCases {
        do {
            let rows = try task.load(url)
            precondition(!rows.isEmpty && rows.allSatisfy { $0.label == 0 || $0.label == 1 }, "GLUE rows must be non-empty with labels 0/1")
        } catch { _ = String(describing: error) }
    }
    return 0
}
