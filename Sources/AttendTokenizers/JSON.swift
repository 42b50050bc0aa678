import AttendJSON
import Foundation

// tokenizer.json and tokenizer_config.json are read with the strict parser of AttendJSON. Object
// members keep file order and duplicates, so the loader can report a duplicate vocabulary token
// instead of silently keeping one; syntax errors are reported by line and column.

/// Reads and parses a JSON file, mapping every failure to a ``TokenizerError`` naming the file.
func readJSONFile(_ url: URL, expected: String) throws -> JSONValue {
    let bytes = try readFile(url, expected: expected)
    return try bytes.withUnsafeBytes { buffer in
        do throws(JSONError) {
            return try JSONParser.parse(buffer, maxDepth: 256)
        } catch {
            if case .invalidUTF8(let reason) = error.kind {
                throw TokenizerError.invalidUTF8(source: url.path, offset: error.offset, reason: reason)
            }
            var line = 1
            var lineStart = 0
            for k in 0..<min(error.offset, buffer.count) where buffer[k] == 0x0A {
                line += 1
                lineStart = k + 1
            }
            throw TokenizerError.malformedJSON(path: url.path, line: line, column: error.offset - lineStart + 1,
                                               expected: error.expected)
        }
    }
}
