import AttendJSON
import AttendKernels
import Foundation
import Testing

@Suite("attend tune", .serialized)
struct TuneCLITests {
    @Test("--show prints this CPU, the parameters and where they came from; --json parses")
    func show() throws {
        let text = try attend(["tune", "--show"])
        #expect(text.status == 0, "\(text.stderr)")
        for field in ["CPU:", "identity:", "source:", "gemm_mc", "attention tile"] { #expect(text.stdout.contains(field), "\(field) missing") }
        let json = try attend(["tune", "--show", "--json"])
        let value = try JSONParser.parse(json.stdout)
        #expect(value["cpu"] != nil && value["source"] != nil)
        _ = try KernelConfig(json: value["config"] ?? .null)
    }

    @Test("a short run writes a file that ATTEND_KERNEL_CONFIG then selects")
    func shortRun() throws {
        let dir = try temporaryDirectory("tune")
        let file = dir.appendingPathComponent("kernels.json").path
        let run = try attend(["tune", "--seconds", "1", "--repeats", "1", "--passes", "1", "--output", file])
        #expect(run.status == 0, "\(run.stderr)")
        let written = try KernelConfigFile.read(path: file)
        #expect(run.stdout.contains("chosen: \(written.config.json)"))
        let shown = try attend(["tune", "--show", "--json"], environment: ["ATTEND_KERNEL_CONFIG": file])
        let value = try JSONParser.parse(shown.stdout)
        #expect(try KernelConfig(json: value["config"] ?? .null) == written.config)
        guard case .string(let source)? = value["source"] else { Issue.record("no source"); return }
        #expect(source == "ATTEND_KERNEL_CONFIG=\(file)")
    }

    @Test("a bad ATTEND_KERNEL_CONFIG is a runtime error (exit 1) naming the file and key; bad options exit 64")
    func errors() throws {
        let dir = try temporaryDirectory("tune-bad")
        let file = dir.appendingPathComponent("bad.json")
        let config = KernelConfig.defaults.with("gemm_mc", 6).json.replacingOccurrences(of: "\"gemm_mc\": 6", with: "\"gemm_mc\": 7")
        try Data("{\"cpu\": \"x\", \"config\": \(config)}".utf8).write(to: file)
        for arguments in [["tune", "--show"], ["run", "a fine film"]] {
            let result = try attend(arguments, environment: ["ATTEND_KERNEL_CONFIG": file.path])
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(file.path) && result.stderr.contains("gemm_mc"), "\(result.stderr)")
        }
        for arguments in [["tune", "--seconds", "0"], ["tune", "--margin", "1.5"], ["tune", "--show", "--dry-run"], ["tune", "--bogus"]] {
            #expect(try attend(arguments).status == 64, "\(arguments)")
        }
    }
}
