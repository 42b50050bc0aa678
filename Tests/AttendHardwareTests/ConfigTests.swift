import AttendHardware
import Foundation
import Testing

@Suite("Hardware configurations")
struct ConfigTests {
    @Test("every shipped configuration loads, and every number in it has a source")
    func shippedLoad() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: hardwareFolder.path).filter { $0.hasSuffix(".json") && !$0.hasPrefix("energy") && !$0.hasSuffix("-machine.json") }
        #expect(Set(files).isSuperset(of: ["hdp-edge.json", "hdp-server.json", "io-a100.json", "systolic-32x32-os.json"]))
        for file in files { _ = try shipped(file) }
        guard case let .hdp(server) = try shipped("hdp-server.json") else { Issue.record("hdp-server is not hdp"); return }
        #expect(server.config.cores == 8 && server.config.sources.values.allSatisfy { !$0.isEmpty })
        #expect(server.energy.pj(.mult, bits: 8) == 0.2 && server.energy.pj(.add, bits: 32) == 0.1)
        #expect(server.energy.sramPJPerBit(kib: 8) == 10.0 / 64 && server.energy.sramPJPerBit(kib: 1024) == 100.0 / 64)
        let sixteen = server.energy.sramPJPerBit(kib: 16) * 64
        #expect(abs(sixteen - 15) < 1e-12)   // halfway in log size between 8 KiB (10 pJ) and 32 KiB (20 pJ)
        let scaled = server.energy.scaled(toNM: 22.5, voltage: 0.9)
        #expect(abs(scaled.pj(.mult, bits: 8) - 0.1) < 1e-12 && scaled.dramPJPerBit == server.energy.dramPJPerBit)
    }

    /// hdp-edge.json with `edit` applied to its text, loaded.
    func edited(_ edit: (String) -> String) throws -> HDPConfig {
        let text = try String(contentsOf: hardwareFolder.appendingPathComponent("hdp-edge.json"), encoding: .utf8)
        return try HDPConfig.load(edit(text), file: "edge.json")
    }

    @Test("a missing key, a wrong unit, a negative size, a missing source and an unknown key are errors naming the key")
    func validation() throws {
        #expect(throws: ConfigError(file: "edge.json", key: "pe_rows", reason: "missing")) {
            try edited { $0.replacingOccurrences(of: "\"pe_rows\"", with: "\"pe_rowz\"") }
        }
        #expect(throws: ConfigError(file: "edge.json", key: "frequency_mhz", reason: "missing; found \"frequency_ghz\" — wrong unit: this quantity is read in mhz")) {
            try edited { $0.replacingOccurrences(of: "\"frequency_mhz\"", with: "\"frequency_ghz\"") }
        }
        #expect(throws: ConfigError(file: "edge.json", key: "sram_kib", reason: "must be ≥ 1, got -256")) {
            try edited { $0.replacingOccurrences(of: "\"value\": 256", with: "\"value\": -256") }
        }
        #expect(throws: ConfigError(file: "edge.json", key: "cores", reason: "needs a \"source\" (its own or its block's)")) {
            try edited { $0.replacingOccurrences(of: #"{ "value": 1, "source": "assumed: the paper's edge design is a single HDP core beside an existing accelerator; one core keeps it within a mobile area budget" }"#, with: "1") }
        }
        #expect(throws: ConfigError(file: "edge.json", key: "pe_rows.value", reason: "missing")) {
            try edited { $0.replacingOccurrences(of: #""pe_rows": { "value""#, with: #""pe_rows": { "valu""#) }
        }
    }

    @Test("a count past Int32.max or a number that is not finite is an error naming the key, never a trap")
    func hugeValues() throws {
        // The hardware fuzz target's input (Fuzz/Regressions/hardware): filter_sram_kib = 7.8e66 trapped in Int().
        let regression = hardwareFolder.deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions/hardware/filter-sram-7.8e66-kib.json")
        let text = try String(contentsOf: regression, encoding: .utf8)
        #expect(throws: ConfigError(file: "systolic.json", key: "filter_sram_kib", reason: "must be ≤ 2147483647, got 7.777777777777778e+66")) {
            try SystolicConfig.load(text, file: "systolic.json")
        }
        #expect(throws: ConfigError(file: "edge.json", key: "pe_rows", reason: "must be ≤ 2147483647, got 2147483648")) {
            try edited { $0.replacingOccurrences(of: #""pe_rows": { "value": 16"#, with: #""pe_rows": { "value": 2147483648"#) }
        }
        #expect(throws: ConfigError(file: "edge.json", key: "sram_kib", reason: "expected a finite number, got the number 1e400")) {
            try edited { $0.replacingOccurrences(of: "\"value\": 256", with: "\"value\": 1e400") }
        }
    }
    @Test("a clock or memory so extreme that a cycle count would not fit an Int is an error naming the key, never a trap")
    func extremeRates() throws {
        func shippedText(_ file: String) throws -> String { try String(contentsOf: hardwareFolder.appendingPathComponent(file), encoding: .utf8) }
        let hdp = try shippedText("hdp-edge.json").replacingOccurrences(of: #""frequency_mhz": { "value": 500"#, with: #""frequency_mhz": { "value": 1e300"#)
        do { _ = try HDPConfig.load(hdp, file: "edge.json"); Issue.record("1e300 MHz loaded") } catch { #expect(error.key == "dram_gbps" && error.reason.contains("cycles")) }
        let spatten = try shippedText("spatten.json").replacingOccurrences(of: #""frequency_mhz": { "value": 1000"#, with: #""frequency_mhz": { "value": 1e300"#)
        do { _ = try SpAttenConfig.load(spatten, file: "spatten.json"); Issue.record("1e300 MHz loaded") } catch { #expect(error.key == "dram_gbps" && error.reason.contains("burst")) }
        let io = try shippedText("io-a100.json")
        for (from, to, key) in [(#""on_chip_kib": { "value": 192"#, #""on_chip_kib": { "value": 1e300"#, "on_chip_kib"),
                                (#""word_bytes": { "value": 2"#, #""word_bytes": { "value": 1e300"#, "word_bytes")] {
            do { _ = try IOHierarchy.load(io.replacingOccurrences(of: from, with: to), file: "io.json"); Issue.record("\(key) 1e300 loaded") } catch {
                #expect(error.key == key && error.reason.contains("2147483647"))
            }
        }
        for file in ["hdp-edge.json", "spatten.json", "io-a100.json"] { _ = try shipped(file) }  // the shipped rates pass
    }
}
