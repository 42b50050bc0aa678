extension SpAttenCSV {
    /// The 17 column names of `SpAttenWorkloadRow.header`, in file order.
    public static let columns = SpAttenWorkloadRow.header.split(separator: ",").map(String.init)

    /// Parses SpAtten workload CSV text (ours, or the authors' released files); throws `TraceError`
    /// naming the line (1-based) and column of the first problem.
    ///
    /// Columns are found by name (any order; extra columns are an error, so a typo is not silently
    /// ignored). Accepted as the released files write them: booleans `True` / `False` (also `true`,
    /// `false`, `1`, `0`), integers written with a zero fraction (`64.0`), `-1` for "not used" in the
    /// bit widths, threshold, increment and `topk`, and one trailing line whose first field is not
    /// a number and whose other fields are empty (the released files end with the path of the
    /// configuration that produced them). Counts must be ≥ 0, bit widths ≥ 1 or -1.
    public static func read(_ text: String) throws(TraceError) -> [SpAttenWorkloadRow] {
        var table = try CSVTable(text, allowed: Set(columns), required: columns, what: "a SpAtten workload")
        if let last = table.lines.last, isTrailer(last.text) { table.lines.removeLast() }
        var rows: [SpAttenWorkloadRow] = []
        rows.reserveCapacity(table.lines.count)
        for line in table.lines {
            let (number, fields, index) = (line.number, try table.fields(line), table.index)
            func field(_ name: String) -> Substring { fields[index[name]!] }
            func integer(_ name: String, allowUnused: Bool = false, minimum: Int = 0) throws(TraceError) -> Int {
                let text = field(name)
                if allowUnused, text == "-1" || text == "-1.0" { return -1 }
                let value: Int? = Int(text) ?? Double(text).flatMap { $0 == $0.rounded() && abs($0) < 1e15 ? Int($0) : nil }
                guard let value, value >= minimum else {
                    let expected = minimum > 0 ? "an integer ≥ \(minimum)" : "a non-negative integer"
                    throw TraceError(line: number, column: name, reason: "expected \(expected)\(allowUnused ? " or -1" : ""), got \"\(text)\"")
                }
                return value
            }
            func flag(_ name: String) throws(TraceError) -> Bool {
                switch field(name) {
                case "True", "true", "1": return true
                case "False", "false", "0": return false
                default: throw TraceError(line: number, column: name, reason: "expected True or False, got \"\(field(name))\"")
                }
            }
            func threshold() throws(TraceError) -> Double {
                let text = field("auto_requant_thres")
                guard let value = Double(text), value.isFinite, value >= 0 || value == -1 else {
                    throw TraceError(line: number, column: "auto_requant_thres", reason: "expected a probability ≥ 0 or -1, got \"\(text)\"")
                }
                return value
            }
            rows.append(SpAttenWorkloadRow(
                iteration: try integer("iteration_id"), layer: try integer("layer_id"), head: try integer("head_id"),
                headDim: try integer("embedding_length_D", minimum: 1), sentenceLength: try integer("sentence_length_L"),
                keysFetched: try integer("key_fetch_num"), keyBits: try integer("quant_key_bit", allowUnused: true, minimum: 1),
                queryBits: try integer("quant_query_bit", allowUnused: true, minimum: 1), requantThreshold: try threshold(),
                requantized: try flag("if_requant"), requantIncrement: try integer("auto_requant_incre", allowUnused: true, minimum: 1),
                valuesFetched: try integer("value_fetch_num"), valueBits: try integer("quant_value_bit", allowUnused: true, minimum: 1),
                accumulatesImportance: try flag("if_accumulate_importance"),
                rescalesPreviousImportance: try flag("if_rescale_previous_importance"), runsTopK: try flag("if_topk"),
                topK: try integer("topk", allowUnused: true)))
        }
        return rows
    }

    /// A released file's last line: a non-numeric first field (the configuration's path), the rest empty.
    static func isTrailer(_ line: Substring) -> Bool {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard let first = fields.first, !first.isEmpty, Double(first) == nil else { return false }
        return fields.dropFirst().allSatisfy(\.isEmpty)
    }
}
