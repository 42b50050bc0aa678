import Foundation

/// An attention method and its settings, as `--attention …` options or a JSON plan file give them:
/// `{"method": "tiled"}`, `{"method": "window", "windows": [4, 4, 8, 8, 16, 16], "cls_attends_all": true}`,
/// `{"method": "tiled", "softmax": "lut", "lut": {"integer_bits": 4, "fraction_bits": 8, "lsb_bits": 6}}`,
/// `{"method": "hdp", "block_size": 2, "block_ratio": 0.3, "head_threshold": 4, "approximate": true, "softmax": "polynomial"}`,
/// `{"method": "spatten", "token_ratio": 0.2, "token_ratio_start": 0.1, "head_ratio": 0.25, "value_ratio": 0.5,
/// "quantization": {"key_bits": 6, "lsb_bits": 4, "threshold": 0.1, "granularity": "head"}}` (granularity `token`: a
/// scale per token, so a decoder keeps its KV cache as codes).
/// Keys other than these (and a search's `search` record) are rejected, so a misspelt setting is
/// an error rather than silently ignored.
public struct AttentionPlan: Codable, Sendable, Equatable {
    /// `dense`, `tiled`, `window`, `hdp` or `spatten`.
    public var method: String
    /// Per-layer window half-widths W_l (method `window`; one value applies to every layer).
    public var windows: [Int]?
    /// Whether [CLS] attends every key (method `window`; default true).
    public var clsAttendsAll: Bool?
    /// `exact` (default) or `lut` (ReBERT's table exponential) for dense, tiled and window;
    /// `polynomial` (default) or `exact` for hdp.
    public var softmax: String?
    /// Table sizes of the LUT softmax (defaults: 4 integer bits, 8 fraction bits, 6 LSB bits).
    public var lut: LUTSettings?

    /// HDP (method `hdp`): block size (default 2), row-balanced ratio ρ_B ∈ [−1, 1] (default 0) or
    /// the Top-K baseline's kept fraction of blocks per row, τ_H (default 0: no head pruned) or the
    /// magnitude baseline's fraction of heads, the integer/fraction approximation (default true), and
    /// the fixed-point format (default 16 bits, 8 fractional).
    public var blockSize: Int?
    public var blockRatio: Double?
    public var topK: Double?
    public var headThreshold: Double?
    public var magnitudeHeads: Double?
    public var approximate: Bool?
    public var fixedPoint: FixedPointSettings?

    /// SpAtten (method `spatten`, `SpAttenSchedule`): average and first token-pruning ratio r_avg,
    /// r_start (default r_avg), the reference length above which inputs are pruned harder (default
    /// none), the head-pruning ratio, the local value-pruning ratio, and progressive quantization
    /// (absent: full precision). All ratios default to 0.
    public var tokenRatio: Double?
    public var tokenRatioStart: Double?
    public var referenceLength: Int?
    public var headRatio: Double?
    public var valueRatio: Double?
    public var quantization: ProgressiveQuantization?
    /// SpAtten in decoders: tokens before the newest that KV-cache pruning keeps (default
    /// `SpAttenMethod.defaultRecentWindow`).
    public var recentWindow: Int?

    public struct FixedPointSettings: Codable, Sendable, Equatable {
        public var totalBits: Int?, fractionBits: Int?
        enum CodingKeys: String, CodingKey { case totalBits = "total_bits", fractionBits = "fraction_bits" }
        public init(totalBits: Int? = nil, fractionBits: Int? = nil) { (self.totalBits, self.fractionBits) = (totalBits, fractionBits) }
    }

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
        case method, windows, softmax, lut, approximate
        case clsAttendsAll = "cls_attends_all", blockSize = "block_size", blockRatio = "block_ratio", topK = "top_k"
        case headThreshold = "head_threshold", magnitudeHeads = "magnitude_heads", fixedPoint = "fixed_point"
        case tokenRatio = "token_ratio", tokenRatioStart = "token_ratio_start", referenceLength = "reference_length"
        case headRatio = "head_ratio", valueRatio = "value_ratio", quantization, recentWindow = "recent_window"
    }

    /// Method names a plan may use.
    public static let methods = ["dense", "tiled", "window", "hdp", "spatten"]

    /// Top-level keys a plan file may hold: the settings above and a search's record.
    static let keys: Set<String> = [
        "method", "windows", "softmax", "lut", "approximate", "cls_attends_all", "block_size", "block_ratio", "top_k",
        "head_threshold", "magnitude_heads", "fixed_point", "token_ratio", "token_ratio_start", "reference_length", "head_ratio",
        "value_ratio", "quantization", "recent_window", "search",
    ]

    public init(method: String, windows: [Int]? = nil, clsAttendsAll: Bool? = nil, softmax: String? = nil, lut: LUTSettings? = nil,
                blockSize: Int? = nil, blockRatio: Double? = nil, topK: Double? = nil, headThreshold: Double? = nil,
                magnitudeHeads: Double? = nil, approximate: Bool? = nil, fixedPoint: FixedPointSettings? = nil,
                tokenRatio: Double? = nil, tokenRatioStart: Double? = nil, referenceLength: Int? = nil, headRatio: Double? = nil,
                valueRatio: Double? = nil, quantization: ProgressiveQuantization? = nil) {
        (self.tokenRatio, self.tokenRatioStart, self.referenceLength) = (tokenRatio, tokenRatioStart, referenceLength)
        (self.headRatio, self.valueRatio, self.quantization) = (headRatio, valueRatio, quantization)
        (self.blockSize, self.blockRatio, self.topK, self.headThreshold) = (blockSize, blockRatio, topK, headThreshold)
        (self.magnitudeHeads, self.approximate, self.fixedPoint) = (magnitudeHeads, approximate, fixedPoint)
        self.method = method
        self.windows = windows
        self.clsAttendsAll = clsAttendsAll
        self.softmax = softmax
        self.lut = lut
    }

    /// The first HDP-only setting present, if any.
    private var hdpSettingGiven: String? {
        let given: [(String, Bool)] = [("block_size", blockSize != nil), ("block_ratio", blockRatio != nil), ("top_k", topK != nil),
                                       ("head_threshold", headThreshold != nil), ("magnitude_heads", magnitudeHeads != nil),
                                       ("approximate", approximate != nil), ("fixed_point", fixedPoint != nil)]
        return given.first { $0.1 }?.0
    }

    /// The first SpAtten-only setting present, if any.
    private var spattenSettingGiven: String? {
        let given: [(String, Bool)] = [("token_ratio", tokenRatio != nil), ("token_ratio_start", tokenRatioStart != nil),
                                       ("reference_length", referenceLength != nil), ("head_ratio", headRatio != nil),
                                       ("value_ratio", valueRatio != nil), ("quantization", quantization != nil),
                                       ("recent_window", recentWindow != nil)]
        return given.first { $0.1 }?.0
    }

    /// The SpAtten method these settings describe for `layers` layers, validated.
    func spattenMethod(layers: Int) throws -> SpAttenMethod {
        let schedule = SpAttenSchedule(layers: layers, tokenRatio: tokenRatio ?? 0, tokenRatioStart: tokenRatioStart,
                                       referenceLength: referenceLength, headRatio: headRatio ?? 0)
        try schedule.validate()
        let values = valueRatio ?? 0
        guard (0..<1).contains(values) else { throw AttentionPlanError.badSetting(setting: "value_ratio", reason: "must be in [0, 1), got \(values)") }
        if softmax != nil { throw AttentionPlanError.badSetting(setting: "softmax", reason: "method spatten uses the exact softmax") }
        let recent = recentWindow ?? SpAttenMethod.defaultRecentWindow
        guard recent >= 0 else { throw AttentionPlanError.badSetting(setting: "recent_window", reason: "must be ≥ 0, got \(recent)") }
        return SpAttenMethod(schedule: schedule, valueRatio: values, quantization: quantization, recentWindow: recent)
    }

    /// The HDP method these settings describe, validated.
    func hdpMethod() throws -> HDPMethod {
        func bad(_ setting: String, _ reason: String) -> AttentionPlanError { .badSetting(setting: setting, reason: reason) }
        let block = blockSize ?? 2
        guard block >= 1 else { throw bad("block_size", "must be ≥ 1, got \(block)") }
        let blocks: HDPMethod.Blocks
        switch (blockRatio, topK) {
        case (.some, .some): throw bad("top_k", "give block_ratio (HDP) or top_k (the Top-K baseline), not both")
        case let (_, .some(keep)):
            guard keep > 0 && keep <= 1 else { throw bad("top_k", "the kept fraction of blocks must be in (0, 1], got \(keep)") }
            blocks = .topK(keep: keep)
        case let (ratio, nil):
            let rho = ratio ?? 0
            guard (-1...1).contains(rho) else { throw bad("block_ratio", "ρ_B must be in [−1, 1], got \(rho)") }
            blocks = .rowBalanced(ratio: rho)
        }
        let heads: HDPMethod.Heads
        switch (headThreshold, magnitudeHeads) {
        case (.some, .some): throw bad("magnitude_heads", "give head_threshold (HDP) or magnitude_heads (the baseline), not both")
        case let (_, .some(fraction)):
            guard fraction >= 0 && fraction < 1 else { throw bad("magnitude_heads", "the pruned fraction of heads must be in [0, 1), got \(fraction)") }
            heads = .magnitude(fraction: fraction)
        case let (tau, nil):
            guard (tau ?? 0) >= 0 else { throw bad("head_threshold", "τ_H must be ≥ 0, got \(tau!)") }
            heads = .integerThreshold(tau ?? 0)
        }
        let polynomial: Bool
        switch softmax ?? "polynomial" {
        case "polynomial": polynomial = true
        case "exact": polynomial = false
        case let other: throw bad("softmax", "method hdp takes polynomial or exact, got '\(other)'")
        }
        let (total, fraction) = (fixedPoint?.totalBits ?? 16, fixedPoint?.fractionBits ?? 8)
        guard (2...16).contains(total) && (0..<total).contains(fraction) else {
            throw bad("fixed_point", "need 2 ≤ total_bits ≤ 16 and 0 ≤ fraction_bits < total_bits, got \(total), \(fraction)")
        }
        return HDPMethod(block: block, blocks: blocks, heads: heads, approximate: approximate ?? true, polynomialSoftmax: polynomial,
                         format: FixedPoint(totalBits: total, fractionBits: fraction))
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
        let plan: AttentionPlan
        do { plan = try JSONDecoder().decode(AttentionPlan.self, from: json) } catch {
            throw AttentionPlanError.malformed(source, "expected a JSON object with a string field \"method\" and the method's settings (\(error))")
        }
        if let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] {
            let unknown = Set(object.keys).subtracting(keys).sorted()
            if !unknown.isEmpty {
                throw AttentionPlanError.malformed(source, "unknown key\(unknown.count > 1 ? "s" : "") \(unknown.map { "'\($0)'" }.joined(separator: ", ")); expected \(keys.sorted().joined(separator: ", "))")
            }
        }
        return plan
    }

    /// The method this plan describes, for a model of `layers` layers (a single window applies to all).
    public func makeMethod(layers: Int) throws -> any AttentionMethod {
        if method != "hdp", let setting = hdpSettingGiven {
            throw AttentionPlanError.badSetting(setting: setting, reason: "applies to method hdp, not \(method)")
        }
        if method != "spatten", let setting = spattenSettingGiven {
            throw AttentionPlanError.badSetting(setting: setting, reason: "applies to method spatten, not \(method)")
        }
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
        case "hdp": return try hdpMethod()
        case "spatten": return try spattenMethod(layers: layers)
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
