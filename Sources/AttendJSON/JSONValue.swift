/// A parsed JSON value, as written in the document.
///
/// Numbers keep their literal text, so an integer of any size is read exactly and callers decide
/// how to convert it (see ``integer``). Object members keep file order and duplicates, so each
/// caller chooses its own rule for repeated keys: report them, keep the first (``subscript(_:)``)
/// or let the last win.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// A number's literal text, e.g. `-12`, `0.5`, `1e-12`, `123456789012345678901234567890`.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in file order, duplicate keys kept.
    case object([(key: String, value: JSONValue)])

    /// The first member named `key` of an object; nil when absent or when `self` is not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    /// Whether the value is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value of a number written as an integer (no fraction, no exponent) that fits in `Int`;
    /// nil for anything else, including integers too large for `Int` (their text is in
    /// ``number(_:)``).
    public var integer: Int? {
        guard case .number(let text) = self else { return nil }
        return Self.integer(text)
    }

    /// The value of the number literal `text` when it is an integer (no fraction, no exponent)
    /// that fits in `Int`, else nil.
    public static func integer(_ text: String) -> Int? {
        guard !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else { return nil }
        return Int(text)
    }

    /// The value's type with an article, for messages: "null", "a boolean", "a number",
    /// "a string", "an array", "an object".
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// A short description naming the value, for messages: "the number 12", "the string "abc""
    /// (cut after 40 characters), "an array of 3", "an object", "true", "null".
    public var summary: String {
        switch self {
        case .object: return "an object"
        case .array(let a): return "an array of \(a.count)"
        case .string(let s): return "the string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case .number(let t): return "the number \(t)"
        case .bool(let b): return "\(b)"
        case .null: return "null"
        }
    }
}

extension JSONValue: Equatable {
    /// Structural equality: numbers compare by literal text (`1.0` ≠ `1`), objects member by
    /// member in order (duplicates included).
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }
}
