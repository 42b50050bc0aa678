import AttendKernels
import Foundation

/// The observed range of one linear layer's input, 0 included: [min(0, min x), max(0, max x)].
public struct ActivationRange: Codable, Sendable, Equatable {
    public var min: Float, max: Float

    public init(min: Float, max: Float) {
        self.min = Swift.min(0, min)
        self.max = Swift.max(0, max)
    }

    /// The static u8 quantization covering the range: scale = (max − min)/255, zero = round(−min/scale).
    public var quantization: ActivationQuantization {
        let scale: Float = max > min ? (max - min) / 255 : 1
        return .fixed(scale: scale, zero: Int32(Swift.min(255, Swift.max(0, (-min / scale).rounded(.toNearestOrEven)))))
    }
}

/// Calibrated input ranges of every encoder layer's four linears, in the order
/// `BertActivationRanges.linears` (qkv, attention output, intermediate, output).
public struct BertActivationRanges: Codable, Sendable, Equatable {
    public static let linears = ["qkv", "attention_output", "intermediate", "output"]
    /// layers: [L_layers][4].
    public var layers: [[ActivationRange]]
    /// Sentences the ranges were observed on.
    public var sentences: Int
    /// The integer-only path's other calibration points per layer, in the order
    /// `BertActivationRanges.integerPoints`: [L_layers][6] (nil in ranges recorded before it existed).
    public var integer: [[ActivationRange]]?

    /// query, key, value (the QKV projection's three parts), the residual sums before the two
    /// LayerNorms, and the FFN's pre-activation.
    public static let integerPoints = ["query", "key", "value", "attention_sum", "intermediate", "output_sum"]

    public init(layers: [[ActivationRange]], sentences: Int, integer: [[ActivationRange]]? = nil) {
        self.layers = layers
        self.sentences = sentences
        self.integer = integer
    }
}

/// How a quantized BERT's activations are scaled before each int8 product.
public enum BertActivations: Sendable {
    /// Per row, from the row's own range (ONNX Runtime's dynamic quantization, per row instead of per tensor).
    case dynamic
    /// One scale and zero point per linear, from ranges calibrated on training sentences.
    case calibrated(BertActivationRanges)
}

/// Why a model cannot be quantized as asked.
public enum QuantizationError: Error, CustomStringConvertible, Equatable {
    case alreadyQuantized
    case rangesDoNotMatch(layers: Int, expected: Int)
    case innerDimensionTooLarge(name: String, k: Int)
    case noCalibrationSentences
    case integerUnsupported(String)

    public var description: String {
        switch self {
        case .alreadyQuantized: return "the model is already quantized; quantize the Float32 model"
        case let .rangesDoNotMatch(layers, expected):
            return "calibrated ranges cover \(layers) layers × linears, the model has \(expected) layers × 4 linears"
        case let .innerDimensionTooLarge(name, k):
            return "\(name): inner dimension \(k) is too large for int32 accumulation of u8 × 7-bit products (needs < 131 595)"
        case .noCalibrationSentences: return "static activation scales need at least one calibration sentence"
        case let .integerUnsupported(reason): return "integer-only inference (I-BERT): \(reason)"
        }
    }
}

/// One linear layer on the int8 kernel: weights per output channel (7 bits) and the activation scaling.
struct BertInt8Linear: Sendable {
    let weights: Int8PackedMatrix
    let activations: ActivationQuantization
}

/// The four int8 linears of an encoder layer.
struct BertLayerInt8: Sendable {
    let qkv: BertInt8Linear, attentionOutput: BertInt8Linear, intermediate: BertInt8Linear, output: BertInt8Linear
}

/// Collects input ranges per (layer, linear) during calibration forwards.
final class ActivationRangeRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var ranges: [[ActivationRange?]]

    /// Points 0..<4 are the linears' inputs, 4..<10 `BertActivationRanges.integerPoints`.
    init(layers: Int) { ranges = Array(repeating: Array(repeating: nil, count: 10), count: layers) }

    func record(layer: Int, linear: Int, _ x: UnsafePointer<Float>, count: Int) {
        var lo: Float = 0, hi: Float = 0
        for i in 0..<count { lo = min(lo, x[i]); hi = max(hi, x[i]) }
        merge(layer: layer, point: linear, lo, hi)
    }

    /// Records columns offset..<offset+width of x: [rows, ld] as point `point`.
    func record(layer: Int, point: Int, _ x: UnsafePointer<Float>, rows: Int, ld: Int, offset: Int, width: Int) {
        var lo: Float = 0, hi: Float = 0
        for i in 0..<rows { for j in offset..<(offset + width) { lo = min(lo, x[i * ld + j]); hi = max(hi, x[i * ld + j]) } }
        merge(layer: layer, point: point, lo, hi)
    }

    /// Records a + b elementwise (a residual sum before it is formed) as point `point`.
    func record(layer: Int, point: Int, sum a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        var lo: Float = 0, hi: Float = 0
        for i in 0..<count { lo = min(lo, a[i] + b[i]); hi = max(hi, a[i] + b[i]) }
        merge(layer: layer, point: point, lo, hi)
    }

    private func merge(layer: Int, point linear: Int, _ lo: Float, _ hi: Float) {
        lock.lock()
        defer { lock.unlock() }
        let old = ranges[layer][linear]
        ranges[layer][linear] = ActivationRange(min: min(lo, old?.min ?? 0), max: max(hi, old?.max ?? 0))
    }

    func result(sentences: Int) -> BertActivationRanges {
        let all = ranges.map { $0.map { $0 ?? ActivationRange(min: 0, max: 0) } }
        return BertActivationRanges(layers: all.map { Array($0[0..<4]) }, sentences: sentences, integer: all.map { Array($0[4...]) })
    }
}

extension BertModel {
    /// What the encoder's linears run on: "f32", "int8-dynamic", "int8-static" or "integer".
    public var precision: String {
        if weights.integer != nil { return "integer" }
        guard let first = weights.layers.first?.int8 else { return "f32" }
        return first.qkv.activations == .dynamic ? "int8-dynamic" : "int8-static"
    }

    /// This model with every encoder linear (Q/K/V, attention output, FFN in and out) on the int8 GEMM:
    /// weights symmetric per output channel in 7 bits (scale = max|w|/63), activations u8 per row
    /// (`.dynamic`) or with calibrated static scales; products accumulate in int32 and are dequantized
    /// to Float32 (`Int8GEMM`). Embeddings, attention, LayerNorm, GELU, pooler and classifier stay Float32.
    public func quantized(_ activations: BertActivations = .dynamic) throws -> BertModel {
        if precision != "f32" { throw QuantizationError.alreadyQuantized }
        var copy = weights
        let count = copy.layers.count
        if case .calibrated(let ranges) = activations {
            guard ranges.layers.count == count, ranges.layers.allSatisfy({ $0.count == 4 }) else {
                throw QuantizationError.rangesDoNotMatch(layers: ranges.layers.count, expected: count)
            }
        }
        for i in 0..<count {
            let w = copy.layers[i]
            func linear(_ index: Int, _ name: String, _ f32: Tensor) throws -> BertInt8Linear {
                guard f32.shape[1] < 131_595 else { throw QuantizationError.innerDimensionTooLarge(name: "layer \(i) \(name)", k: f32.shape[1]) }
                let mode: ActivationQuantization
                switch activations {
                case .dynamic: mode = .dynamic
                case .calibrated(let ranges): mode = ranges.layers[i][index].quantization
                }
                return BertInt8Linear(weights: Int8PackedMatrix(linearWeight: f32), activations: mode)
            }
            copy.layers[i].int8 = BertLayerInt8(
                qkv: try linear(0, "qkv", w.qkv.linearWeight()), attentionOutput: try linear(1, "attention output", w.attentionOutput.linearWeight()),
                intermediate: try linear(2, "intermediate", w.intermediate.linearWeight()), output: try linear(3, "output", w.output.linearWeight()))
        }
        return BertModel(config: config, weights: copy, recorder: nil)
    }

    /// Runs the Float32 model over `batches` (token ids, each batch padded like `logits`) and returns the
    /// range of every encoder linear's input over all rows seen: what static scales are calibrated on.
    public func calibrateActivations(_ batches: [[[Int]]]) throws -> BertActivationRanges {
        if precision != "f32" { throw QuantizationError.alreadyQuantized }
        guard batches.contains(where: { !$0.isEmpty }) else { throw QuantizationError.noCalibrationSentences }
        let recorder = ActivationRangeRecorder(layers: weights.layers.count)
        let observed = BertModel(config: config, weights: weights, recorder: recorder)
        for batch in batches where !batch.isEmpty { _ = try observed.forward(batch) }
        return recorder.result(sentences: batches.reduce(0) { $0 + $1.count })
    }
}
