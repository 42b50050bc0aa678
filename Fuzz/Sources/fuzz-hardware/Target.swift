import AttendHardware
import FuzzSupport
import Foundation

// Accelerator configuration files (hardware/*.json): dispatched on "kind" by `HardwareFile.load`
// (an HDP configuration reads its energy table beside it: the real one is copied there), and the
// same text read by each reader directly, including as an energy table.
let energyWritten: Void = {
    let copy = Scratch.directory.appendingPathComponent("energy-45nm.json")
    try? FileManager.default.removeItem(at: copy)
    try! FileManager.default.copyItem(at: Scratch.repositoryFile("hardware/energy-45nm.json"), to: copy)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHardware(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = energyWritten
    let bytes = Scratch.buffer(data, size)
    let url = Scratch.write(bytes, name: "accelerator.json")
    do { _ = try HardwareFile.load(url.path) } catch { _ = error.description }
    let text = String(decoding: bytes, as: UTF8.self)
    do { _ = try HDPConfig.load(text, file: "hdp.json") } catch { _ = error.description }
    do { _ = try IOHierarchy.load(text, file: "io.json") } catch { _ = error.description }
    do { _ = try SystolicConfig.load(text, file: "systolic.json") } catch { _ = error.description }
    do { _ = try EnergyTable.load(text, file: "energy.json") } catch { _ = error.description }
    return 0
}
