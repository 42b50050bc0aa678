import AttendEvaluation
import Foundation
import Testing

@Suite("GLUE data files")
struct GLUEDataTests {
    @Test("the bundled dev sets load with their sizes and both labels")
    func devSets() throws {
        let sst2 = try GLUETask.sst2.load(bundledDevSet(.sst2))
        let cola = try GLUETask.cola.load(bundledDevSet(.cola))
        #expect(sst2.count == 872)
        #expect(cola.count == 1043)
        #expect(Set(sst2.map(\.label)) == [0, 1])
        #expect(Set(cola.map(\.label)) == [0, 1])
        #expect(!sst2.contains { $0.text.isEmpty || $0.text.contains("\t") })
    }

    @Test("the held-out SST-2 calibration split is whole sentences of train, none of them in dev",
          .enabled(if: FileManager.default.fileExists(atPath: sharedTrainSet(.sst2).path), "../shared/data/sst2/train.tsv is not on this machine"))
    func calibrationSplitFile() throws {
        let calibration = try GLUETask.sst2.load(repositoryRoot.appendingPathComponent("data/sst2/calibration.tsv"))
        let train = Set(try GLUETask.sst2.load(sharedTrainSet(.sst2)).map { "\($0.label) \($0.text)" })
        let dev = Set(try GLUETask.sst2.load(bundledDevSet(.sst2)).map(\.text))
        #expect(calibration.count > 3000 && Set(calibration.map(\.label)) == [0, 1])
        #expect(calibration.allSatisfy { train.contains("\($0.label) \($0.text)") }, "every row is a train row with its label")
        #expect(!calibration.contains { dev.contains($0.text) }, "no dev sentence")
        #expect(calibration.allSatisfy { [".", "!", "?"].contains($0.text.trimmingCharacters(in: .whitespaces).last.map(String.init)) })
    }

    /// Writes `bytes` to a file and returns the error loading it as `task` raises.
    private func loadError(_ task: GLUETask, _ bytes: [UInt8]) throws -> String {
        let url = try temporaryDirectory("glue").appendingPathComponent("data.tsv")
        try Data(bytes).write(to: url)
        do {
            _ = try task.load(url)
            Issue.record("\(task) loaded a bad file")
            return ""
        } catch {
            let message = String(describing: error)
            #expect(message.contains(url.path), "the message names the file: \(message)")
            return message
        }
    }

    @Test("bad files give errors naming the file and line")
    func badFiles() throws {
        #expect(try loadError(.sst2, Array("sentence\tlabel\ngood movie\t1\nno label here\n".utf8)).contains(":3: malformed row"))
        #expect(try loadError(.sst2, Array("sentence\tlabel\ngood movie\t2\n".utf8)).contains(":2: label '2'"))
        #expect(try loadError(.sst2, Array("sentence\tlabel\n".utf8)).contains("no examples"))
        #expect(try loadError(.cola, Array("gj04\t1\t\tA sentence.\nonly\ttwo\n".utf8)).contains(":2: malformed row"))
        #expect(try loadError(.cola, Array("gj04\tyes\t\tA sentence.\n".utf8)).contains(":1: label 'yes'"))
        let invalidUTF8 = Array("sentence\tlabel\ngood\t1\n".utf8) + [0x62, 0xC3, 0x28, 0x09, 0x31, 0x0A]
        #expect(try loadError(.sst2, invalidUTF8).contains(":3"))
    }

    @Test("a missing file is reported as unreadable, with its path")
    func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/attend/dev.tsv")
        #expect {
            try GLUETask.sst2.load(url)
        } throws: { error in
            guard case .unreadable(let file, _) = error as? DataError else { return false }
            return file == url.path
        }
    }

    @Test("CRLF line ends and a missing final newline are accepted")
    func lineEnds() throws {
        let url = try temporaryDirectory("glue").appendingPathComponent("crlf.tsv")
        try Data("sentence\tlabel\r\nfine\t1\r\nbad\t0".utf8).write(to: url)
        #expect(try GLUETask.sst2.load(url) == [LabeledSentence(text: "fine", label: 1), LabeledSentence(text: "bad", label: 0)])
    }
}
