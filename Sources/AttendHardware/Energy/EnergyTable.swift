import AttendJSON
import Foundation

/// Energy per operation and per memory access at one technology node (a data file with its
/// sources, e.g. hardware/energy-45nm.json: Horowitz, ISSCC 2014, 45 nm).
///
/// Scaling rule (stated in the file): E(node, V) = E₀ · (node / node₀) · (V / V₀)² for operations
/// and SRAM, DRAM unchanged; SRAM of other sizes interpolates log-linearly in size between the
/// listed sizes; an operation of an unlisted bit width takes the next wider listed one.
public struct EnergyTable: Sendable, Equatable {
    public enum Operation: String, Sendable, CaseIterable { case add, mult }
    public enum Number: String, Sendable { case int, fp }

    public var technologyNM: Sourced
    public var voltageV: Sourced
    /// pJ by (kind, operation, bits), e.g. "int16_mult_pj".
    public var operationsPJ: [String: Sourced]
    /// (KiB, pJ per 64-bit read) ascending by size.
    public var sramPJ: [(kib: Double, pj: Sourced)]
    public var dramPJPer64Bits: Sourced
    public var scalingRule: String
    /// Integer add and multiply energies by bit width 1…64 (filled from the table on load and scaling).
    private var intAdd: [Int: Double] = [:], intMult: [Int: Double] = [:]

    private mutating func fillCaches() {
        (intAdd, intMult) = ([:], [:])
        for b in 1...64 { intAdd[b] = lookup(.add, .int, bits: b); intMult[b] = lookup(.mult, .int, bits: b) }
    }

    init(technologyNM: Sourced, voltageV: Sourced, operationsPJ: [String: Sourced], sramPJ: [(kib: Double, pj: Sourced)],
         dramPJPer64Bits: Sourced, scalingRule: String) {
        (self.technologyNM, self.voltageV, self.operationsPJ, self.sramPJ) = (technologyNM, voltageV, operationsPJ, sramPJ)
        (self.dramPJPer64Bits, self.scalingRule) = (dramPJPer64Bits, scalingRule)
        fillCaches()
    }

    public static func == (a: EnergyTable, b: EnergyTable) -> Bool {
        a.technologyNM == b.technologyNM && a.voltageV == b.voltageV && a.operationsPJ == b.operationsPJ
            && a.sramPJ.map(\.kib) == b.sramPJ.map(\.kib) && a.sramPJ.map(\.pj) == b.sramPJ.map(\.pj) && a.dramPJPer64Bits == b.dramPJPer64Bits
    }

    /// Reads and validates the table (see hardware/energy-45nm.json for the layout).
    public static func load(_ text: String, file: String) throws(ConfigError) -> EnergyTable {
        var top = try ConfigReader.parse(text, file: file)
        let node = try top.quantity("technology_nm", minimum: 1), voltage = try top.quantity("voltage_v", minimum: 0.1)
        var operations = try top.object("operations")
        var table: [String: Sourced] = [:]
        for member in operations.members {
            let parts = member.key.split(separator: "_")
            guard parts.count == 3, parts[0].hasPrefix("int") || parts[0].hasPrefix("fp"), Int(parts[0].drop { $0.isLetter }) != nil,
                  Operation(rawValue: String(parts[1])) != nil, parts[2] == "pj" else {
                throw operations.error(member.key, "expected <int|fp><bits>_<add|mult>_pj")
            }
            table[member.key] = try operations.quantity(member.key)
        }
        for required in ["int8_add_pj", "int32_add_pj", "int8_mult_pj", "int32_mult_pj"] where table[required] == nil {
            throw operations.error(required, "missing")
        }
        try operations.finish()
        var memory = try top.object("memory")
        var sram: [(kib: Double, pj: Sourced)] = []
        for member in memory.members where member.key.hasPrefix("sram_") {
            let size = member.key.dropFirst(5).prefix { $0 != "_" }
            let (digits, unit) = (size.prefix { $0.isNumber }, size.drop { $0.isNumber })
            guard let n = Double(digits), let scale = ["kib": 1.0, "mib": 1024.0][String(unit)], member.key.hasSuffix("_read_64b_pj") else {
                throw memory.error(member.key, "expected sram_<n><kib|mib>_read_64b_pj")
            }
            sram.append((n * scale, try memory.quantity(member.key)))
        }
        guard !sram.isEmpty else { throw memory.error("sram_8kib_read_64b_pj", "missing (at least one SRAM size)") }
        let dram = try memory.quantity("dram_read_64b_pj")
        try memory.finish()
        var scaling = try top.object("scaling")
        let rule = try scaling.string("rule")
        try scaling.finish()
        try top.finish()
        return EnergyTable(technologyNM: node, voltageV: voltage, operationsPJ: table, sramPJ: sram.sorted { $0.kib < $1.kib },
                           dramPJPer64Bits: dram, scalingRule: rule)
    }

    /// The table at another node and voltage, by the scaling rule.
    public func scaled(toNM node: Double, voltage: Double) -> EnergyTable {
        let factor = (node / technologyNM.value) * (voltage / voltageV.value) * (voltage / voltageV.value)
        let note = " (scaled from \(technologyNM.value.formatted) nm, \(voltageV.value) V by \(String(format: "%.4g", factor))×)"
        var out = self
        out.technologyNM = Sourced(node, source: "scaled")
        out.voltageV = Sourced(voltage, source: "scaled")
        out.operationsPJ = operationsPJ.mapValues { Sourced($0.value * factor, source: $0.source + note) }
        out.sramPJ = sramPJ.map { ($0.kib, Sourced($0.pj.value * factor, source: $0.pj.source + note)) }
        out.fillCaches()
        return out
    }

    /// pJ of one operation on `bits`-bit operands (the next wider listed width if `bits` is not listed).
    public func pj(_ operation: Operation, _ number: Number = .int, bits: Int) -> Double {
        if number == .int, operation == .add, bits <= 64, let v = intAdd[bits] { return v }
        if number == .int, operation == .mult, bits <= 64, let v = intMult[bits] { return v }
        return lookup(operation, number, bits: bits)
    }

    private func lookup(_ operation: Operation, _ number: Number, bits: Int) -> Double {
        let widths = operationsPJ.keys.compactMap { key -> Int? in
            let parts = key.split(separator: "_")
            guard parts[1] == operation.rawValue, parts[0].hasPrefix(number.rawValue) else { return nil }
            return Int(parts[0].dropFirst(number.rawValue.count))
        }.sorted()
        let width = widths.first { $0 >= bits } ?? widths.last!
        return operationsPJ["\(number.rawValue)\(width)_\(operation.rawValue)_pj"]!.value
    }

    /// pJ of one multiply-add: a `bits` multiply and an accumulator add of twice the width (≤ 32).
    public func macPJ(bits: Int) -> Double { pj(.mult, bits: bits) + pj(.add, bits: min(32, 2 * bits)) }

    /// pJ per bit read from (or written to) an SRAM of `kib` KiB.
    public func sramPJPerBit(kib: Double) -> Double {
        let points = sramPJ
        if kib <= points[0].kib { return points[0].pj.value / 64 }
        for (a, b) in zip(points, points.dropFirst()) where kib <= b.kib {
            let t = log(kib / a.kib) / log(b.kib / a.kib)
            return (a.pj.value + t * (b.pj.value - a.pj.value)) / 64
        }
        return points[points.count - 1].pj.value / 64
    }

    /// pJ per bit moved to or from DRAM.
    public var dramPJPerBit: Double { dramPJPer64Bits.value / 64 }
}
