import AttendJSON
import Foundation

/// A Hugging Face `config.json` read as plain JSON, with typed accessors whose errors name the file
/// and the key (`ModelFileError.config…`). The decoder configurations (`LlamaConfig`, `GPT2Config`)
/// read their Hugging Face keys through it.
struct HFConfigFile {
    let path: String
    private let fields: [String: JSONValue]

    /// Reads and parses `url` (strict JSON; an object at the top level).
    init(url: URL) throws {
        path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ModelFileError.fileNotFound(path: path) }
        if isDirectory.boolValue { throw ModelFileError.fileUnreadable(path: path, reason: "is a directory") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ModelFileError.fileUnreadable(path: path, reason: error.localizedDescription) }
        let value: JSONValue
        do throws(JSONError) { value = try JSONParser.parse(data) } catch {
            throw ModelFileError.configNotJSON(path: path, detail: error.description)
        }
        guard case .object(let members) = value else {
            throw ModelFileError.configNotJSON(path: path, detail: "expected an object at the top level, found \(value.summary)")
        }
        var fields: [String: JSONValue] = [:]
        for (k, v) in members { fields[k] = v }  // last one wins, as in Python's json
        self.fields = fields
    }

    /// Whether `key` is present and not null.
    func contains(_ key: String) -> Bool { fields[key].map { !$0.isNull } ?? false }

    /// A required positive integer.
    func positiveInteger(_ key: String) throws -> Int {
        guard let v = try optionalInteger(key) else { throw ModelFileError.configMissingKey(path: path, key: key) }
        guard v > 0 else { throw ModelFileError.configInvalidValue(path: path, key: key, value: "\(v)", expected: "a positive integer") }
        return v
    }

    /// An integer, or nil when absent or null.
    func optionalInteger(_ key: String) throws -> Int? {
        guard let v = fields[key], !v.isNull else { return nil }
        guard let i = v.integer else { throw ModelFileError.configWrongType(path: path, key: key, expected: "an integer") }
        return i
    }

    /// A positive finite number, or `fallback` when absent.
    func positiveNumber(_ key: String, default fallback: Double) throws -> Double {
        guard let v = fields[key], !v.isNull else { return fallback }
        guard case .number(let text) = v, let x = Double(text) else {
            throw ModelFileError.configWrongType(path: path, key: key, expected: "a number")
        }
        guard x.isFinite, x > 0 else {
            throw ModelFileError.configInvalidValue(path: path, key: key, value: text, expected: "a positive finite number")
        }
        return x
    }

    /// A string, or `fallback` when absent.
    func string(_ key: String, default fallback: String?) throws -> String? {
        guard let v = fields[key], !v.isNull else { return fallback }
        guard case .string(let s) = v else { throw ModelFileError.configWrongType(path: path, key: key, expected: "a string") }
        return s
    }

    /// A boolean, or `fallback` when absent.
    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let v = fields[key], !v.isNull else { return fallback }
        guard case .bool(let b) = v else { throw ModelFileError.configWrongType(path: path, key: key, expected: "true or false") }
        return b
    }

    /// Throws unless the key is absent or null (for options this implementation does not provide,
    /// e.g. `rope_scaling`); `reason` says what was expected.
    func requireAbsent(_ key: String, reason: String) throws {
        if contains(key) { throw ModelFileError.configInvalidValue(path: path, key: key, value: fields[key]!.summary, expected: reason) }
    }
}
