import AttendTokenizers
import Foundation

/// A GLUE single-sentence classification task.
public enum GLUETask: String, CaseIterable, Sendable, Codable {
    /// Stanford Sentiment Treebank (binary); metric: accuracy. File: `sentence<TAB>label` with a header.
    case sst2
    /// Corpus of Linguistic Acceptability; metrics: Matthews correlation and accuracy.
    /// File: 4 tab-separated columns, no header: source, label, original mark, sentence.
    case cola
}

/// One labelled example of a GLUE dev or train file.
public struct LabeledSentence: Sendable, Equatable {
    public var text: String
    public var label: Int

    public init(text: String, label: Int) {
        self.text = text
        self.label = label
    }
}

/// Errors reading a data file; each names the file and line.
public enum DataError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case malformedRow(file: String, line: Int, expected: String)
    case invalidLabel(file: String, line: Int, found: String)
    case empty(file: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read data file (\(reason))"
        case let .malformedRow(file, line, expected): return "\(file):\(line): malformed row, expected \(expected)"
        case let .invalidLabel(file, line, found): return "\(file):\(line): label '\(found)' is not 0 or 1"
        case let .empty(file): return "\(file): no examples"
        }
    }
}

extension GLUETask {
    /// Reads a GLUE file of this task (format in the case's documentation). Lines are split on
    /// "\n" (a trailing "\r" is dropped); every line must be valid UTF-8.
    public func load(_ url: URL) throws -> [LabeledSentence] {
        let file = url.path
        let bytes: Data
        do { bytes = try Data(contentsOf: url) } catch {
            throw DataError.unreadable(file: file, reason: (error as NSError).localizedDescription)
        }
        var examples: [LabeledSentence] = []
        var lineNumber = 0
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let lineBytes = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
            if lineBytes.isEmpty { continue }
            let line = try decodeUTF8(lineBytes, source: "\(file):\(lineNumber)")
            if self == .sst2 && lineNumber == 1 && line.hasPrefix("sentence\t") { continue }
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let (text, labelField): (String, String)
            switch self {
            case .sst2:
                guard columns.count >= 2 else { throw DataError.malformedRow(file: file, line: lineNumber, expected: "sentence<TAB>label") }
                (text, labelField) = (columns.dropLast().joined(separator: "\t"), columns[columns.count - 1])
            case .cola:
                guard columns.count == 4 else {
                    throw DataError.malformedRow(file: file, line: lineNumber, expected: "4 tab-separated columns: source, label, mark, sentence")
                }
                (text, labelField) = (columns[3], columns[1])
            }
            guard let label = Int(labelField.trimmingCharacters(in: .whitespaces)), label == 0 || label == 1 else {
                throw DataError.invalidLabel(file: file, line: lineNumber, found: labelField)
            }
            examples.append(LabeledSentence(text: text, label: label))
        }
        if examples.isEmpty { throw DataError.empty(file: file) }
        return examples
    }
}
