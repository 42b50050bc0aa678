import Foundation

/// An attention method and its settings, as `--attention …` options or a JSON plan file give them:
/// `{"method": "tiled"}`, `{"method": "window", "windows": [4, 4, 8, 8, 16, 16], "cls_attends_all": true}`,
/// `{"method": "tiled", "softmax": "lut", "lut": {"integer_bits": 4, "fraction_bits": 8, "lsb_bits": 6}}`.
public struct AttentionPlan: Codable, Sendable, Equatable {
    /// `dense`, `tiled` or `window`.
    public var method: String
    /// Per-layer window half-widths W_l (method `window`; one value applies to every layer).
    public var windows: [Int]?
    /// Whether [CLS] attends every key (method `window`; default true).
    public var clsAttendsAll: Bool?
    /// `exact` (default) or `lut` (ReBERT's table exponential, any method).
    public var softmax: String?
    /// Table sizes of the LUT softmax (defaults: 4 integer bits, 8 fraction bits, 6 LSB bits).
    public var lut: LUTSettings?

    public struct LUTSettings: Codable, Sendable, Equatable {
        public var integerBits: Int?, fractionBits: Int?, lsbBits: Int?
        enum CodingKeys: String, CodingKey {
            case integerBits = "integer_bits", fractionBits = "fraction_bits", lsbBits = "lsb_bits"
        }
        public init(integerBits: Int? = nil, fractionBits: Int? = nil, lsbBits: Int? = nil) {
            (self.integerBits, self.fractionBits, self.lsbBits) = (integerBits, fractionBits, lsbBits)
        }
    }

    enum CodingKeys: String, CodingKey {
        case method, windows, softmax, lut
        case clsAttendsAll = "cls_attends_all"
    }

    /// Method names a plan may use.
    public static let methods = ["dense", "tiled", "window"]

    public init(method: String, windows: [Int]? = nil, clsAttendsAll: Bool? = nil, softmax: String? = nil, lut: LUTSettings? = nil) {
        self.method = method
        self.windows = windows
        self.clsAttendsAll = clsAttendsAll
        self.softmax = softmax
        self.lut = lut
    }

    /// The table exponential the plan asks for (nil for the exact softmax).
    public func lutExp() throws -> LUTExp? {
        switch softmax ?? "exact" {
        case "exact": return nil
        case "lut":
            let i = lut?.integerBits ?? 4, f = lut?.fractionBits ?? 8, l = lut?.lsbBits ?? 6
            guard i >= 0, f >= 0, l >= 0, l <= i + f, i + f <= 24 else {
                throw AttentionPlanError.badSetting(setting: "lut", reason: "need integer_bits, fraction_bits, lsb_bits ≥ 0, lsb_bits ≤ integer_bits + fraction_bits ≤ 24; got \(i), \(f), \(l)")
            }
            return LUTExp(integerBits: i, fractionBits: f, lsbBits: l)
        case let other: throw AttentionPlanError.badSetting(setting: "softmax", reason: "expected exact or lut, got '\(other)'")
        }
    }

    /// Reads a plan file's JSON (`source` names it in errors).
    public static func load(json: Data, source: String) throws -> AttentionPlan {
        do { return try JSONDecoder().decode(AttentionPlan.self, from: json) } catch {
            throw AttentionPlanError.malformed(source, "expected a JSON object with a string field \"method\" and the method's settings (\(error))")
        }
    }

    /// The method this plan describes, for a model of `layers` layers (a single window applies to all).
    public func makeMethod(layers: Int) throws -> any AttentionMethod {
        switch method {
        case "dense": return DenseMethod(softmax: try lutExp())
        case "tiled": return TiledMethod(softmax: try lutExp())
        case "window":
            guard let windows, !windows.isEmpty else { throw AttentionPlanError.missingSetting(method: method, setting: "windows") }
            guard windows.allSatisfy({ $0 >= 0 }) else { throw AttentionPlanError.badSetting(setting: "windows", reason: "window sizes must be ≥ 0, got \(windows)") }
            let method = WindowMethod(windows: windows.count == 1 ? Array(repeating: windows[0], count: layers) : windows,
                                      clsAttendsAll: clsAttendsAll ?? true, softmax: try lutExp())
            try method.check(layers: layers)
            return method
        default: throw AttentionPlanError.unknownMethod(method, known: Self.methods)
        }
    }
}

/// Errors choosing an attention method.
public enum AttentionPlanError: Error, CustomStringConvertible, Equatable {
    case unknownMethod(String, known: [String])
    case malformed(String, String)
    case missingSetting(method: String, setting: String)
    case badSetting(setting: String, reason: String)
    case layerCount(windows: Int, layers: Int)

    public var description: String {
        switch self {
        case let .unknownMethod(name, known): return "unknown attention method '\(name)'; expected one of \(known.joined(separator: ", "))"
        case let .malformed(source, reason): return "\(source): invalid attention plan: \(reason)"
        case let .missingSetting(method, setting): return "attention method '\(method)' needs '\(setting)'"
        case let .badSetting(setting, reason): return "invalid '\(setting)': \(reason)"
        case let .layerCount(windows, layers): return "the plan gives \(windows) windows but the model has \(layers) layers (give one per layer, or one for all)"
        }
    }
}
