/// A trace CSV cut into its header and data lines (no quoting: Attend's and SpAtten's traces have
/// none), with the checks both readers share; errors are `TraceError`s naming the 1-based line and
/// the column.
struct CSVTable {
    /// Column name → field index, from the header row.
    let index: [String: Int]
    /// The data lines after the header, with their 1-based line numbers (trailing empty lines dropped).
    var lines: [(number: Int, text: Substring)]
    private let width: Int

    /// Reads the header: every name once, each in `allowed` (nil: any name), each of `required` present.
    /// Lines end in "\n" or "\r\n".
    init(_ text: String, allowed: Set<String>?, required: some Sequence<String>, what: String) throws(TraceError) {
        // "\r\n" is one Character in Swift: split on either line ending.
        var all = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        while all.last?.isEmpty == true { all.removeLast() }
        guard let header = all.first else { throw TraceError(line: 1, column: "-", reason: "empty file, expected the header row") }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() {
            if index[name] != nil { throw TraceError(line: 1, column: name, reason: "column appears twice") }
            if let allowed, !allowed.contains(name) { throw TraceError(line: 1, column: name, reason: "not \(what) column") }
            index[name] = i
        }
        for name in required where index[name] == nil { throw TraceError(line: 1, column: name, reason: "missing column") }
        (self.index, width) = (index, names.count)
        lines = all.dropFirst().enumerated().map { (number: $0 + 2, text: $1) }
    }

    /// The fields of a data line; throws unless there is one per header column.
    func fields(_ line: (number: Int, text: Substring)) throws(TraceError) -> [Substring] {
        let fields = line.text.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == width else { throw TraceError(line: line.number, column: "-", reason: "\(fields.count) fields, expected \(width)") }
        return fields
    }
}
