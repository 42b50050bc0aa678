import Foundation

/// A per-process scratch directory under the temporary directory, for readers that take a path:
/// each input is written to a file there before it is parsed (the same file every time).
public enum Scratch {
    /// `<tmp>/attend-fuzz-<pid>`, created on first use.
    public static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("attend-fuzz-\(getpid())")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Writes `bytes` to `directory/name` (replacing it) and returns its URL.
    public static func write(_ bytes: UnsafeRawBufferPointer, name: String) -> URL {
        let url = directory.appendingPathComponent(name)
        try! Data(bytes).write(to: url)
        return url
    }

    /// The input as a buffer (libFuzzer passes a null pointer for the empty input).
    public static func buffer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size)
    }

    /// Splits the input at its first NUL byte (`before`, `after`); the whole input and nothing when
    /// there is none. Targets that read two files take them this way.
    public static func split(_ bytes: UnsafeRawBufferPointer) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer) {
        guard let i = bytes.firstIndex(of: 0) else { return (bytes, UnsafeRawBufferPointer(start: nil, count: 0)) }
        return (UnsafeRawBufferPointer(rebasing: bytes[..<i]), UnsafeRawBufferPointer(rebasing: bytes[(i + 1)...]))
    }

    /// The committed file at `path` relative to the repository root (this package's parent).
    public static func repositoryFile(_ path: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(path)
    }
}
