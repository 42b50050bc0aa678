import ArgumentParser
import AttendModels
import AttendTokenizers
import Foundation

/// `attend tokenize`: token ids exactly as the model sees them.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids of each input line, space-separated, with [CLS] and [SEP].",
        discussion: "Lines are split on \\n (a trailing \\r is dropped); each line must be valid UTF-8. An empty line gives [CLS] [SEP].")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: ArgumentHelp("Read lines from this file instead of standard input.", valueName: "file"))
    var file: String?

    func run() throws {
        let directory = try options.resolve(task: .sst2)
        let tokenizer = try BertTokenizer(directory: directory)
        let maximum = try BertConfig.load(from: directory.appendingPathComponent("config.json")).maxPositionEmbeddings
        let source = file ?? "stdin"
        let bytes: Data
        if let file {
            do { bytes = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                throw CLIError("\(file): cannot read (\((error as NSError).localizedDescription))")
            }
        } else {
            bytes = FileHandle.standardInput.readDataToEndOfFile()
        }
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }  // the final newline ends the last line
        var out = ""
        for (i, raw) in lines.enumerated() {
            let lineBytes = raw.last == UInt8(ascii: "\r") ? raw.dropLast() : raw
            let text = try decodeUTF8(lineBytes, source: "\(source) line \(i + 1)")
            let ids: [Int]
            do { ids = try tokenizer.encode(text, maxLength: maximum, overflow: options.truncate ? .truncate : .error) } catch {
                throw CLIError("\(source) line \(i + 1): \(error)")
            }
            out += ids.map(String.init).joined(separator: " ") + "\n"
        }
        FileHandle.standardOutput.write(out.data(using: .utf8)!)
    }
}
