import AttendModels
import FuzzSupport

// GGUF: header, metadata (nested arrays), tensor infos and offsets; then the typed metadata
// accessors, small-tensor dequantization, 2-D weights, and the whole decoder bundle (config +
// tokenizer from metadata + weights), which must reject whatever the file lacks.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let url = Scratch.write(Scratch.buffer(data, size), name: "model.gguf")
    do {
        let file = try GGUFFile(contentsOf: url)
        for key in file.metadataKeys {
            _ = try? file.integer(key)
            _ = try? file.float(key)
            _ = try? file.string(key)
            _ = try? file.strings(key)
            _ = try? file.integers(key)
            _ = try? file.floats(key)
            _ = try? file.optionalBool(key)
        }
        for t in file.tensors {
            if t.elementCount <= 1 << 16 { _ = try? file.floatTensor(t.name) }
            _ = try? file.matrix(t.name)
        }
        _ = try? LlamaConfig(gguf: file)
        _ = try DecoderBundle.load(path: url.path)
    } catch {
        _ = String(describing: error)
    }
    return 0
}
