import AttendModels
import FuzzSupport

// The safetensors header and tensor table: open (validates header length, JSON, dtypes, shapes,
// offsets, tiling), then convert every float tensor that is small enough to be worth converting.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let url = Scratch.write(Scratch.buffer(data, size), name: "model.safetensors")
    do {
        let file = try SafeTensorsFile(contentsOf: url)
        for name in file.names {
            let info = try file.info(name)
            if info.elementCount <= 1 << 16 { _ = try? file.floatTensor(name) }
            _ = try? file.floatTensor(name, expectedShape: [2, 3])
            _ = try file.withRawBytes(name) { $0.reduce(0, &+) }
        }
    } catch {
        _ = String(describing: error)
    }
    return 0
}
