import ArgumentParser
import AttendModels
import AttendTokenizers
import Foundation

/// `attend tokenize`: token ids exactly as the model sees them.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids of each input line, space-separated.",
        discussion: """
            A BERT model directory gives WordPiece ids with [CLS] and [SEP] (an empty line gives [CLS] [SEP]). \
            A GPT-2 tokenizer directory (vocab.json + merges.txt, e.g. data/gpt2_bpe) gives byte-level BPE ids, \
            equal to Hugging Face's GPT2TokenizerFast, with no BOS (an empty line gives an empty line). \
            A GGUF file (e.g. models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf) gives the byte-level BPE ids of \
            the tokenizer in its metadata, with BOS only when the file's tokenizer.ggml.add_bos_token says so. \
            Lines are split on \\n (a trailing \\r is dropped); each line must be valid UTF-8.
            """)

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: ArgumentHelp("Read lines from this file instead of standard input.", valueName: "file"))
    var file: String?

    func run() throws {
        let directory = try options.resolve(task: .sst2)
        let encode = try encoder(directory)
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
            do { ids = try encode(text) } catch {
                throw CLIError("\(source) line \(i + 1): \(error)")
            }
            out += ids.map(String.init).joined(separator: " ") + "\n"
        }
        FileHandle.standardOutput.write(out.data(using: .utf8)!)
    }

    /// Text → ids for the tokenizer at `directory`: a GGUF file's (its metadata's byte-level BPE, BOS
    /// as the file asks), GPT-2's byte-level BPE when the directory holds vocab.json and merges.txt, else the BERT tokenizer (limited to the model's max_position_embeddings).
    private func encoder(_ directory: URL) throws -> (String) throws -> [Int] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            if options.truncate { throw CLIError("--truncate applies to BERT models; \(directory.path) is a GGUF file") }
            let bundle = try DecoderBundle.load(path: directory.path)
            guard let tokenizer = bundle.tokenizer else { throw CLIError("\(directory.path): no tokenizer in the file") }
            return { tokenizer.encode($0) }
        }
        let vocabJSON = directory.appendingPathComponent("vocab.json")
        let merges = directory.appendingPathComponent("merges.txt")
        if FileManager.default.fileExists(atPath: vocabJSON.path) && FileManager.default.fileExists(atPath: merges.path) {
            if options.truncate { throw CLIError("--truncate applies to BERT models; \(directory.path) is a byte-level BPE tokenizer") }
            let tokenizer = try ByteLevelBPETokenizer(vocabJSON: vocabJSON, merges: merges)
            return { tokenizer.encode($0) }
        }
        let tokenizer = try BertTokenizer(directory: directory)
        let maximum = try BertConfig.load(from: directory.appendingPathComponent("config.json")).maxPositionEmbeddings
        let overflow: OverflowPolicy = options.truncate ? .truncate : .error
        return { try tokenizer.encode($0, maxLength: maximum, overflow: overflow) }
    }
}
