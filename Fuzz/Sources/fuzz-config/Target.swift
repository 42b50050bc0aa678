import AttendModels
import FuzzSupport
import Foundation

// Hugging Face `config.json`: the same bytes read as a BERT configuration (Codable + validation),
// a Llama one and a GPT-2 one (typed key reader).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Scratch.buffer(data, size)
    let url = Scratch.write(bytes, name: "config.json")
    do {
        let config = try BertConfig.decode(Data(bytes), path: url.path)
        _ = (config.headDim, config.numLabels, config.labels)
    } catch { _ = String(describing: error) }
    do { _ = try LlamaConfig(configJSON: url) } catch { _ = String(describing: error) }
    do { _ = try GPT2Config(configJSON: url) } catch { _ = String(describing: error) }
    return 0
}
