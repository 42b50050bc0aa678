/// A SCALE-Sim input file that cannot be used: the file, the line or key, and what was expected.
public struct SCALESimFileError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var location: String
    public var reason: String

    public init(file: String, location: String, reason: String) { (self.file, self.location, self.reason) = (file, location, reason) }

    public var description: String { "\(file): \(location): \(reason)" }
}

/// SCALE-Sim 3.0's own input files: the `.cfg` architecture file and the topology CSV.
public enum SCALESimFiles {
    /// The array of a SCALE-Sim `.cfg` (INI: `[architecture_presets]` ArrayHeight, ArrayWidth,
    /// IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB, Dataflow; `[run_presets]` InterfaceBandwidth).
    /// Keys are case-insensitive, `key: value` or `key = value`, as Python's configparser reads them.
    /// Only what this emulation covers is accepted: CALC bandwidth, no Ramulator trace, no sparsity.
    public static func config(_ text: String, file: String) throws(SCALESimFileError) -> SystolicArray {
        var sections: [String: [String: String]] = [:]
        var section = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingWhitespace
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") { section = String(line.dropFirst().dropLast()); continue }
            guard let cut = line.firstIndex(where: { $0 == ":" || $0 == "=" }) else { continue }
            sections[section, default: [:]][line[..<cut].trimmingWhitespace.lowercased()] = line[line.index(after: cut)...].trimmingWhitespace
        }
        func value(_ section: String, _ key: String) throws(SCALESimFileError) -> String {
            guard let v = sections[section]?[key.lowercased()] else {
                throw SCALESimFileError(file: file, location: "[\(section)] \(key)", reason: "missing")
            }
            return v
        }
        func positive(_ key: String) throws(SCALESimFileError) -> Int {
            let text = try value("architecture_presets", key)
            guard let v = Int(text), v >= 1 else {
                throw SCALESimFileError(file: file, location: "[architecture_presets] \(key)", reason: "expected a positive integer, got \"\(text)\"")
            }
            return v
        }
        let mode = try value("run_presets", "InterfaceBandwidth")
        guard mode == "CALC" else {
            throw SCALESimFileError(file: file, location: "[run_presets] InterfaceBandwidth", reason: "only CALC is modelled, got \"\(mode)\"")
        }
        if let ramulator = sections["run_presets"]?["useramulatortrace"], ramulator == "True" {
            throw SCALESimFileError(file: file, location: "[run_presets] UseRamulatorTrace", reason: "Ramulator traces are not modelled")
        }
        if let sparsity = sections["sparsity"]?["sparsitysupport"], sparsity.lowercased() == "true" {
            throw SCALESimFileError(file: file, location: "[sparsity] SparsitySupport", reason: "sparse SCALE-Sim runs are not modelled")
        }
        let flow = try value("architecture_presets", "Dataflow")
        guard let dataflow = Dataflow(rawValue: flow) else {
            throw SCALESimFileError(file: file, location: "[architecture_presets] Dataflow", reason: "expected os, ws or is, got \"\(flow)\"")
        }
        return SystolicArray(rows: try positive("ArrayHeight"), columns: try positive("ArrayWidth"), dataflow: dataflow,
                             ifmapSRAMKiB: try positive("IfmapSramSzkB"), filterSRAMKiB: try positive("FilterSramSzkB"),
                             ofmapSRAMKiB: try positive("OfmapSramSzkB"))
    }

    /// The layers of a topology CSV: a header row, then per layer either a GEMM row
    /// `name, M, N, K,` or a convolution row `name, ifmap h, ifmap w, filter h, filter w, channels,
    /// filters, stride,` (SCALE-Sim's `-i gemm` and `-i conv`; told apart by the field count). As in
    /// SCALE-Sim, the field after the last comma is ignored, an optional `N:M` sparsity field must be
    /// `1:1`, and a convolution named with `DP` is depthwise: one single-channel layer per channel.
    public static func topology(_ text: String, file: String) throws(SCALESimFileError) -> [SystolicLayer] {
        var layers: [SystolicLayer] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().dropFirst() {
            let line = raw.trimmingWhitespace
            if line.isEmpty { continue }
            var fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace }.dropLast().map { $0 }
            let location = "line \(index + 1)"
            if let last = fields.last, last.contains(":") {
                guard last == "1:1" else { throw SCALESimFileError(file: file, location: location, reason: "sparsity ratio \(last) is not modelled (only 1:1)") }
                fields.removeLast()
            }
            guard fields.count == 4 || fields.count == 8 else {
                throw SCALESimFileError(file: file, location: location,
                                        reason: "expected `name, M, N, K,` or `name, ifmap h, ifmap w, filter h, filter w, channels, filters, stride,` (with the trailing comma), got \(fields.count) fields")
            }
            var numbers: [Int] = []
            for (i, field) in fields.enumerated().dropFirst() {
                guard let v = Int(field), v >= 1 else {
                    throw SCALESimFileError(file: file, location: "\(location), field \(i + 1)", reason: "expected a positive integer, got \"\(field)\"")
                }
                numbers.append(v)
            }
            let name = fields[0]
            if numbers.count == 3 {
                layers.append(.gemm(name: name, m: numbers[0], n: numbers[1], k: numbers[2]))
                continue
            }
            let layer = SystolicLayer(name: name, ifmapHeight: numbers[0], ifmapWidth: numbers[1], filterHeight: numbers[2],
                                      filterWidth: numbers[3], channels: numbers[4], filters: numbers[5], stride: numbers[6])
            guard layer.filterHeight <= layer.ifmapHeight, layer.filterWidth <= layer.ifmapWidth else {
                throw SCALESimFileError(file: file, location: location, reason: "filter larger than the ifmap")
            }
            if name.contains("DP") {
                for channel in 0..<layer.channels {
                    var one = layer
                    (one.name, one.channels) = (name + "Channel_\(channel)", 1)
                    layers.append(one)
                }
            } else {
                layers.append(layer)
            }
        }
        return layers
    }

    /// GEMMs as a SCALE-Sim GEMM topology (`Layer, M, N, K,` header, one `name, M, N, K,` row each).
    public static func gemmTopology(_ gemms: [(name: String, m: Int, n: Int, k: Int)]) -> String {
        "Layer, M, N, K,\n" + gemms.map { "\($0.name), \($0.m), \($0.n), \($0.k),\n" }.joined()
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and carriage returns.
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
