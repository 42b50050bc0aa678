import ArgumentParser
import AttendWorkload
import Foundation

/// What `--trace` writes.
enum TraceFormat: String, ExpressibleByArgument, CaseIterable {
    /// Attend's trace CSV (`TraceCSV`).
    case attend
    /// SpAtten's released workload CSV (`SpAttenCSV`).
    case spatten
}

/// `--trace FILE [--trace-format attend|spatten]`: a run's attention records as CSV (`eval`, `perplexity`).
/// A pass is one sentence of an evaluation (data order) or one forward pass of a perplexity run (in
/// order over the chunks: a chunk's prompt pass, then each scored token's pass with --stepwise).
struct TraceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Write attention's workload records as CSV: one row per pass × layer × head (pass = 0-based sentence of eval in data order, or "
            + "forward pass of perplexity in order) with \(TraceCSV.columns.joined(separator: ", ")) (kept_blocks: the kept-block bitmap in hex, "
            + "HDP only).", valueName: "file"))
    var trace: String?

    @Option(name: .long, help: ArgumentHelp(
        "Format of --trace: attend (default; the columns above) or spatten (SpAtten's released workload CSV, SPEC §4.5: one row per head that ran, "
            + "iteration_id = pass; needs --attention spatten or a spatten plan).", valueName: "format"))
    var traceFormat: TraceFormat = .attend

    func validate() throws {
        if traceFormat != .attend && trace == nil { throw ValidationError("--trace-format applies to --trace") }
    }

    /// Writes records [pass][layer][head] to --trace (nothing without it).
    func write(_ workloads: [[[HeadWorkload]]]) throws {
        guard let path = trace else { return }
        let text: String
        switch traceFormat {
        case .attend: text = TraceCSV.text(workloads)
        case .spatten:
            let rows = SpAttenCSV.rows(workloads)
            if rows.isEmpty && !workloads.isEmpty { throw CLIError("\(path): --trace-format spatten needs --attention spatten (no head has a SpAtten record)") }
            text = SpAttenCSV.text(rows)
        }
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw CLIError("\(path): cannot write the trace (\((error as NSError).localizedDescription))")
        }
    }
}
