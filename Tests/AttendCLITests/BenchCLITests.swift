import AttendJSON
import Foundation
import Testing

@Suite("attend bench")
struct BenchCLITests {
    @Test("--rounds N repeats every measurement N times, numbered 1…N in the JSON lines")
    func rounds() throws {
        let run = try attend(["bench", "--what", "sgemm", "--threads", "1", "--no-peers", "--rounds", "2", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try run.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(lines.count == 6)  // 3 shapes × 2 rounds
        for (index, line) in lines.enumerated() {
            #expect(line["round"]?.integer == index / 3 + 1)
            #expect(line["name"] == .string("sgemm"))
        }
        #expect(run.stderr.contains("round 2 of 2"))
    }

    @Test("the table of several rounds has one row per case")
    func roundsTable() throws {
        let run = try attend(["bench", "--what", "sgemm", "--threads", "1", "--no-peers", "--rounds", "3"])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = run.stdout.split(separator: "\n").filter { $0.hasPrefix("| sgemm") }
        #expect(rows.count == 3)
    }

    @Test("--rounds 0 is a usage error")
    func zeroRounds() throws {
        let run = try attend(["bench", "--rounds", "0", "--no-peers"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--rounds"))
    }

    @Test("bench int8 --rounds N: every measurement N times, numbered; --rounds 0 is a usage error")
    func int8Rounds() throws {
        let run = try attend(["bench", "int8", "--what", "gemm", "--threads", "1", "--no-peers", "--rounds", "2", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try run.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(lines.count == 16)  // 4 shapes × (attend-int8, attend-int32) × 2 rounds
        for (index, line) in lines.enumerated() {
            #expect(line["round"]?.integer == index / 8 + 1)
            #expect(line["name"] == .string("int8-gemm"))
        }
        #expect(run.stderr.contains("round 2 of 2"))
        let zero = try attend(["bench", "int8", "--rounds", "0", "--no-peers"])
        #expect(zero.status == 64 && zero.stderr.contains("--rounds"), "\(zero.stderr)")
    }

    @Test("bench int8's table gives the integer-only path's own ratios: Float32 over integer, from the same round's times")
    func integerRatios() throws {
        let run = try attend(["bench", "int8", "--what", "forward", "--seqs", "8", "--threads", "1", "--no-peers", "--repeats", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
        let header = try #require(lines.first), row = try #require(lines.first { $0.first?.hasPrefix("bert-base-forward seq 8") == true })
        let column = { (name: String) in try #require(header.firstIndex(of: name), "no column \(name) in \(header)") }
        let number = { (cell: String) in try #require(Double(cell.prefix { $0.isNumber || $0 == "." }), "not a number: \(cell)") }
        let (f32, integer) = (try number(row[try column("attend ms")]), try number(row[try column("attend-integer ms")]))
        #expect(abs(try number(row[try column("attend/attend-integer")]) - f32 / integer) <= 0.006, "\(row)")
    }
}
