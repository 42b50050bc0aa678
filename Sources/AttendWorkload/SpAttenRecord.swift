/// What SpAtten's method did for one head, beyond the generic record: its row of the released
/// workload CSV (SPEC §4.5) and the per-row requantization count the CSV's one flag summarises.
public struct SpAttenRecord: Sendable, Equatable {
    /// The head's CSV row (`iteration` 0 until a decoder numbers its iterations).
    public var row: SpAttenWorkloadRow
    /// Probability rows the head computed (its queries).
    public var rows: Int
    /// Rows whose maximum probability fell below the threshold, so were recomputed with the K LSBs.
    public var requantizedRows: Int

    public init(row: SpAttenWorkloadRow, rows: Int, requantizedRows: Int) {
        (self.row, self.rows, self.requantizedRows) = (row, rows, requantizedRows)
    }
}

extension SpAttenCSV {
    /// The SpAtten rows of records [iteration][layer][head], in that order, with each row's
    /// `iteration_id` set to its iteration (a sentence of an encoder run, or a decoder pass: 0 the
    /// prompt, then one per generated token). Heads without a SpAtten record (pruned heads, or
    /// other methods) give no row, as in the released workloads.
    public static func rows(_ workloads: [[[HeadWorkload]]]) -> [SpAttenWorkloadRow] {
        var rows: [SpAttenWorkloadRow] = []
        for (iteration, layers) in workloads.enumerated() {
            for heads in layers {
                for record in heads {
                    guard var row = record.spatten?.row else { continue }
                    row.iteration = iteration
                    rows.append(row)
                }
            }
        }
        return rows
    }
}
