import AttendJSON

/// A hardware configuration file that cannot be used: the file, the key (dotted path) and why.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var key: String
    public var reason: String

    public init(file: String, key: String, reason: String) { (self.file, self.key, self.reason) = (file, key, reason) }

    public var description: String { "\(file): \(key): \(reason)" }
}

/// A number from a configuration file with the source it cites.
public struct Sourced: Sendable, Equatable, Codable {
    public var value: Double
    public var source: String

    public init(_ value: Double, source: String) { (self.value, self.source) = (value, source) }
}

/// Reads one JSON object of a configuration file strictly.
///
/// A quantity is written `"key": {"value": 128, "source": "…"}`, or as a bare number when its
/// object has a `"source"` for all its members. Units are part of key names (`frequency_mhz`,
/// `sram_kib`, `dram_gbps`, `…_pj`); a key given in another unit (`frequency_ghz` where
/// `frequency_mhz` is read) is an error naming both. Every key must be read: `finish()` rejects
/// unknown keys, so a typo is an error, not a silent default.
struct ConfigReader {
    let file: String, path: String
    let members: [(key: String, value: JSONValue)]
    let blockSource: String?
    private(set) var read: Set<String> = ["source", "name", "description"]
    /// The source of every quantity read so far, by key (what a configuration keeps as `sources`).
    private(set) var sources: [String: String] = [:]

    init(_ value: JSONValue, file: String, path: String = "", inheritedSource: String? = nil) throws(ConfigError) {
        guard case let .object(members) = value else {
            throw ConfigError(file: file, key: path.isEmpty ? "(top level)" : path, reason: "expected an object, got \(value.typeName)")
        }
        (self.file, self.path, self.members) = (file, path, members)
        var seen: Set<String> = []
        for member in members where !seen.insert(member.key).inserted {
            throw ConfigError(file: file, key: Self.join(path, member.key), reason: "appears twice")
        }
        if case let .string(source)? = members.first(where: { $0.key == "source" })?.value { blockSource = source } else { blockSource = inheritedSource }
    }

    /// Unit suffixes of key names.
    static let units: Set<String> = ["hz", "khz", "mhz", "ghz", "b", "bytes", "kb", "kib", "mb", "mib", "gb", "gib", "mbps", "gbps", "tbps",
                                     "fj", "pj", "nj", "nm", "um", "v", "mv", "bits", "ns", "us", "ms", "s", "cycles"]

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func error(_ key: String, _ reason: String) -> ConfigError { ConfigError(file: file, key: Self.join(path, key), reason: reason) }

    /// The member `key`; a missing key is an error, naming a same-quantity key in another unit if present.
    mutating func member(_ key: String) throws(ConfigError) -> JSONValue {
        read.insert(key)
        if let value = members.first(where: { $0.key == key })?.value { return value }
        if let cut = key.lastIndex(of: "_"), Self.units.contains(String(key[key.index(after: cut)...])) {
            let stem = key[..<key.index(after: cut)]
            if let other = members.first(where: { $0.key.hasPrefix(stem) && $0.key != key && Self.units.contains(String($0.key.dropFirst(stem.count))) }) {
                throw error(key, "missing; found \"\(other.key)\" — wrong unit: this quantity is read in \(key[key.index(after: cut)...])")
            }
        }
        throw error(key, "missing")
    }

    /// A number ≥ `minimum` with its source (the member's own or the block's).
    mutating func quantity(_ key: String, minimum: Double = 0, integer: Bool = false) throws(ConfigError) -> Sourced {
        let value = try member(key)
        var number: JSONValue = value, source: String? = blockSource
        if case .object = value {
            var inner = try ConfigReader(value, file: file, path: Self.join(path, key))
            number = try inner.member("value")
            guard case let .string(text)? = inner.members.first(where: { $0.key == "source" })?.value, !text.isEmpty else {
                throw error(key, "needs a \"source\" (paper and section, or \"assumed: …\" with the reason)")
            }
            source = text
            try inner.finish()
        }
        guard case let .number(text) = number, let v = Double(text), v.isFinite else { throw error(key, "expected a finite number, got \(number.summary)") }
        guard let source else { throw error(key, "needs a \"source\" (its own or its block's)") }
        guard v >= minimum else { throw error(key, "must be ≥ \(minimum.formatted), got \(text)") }
        guard !integer || v == v.rounded() else { throw error(key, "expected an integer, got \(text)") }
        sources[key] = source
        return Sourced(v, source: source)
    }

    /// A number ≥ `minimum` (its source recorded in `sources`).
    mutating func number(_ key: String, minimum: Double = 0) throws(ConfigError) -> Double {
        try quantity(key, minimum: minimum).value
    }

    /// A whole number in `minimum...Int32.max`: the models multiply counts together (array rows ×
    /// columns, KiB × 1024 × bits), so a larger one would overflow their arithmetic (the `hardware`
    /// fuzz target's finding: an SRAM size of 7.8e66 KiB trapped in the conversion to Int).
    mutating func count(_ key: String, minimum: Int = 1) throws(ConfigError) -> Int {
        let v = try quantity(key, minimum: Double(minimum), integer: true).value
        guard v <= Double(Int32.max) else { throw error(key, "must be ≤ \(Int32.max), got \(v.formatted)") }
        return Int(v)
    }

    mutating func string(_ key: String) throws(ConfigError) -> String {
        let value = try member(key)
        guard case let .string(text) = value else { throw error(key, "expected a string, got \(value.summary)") }
        return text
    }

    /// The nested object `key`, sources inherited from this block.
    mutating func object(_ key: String) throws(ConfigError) -> ConfigReader {
        try ConfigReader(try member(key), file: file, path: Self.join(path, key), inheritedSource: blockSource)
    }

    /// Rejects keys nothing read.
    func finish() throws(ConfigError) {
        if let unknown = members.first(where: { !read.contains($0.key) }) { throw error(unknown.key, "unknown key") }
    }

    /// Parses a whole file's text into the reader of its top-level object.
    static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigReader {
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch { throw ConfigError(file: file, key: "(file)", reason: "not valid JSON: \(error)") }
        return try ConfigReader(value, file: file)
    }
}

extension Double {
    /// Integers without a fraction ("64"), others as Swift prints them.
    var formatted: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}
