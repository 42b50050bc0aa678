import AttendAttention
import FuzzSupport
import Foundation

// Attention plan files (plans/*.json): decoded, then turned into the method for the 6-layer
// MiniLM and for a 12-layer model, with its LUT softmax when it asks for one.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPlan(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    do {
        let plan = try AttentionPlan.load(json: Data(Scratch.buffer(data, size)), source: "plan.json")
        _ = try? plan.lutExp()
        _ = try? plan.makeMethod(layers: 6)
        _ = try plan.makeMethod(layers: 12)
    } catch {
        _ = String(describing: error)
    }
    return 0
}
