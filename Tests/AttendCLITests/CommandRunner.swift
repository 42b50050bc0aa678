import Foundation

/// Runs the built `attend` executable as a user would, capturing its exit code and output.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// The repository root (Tests/AttendCLITests/ → root).
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `attend` next to the test bundle in the build products directory.
let attendExecutable: URL = {
    var dir = Bundle.main.bundleURL
    for _ in 0..<3 {
        let candidate = dir.appendingPathComponent("attend")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir.deleteLastPathComponent()
    }
    fatalError("the attend executable is not in the build products next to \(Bundle.main.bundleURL.path)")
}()

func attend(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws -> CommandResult {
    let process = Process()
    process.executableURL = attendExecutable
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.currentDirectoryURL = repositoryRoot
    let (out, err, input) = (Pipe(), Pipe(), Pipe())
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    input.fileHandleForWriting.write(stdin ?? Data())
    try input.fileHandleForWriting.close()
    // Read both pipes before waiting so a large output cannot block the child.
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    let stderrData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: stdoutData, as: UTF8.self),
                         stderr: String(decoding: stderrData, as: UTF8.self))
}

/// A fresh temporary directory for one test.
func temporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("attend-cli-\(name)-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A copy of the bundled SST-2 model directory whose `model.safetensors` is replaced by `weights`.
func modelDirectory(withWeights weights: Data) throws -> URL {
    let source = repositoryRoot.appendingPathComponent("models/minilm-l6-sst2")
    let dir = try temporaryDirectory("model")
    for name in ["config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"] {
        try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
    }
    try weights.write(to: dir.appendingPathComponent("model.safetensors"))
    return dir
}
