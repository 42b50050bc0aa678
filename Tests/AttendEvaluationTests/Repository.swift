import AttendEvaluation
import Foundation

/// The repository checkout these tests were built from (Tests/AttendEvaluationTests/ → root):
/// the bundled models and dev sets live there.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func bundledModel(_ task: GLUETask) -> URL { repositoryRoot.appendingPathComponent("models/minilm-l6-\(task.rawValue)") }
func bundledDevSet(_ task: GLUETask) -> URL { repositoryRoot.appendingPathComponent("data/\(task.rawValue)/dev.tsv") }
/// The task's train file in ../shared beside the repository.
func sharedTrainSet(_ task: GLUETask) -> URL {
    repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/\(task.rawValue)/train.tsv")
}

/// A fresh temporary directory for one test.
func temporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("attend-\(name)-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
