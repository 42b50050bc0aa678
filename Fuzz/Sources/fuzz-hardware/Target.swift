import AttendHardware
import FuzzSupport
import Foundation

// Accelerator configuration files (hardware/*.json): dispatched on "kind" by `HardwareFile.load`
// (an HDP or SpAtten configuration reads its energy table beside it, a ReBERT design file its
// machine file: the real ones are copied there), and the same text read by each reader directly,
// including as an energy table and as a ReBERT machine file.
let filesBeside: Void = {
    for name in ["energy-45nm.json", "rebert-machine.json"] {
        let copy = Scratch.directory.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: copy)
        try! FileManager.default.copyItem(at: Scratch.repositoryFile("hardware/\(name)"), to: copy)
    }
}()

/// The real ReBERT machine and advanced design files, each paired with the input in the other role.
let rebertMachine = try! String(contentsOf: Scratch.repositoryFile("hardware/rebert-machine.json"), encoding: .utf8)
let rebertDesign = try! String(contentsOf: Scratch.repositoryFile("hardware/rebert-advanced.json"), encoding: .utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHardware(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = filesBeside
    let bytes = Scratch.buffer(data, size)
    let url = Scratch.write(bytes, name: "accelerator.json")
    do { _ = try HardwareFile.load(url.path) } catch { _ = error.description }
    let text = String(decoding: bytes, as: UTF8.self)
    do { _ = try HDPConfig.load(text, file: "hdp.json") } catch { _ = error.description }
    do { _ = try SpAttenConfig.load(text, file: "spatten.json") } catch { _ = error.description }
    do { _ = try IOHierarchy.load(text, file: "io.json") } catch { _ = error.description }
    do { _ = try SystolicConfig.load(text, file: "systolic.json") } catch { _ = error.description }
    do { _ = try EnergyTable.load(text, file: "energy.json") } catch { _ = error.description }
    do {  // as a design file over the real machine, and as the machine file of the real advanced design
        _ = try ReRAMConfig.load(text, file: "rebert.json") { (_: String) throws(ConfigError) in (rebertMachine, "rebert-machine.json") }
    } catch { _ = error.description }
    do {
        _ = try ReRAMConfig.load(rebertDesign, file: "rebert-advanced.json") {
            (_: String) throws(ConfigError) in (text, "rebert-machine.json")
        }
    } catch { _ = error.description }
    return 0
}
