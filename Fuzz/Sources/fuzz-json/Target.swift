import AttendJSON
import FuzzSupport

// The strict JSON parser (tokenizer.json, config.json, safetensors headers, hardware files), at
// its default depth limit; every value it returns is walked.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Scratch.buffer(data, size)
    do {
        let value = try JSONParser.parse(bytes)
        walk(value)
        // The parser must accept its own input twice the same way.
        let again = try JSONParser.parse(bytes)
        precondition(again == value, "JSON parse is not deterministic")
    } catch {
        _ = error.description
    }
    return 0
}

func walk(_ value: JSONValue) {
    _ = value.summary
    _ = value.typeName
    _ = value.integer
    switch value {
    case .array(let items): items.forEach(walk)
    case .object(let members): members.forEach { walk($0.1) }
    default: break
    }
}
