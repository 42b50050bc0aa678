import AttendAttention
import AttendKernels
import Foundation

// Integer-only BERT encoder (I-BERT, Kim et al., ICML 2021, arXiv 2101.01321; SPEC §4.6).
// Dimensions: N tokens per sequence, rows = B·T padded rows, D hidden, H heads, d = D/H, F intermediate.
//
// The embeddings (gather + LayerNorm, Float32) are quantized once to u8 with layer 0's calibrated input
// scale; from there to the last LayerNorm every tensor is Int8, UInt8 or Int32 and every operation is
// integer: int8 GEMMs with int32 sums (u8 activations with a zero point × 7-bit weights), dyadic
// requantization between scales, Q·Kᵀ and P·V as int8 GEMMs with I-BERT's i-softmax between them,
// i-GELU, integer residual adds and i-LayerNorm with an integer square root. The real-valued scales
// exist only when the model is built (Float64, to derive the integer constants); the layer's state
// below holds integers and integer constants only. The last LayerNorm's output is dequantized for the
// pooler and classifier, which stay Float32.

/// One linear on the int8 GEMM with its integer bias: acc[i, n] = Σ_k u[i, k]·W[k, n] + correction[n],
/// correction[n] = round(bias[n] / (S_in·S_w[n])) − z_in·Σ_k W[k, n], at scale S_in·S_w[n].
struct BertIntegerLinear: Sendable {
    let weights: Int8PackedMatrix
    /// correction: [N].
    let correction: [Int32]
}

/// The integer constants of one encoder layer (no Float state).
struct BertIntegerLayer: Sendable {
    /// Layer input u8 zero point (the residual of the first sublayer).
    let inputZero: Int32
    let qkv: BertIntegerLinear, attentionOutput: BertIntegerLinear, intermediate: BertIntegerLinear, output: BertIntegerLinear
    /// QKV sums → Q u8 (zero 128, [1, 255]) and K, V 7-bit s8 ([−63, 63]).
    let toQuery: Requantization, toKeyValue: Requantization
    /// Scores Q·Kᵀ at S_q·S_k/√d.
    let softmax: SoftmaxConstants
    /// P·V sums (scale S_v/256) → context u8.
    let toContext: Requantization
    /// Attention output sums and the input residual → the first residual sum (22-bit scale).
    let attentionSum: Requantization, inputResidual: Dyadic
    /// i-LayerNorm output → u8 FFN input (γ, β folded in).
    let toFFNInput: Requantization
    let ffnInputZero: Int32
    /// FFN pre-activation sums → the 16-bit i-GELU input; i-GELU; its output → u8.
    let toGELU: Requantization, gelu: GELUConstants, toFFNHidden: Requantization
    /// FFN output sums and the FFN-input residual → the second residual sum.
    let outputSum: Requantization, ffnResidual: Dyadic
    /// i-LayerNorm output → the next layer's u8 input (nil for the last layer).
    let toNextInput: Requantization?
}

/// The integer encoder: entry quantization, layers, and the dequantization of the last LayerNorm.
struct BertIntegerEncoder: Sendable {
    /// Layer 0's input scale and zero point: the embeddings' quantization (the entry point).
    let entry: ActivationQuantization
    let layers: [BertIntegerLayer]
    /// Last LayerNorm output: x = unitGamma[c]·y + beta[c] (for the Float32 pooler). unitGamma, beta: [D].
    let unitGamma: [Float], beta: [Float]
}

extension BertModel {
    /// This model with the encoder in integers only (I-BERT): weights symmetric per output channel in
    /// 7 bits, activations with static scales from `ranges` (`calibrateActivations`, which records the
    /// integer path's extra points), i-softmax, i-GELU, i-LayerNorm and integer residuals between the
    /// embeddings and the classifier. Throws for a model or ranges that cannot run integer-only.
    public func integerOnly(_ ranges: BertActivationRanges) throws -> BertModel {
        if precision != "f32" { throw QuantizationError.alreadyQuantized }
        guard config.hiddenAct == "gelu" else {
            throw QuantizationError.integerUnsupported("hidden_act '\(config.hiddenAct)' has no integer kernel (i-GELU is erf GELU, hidden_act \"gelu\")")
        }
        let count = weights.layers.count
        guard ranges.layers.count == count, ranges.layers.allSatisfy({ $0.count == 4 }) else {
            throw QuantizationError.rangesDoNotMatch(layers: ranges.layers.count, expected: count)
        }
        guard let points = ranges.integer, points.count == count, points.allSatisfy({ $0.count == 6 }) else {
            throw QuantizationError.integerUnsupported("the calibration ranges lack the integer path's points (\(BertActivationRanges.integerPoints.joined(separator: ", "))); recalibrate")
        }
        let (d, headDim) = (config.hiddenSize, config.headDim)
        let unit = IntegerOps.layerNormUnit(n: d)
        func u8(_ r: ActivationRange) -> (scale: Double, zero: Int32) {
            guard case let .fixed(scale, zero) = r.quantization else { fatalError("static ranges quantize to fixed scales") }
            return (Double(scale), zero)
        }
        func magnitude(_ r: ActivationRange, _ levels: Double) -> Double { max(-Double(r.min), Double(r.max), 1e-6) / levels }
        func linear(_ f32: Tensor, bias: [Float], input: (scale: Double, zero: Int32)) -> BertIntegerLinear {
            let w = Int8PackedMatrix(linearWeight: f32)
            let correction = (0..<w.n).map { n in
                Int32(clamping: Int64((Double(bias[n]) / (input.scale * Double(w.scales[n]))).rounded()) - Int64(input.zero) * Int64(w.columnSums[n]))
            }
            return BertIntegerLinear(weights: w, correction: correction)
        }
        func affine(_ gamma: [Float], _ beta: [Float], to out: (scale: Double, zero: Int32)) -> Requantization {
            Requantization(multipliers: gamma.map { Double($0) * unit / out.scale },
                           offsets: beta.map { Int32(clamping: Int64((Double($0) / out.scale).rounded())) }, zero: out.zero, range: 0...255)
        }
        let residualRange: ClosedRange<Int32> = -(1 << 23 - 1)...(1 << 23 - 1)
        var layers: [BertIntegerLayer] = []
        for i in 0..<count {
            let (w, r, p) = (weights.layers[i], ranges.layers[i], points[i])
            let x = u8(r[0]), context = u8(r[1]), ffnIn = u8(r[2]), hidden = u8(r[3])
            let (sq, sk, sv) = (magnitude(p[0], 127), magnitude(p[1], 63), magnitude(p[2], 63))
            let (sum1, sum2, sg) = (magnitude(p[3], 0x1p21), magnitude(p[5], 0x1p21), magnitude(p[4], 32767))
            let scoreScale = sq * sk / Double(headDim).squareRoot()
            guard scoreScale >= 0x1p-18 && scoreScale <= log(2) / 4 else {
                throw QuantizationError.integerUnsupported("layer \(i): attention score scale \(scoreScale) is outside the i-softmax's [2^-18, ln 2/4]")
            }
            let qkv = linear(w.qkv.linearWeight(), bias: w.qkvBias, input: x)
            let ao = linear(w.attentionOutput.linearWeight(), bias: w.attentionOutputBias, input: context)
            let inter = linear(w.intermediate.linearWeight(), bias: w.intermediateBias, input: ffnIn)
            let out = linear(w.output.linearWeight(), bias: w.outputBias, input: hidden)
            let qkvScales = qkv.weights.scales.map { x.scale * Double($0) }
            let gelu = GELUConstants(inputScale: sg)
            let next = i + 1 < count ? affine(w.outputNormGamma, w.outputNormBeta, to: u8(ranges.layers[i + 1][0])) : nil
            layers.append(BertIntegerLayer(
                inputZero: x.zero, qkv: qkv, attentionOutput: ao, intermediate: inter, output: out,
                toQuery: Requantization(multipliers: qkvScales[0..<d].map { $0 / sq }, zero: 128, range: 1...255),
                toKeyValue: Requantization(multipliers: qkvScales[d..<(2 * d)].map { $0 / sk } + qkvScales[(2 * d)...].map { $0 / sv }, range: -63...63),
                softmax: SoftmaxConstants(inputScale: scoreScale),
                toContext: Requantization(multipliers: [Double](repeating: sv / 256 / context.scale, count: d), zero: context.zero, range: 0...255),
                attentionSum: Requantization(multipliers: ao.weights.scales.map { context.scale * Double($0) / sum1 }, range: residualRange),
                inputResidual: Dyadic(x.scale / sum1),
                toFFNInput: affine(w.attentionNormGamma, w.attentionNormBeta, to: ffnIn), ffnInputZero: ffnIn.zero,
                toGELU: Requantization(multipliers: inter.weights.scales.map { ffnIn.scale * Double($0) / sg }, range: -65535...65535),
                gelu: gelu,
                toFFNHidden: Requantization(multipliers: [Double](repeating: gelu.outputScale / hidden.scale, count: config.intermediateSize),
                                            zero: hidden.zero, range: 0...255),
                outputSum: Requantization(multipliers: out.weights.scales.map { hidden.scale * Double($0) / sum2 }, range: residualRange),
                ffnResidual: Dyadic(ffnIn.scale / sum2), toNextInput: next))
        }
        let last = weights.layers[count - 1]
        var copy = weights
        copy.integer = BertIntegerEncoder(entry: ranges.layers[0][0].quantization, layers: layers,
                                          unitGamma: last.outputNormGamma.map { Float(Double($0) * unit) }, beta: last.outputNormBeta)
        return BertModel(config: config, weights: copy, recorder: nil)
    }

    /// The integer encoder over embedded `buffers`, then the Float32 pooler and classifier. `attention`
    /// must be tiled or dense (both mean exact attention; here the integer softmax runs).
    func integerForward(
        _ encoder: BertIntegerEncoder, _ buffers: LayerBuffers, attention: any AttentionMethod, collectHiddenStates: Bool
    ) throws -> BertOutput {
        try checkIntegerAttention(attention)
        if collectHiddenStates { throw QuantizationError.integerUnsupported("hidden states are integers of per-layer scales; they are not collected") }
        let (state, workloads) = runIntegerEncoder(encoder, buffers, firstRowsOnly: false)
        var x = buffers.x
        state.dequantizeOutput(rows: state.rows, gamma: encoder.unitGamma, beta: encoder.beta, into: &x.data)
        let (pooled, logits) = head(firstRows(of: x.data, buffers), rows: buffers.lengths.count)
        return BertOutput(logits: logits, pooled: pooled, lastHiddenState: x, hiddenStates: [], workloads: workloads)
    }

    /// Logits only: as `integerForward`, but the last layer runs its attention query, output
    /// projection, FFN and LayerNorms for the [CLS] rows alone (keys and values for every token) —
    /// the same integers for those rows, so the same logits.
    func integerLogits(_ encoder: BertIntegerEncoder, _ buffers: LayerBuffers, attention: any AttentionMethod) throws -> BertLogits {
        try checkIntegerAttention(attention)
        let (state, workloads) = runIntegerEncoder(encoder, buffers, firstRowsOnly: true)
        let b = buffers.lengths.count
        var cls = [Float](repeating: 0, count: b * config.hiddenSize)  // [B, D]
        state.dequantizeOutput(rows: b, gamma: encoder.unitGamma, beta: encoder.beta, into: &cls)
        return BertLogits(logits: head(cls, rows: b).logits, workloads: workloads)
    }

    private func checkIntegerAttention(_ attention: any AttentionMethod) throws {
        guard ["tiled", "dense"].contains(attention.name) else {
            throw QuantizationError.integerUnsupported("--attention \(attention.name) is not supported; use tiled or dense (both run the integer softmax)")
        }
    }

    /// The layers over the embeddings; with `firstRowsOnly` the last layer keeps only row 0 of each
    /// sequence (its output in `normalized` rows 0..<B), else every row's (rows 0..<B·T).
    private func runIntegerEncoder(_ encoder: BertIntegerEncoder, _ buffers: LayerBuffers, firstRowsOnly: Bool) -> (IntegerActivations, [[[HeadWorkload]]]) {
        let state = IntegerActivations(rows: buffers.rows, config: config)
        state.enter(buffers.x.data, encoder.entry)
        var workloads: [[[HeadWorkload]]] = []
        for (i, layer) in encoder.layers.enumerated() {
            let cls = firstRowsOnly && i == encoder.layers.count - 1
            workloads.append(state.layer(layer, lengths: buffers.lengths, t: buffers.t, config: config, firstRowsOnly: cls))
        }
        return (state, workloads)
    }
}

/// The integer activations of one forward pass (rows = B·T padded rows; u8 rows padded to a multiple
/// of 4 for the int8 GEMM). Owned by one forward pass; parallel kernels write disjoint row ranges.
/// A layer run for the first rows only (the [CLS] row of each sequence) keeps those B rows
/// contiguous from the attention output on: rows 0..<B of contextU8, sums, ffnInput, hidden, normalized.
final class IntegerActivations: @unchecked Sendable {
    let rows: Int, d: Int, f: Int, kpD: Int, kpF: Int
    let x: UnsafeMutablePointer<UInt8>              // [rows, kpD] layer input
    let sums: UnsafeMutablePointer<Int32>           // [rows, D] the D-wide GEMMs' outputs (before their correction)
    let query: UnsafeMutablePointer<UInt8>          // [rows, D] (+4 bytes: a head's row reads d rounded up to 4)
    let keyValue: UnsafeMutablePointer<Int8>        // [rows, 2D]
    let context: UnsafeMutablePointer<Int32>        // [rows, D]
    let contextU8: UnsafeMutablePointer<UInt8>      // [rows, kpD]
    let normalized: UnsafeMutablePointer<Int32>     // [rows, D] the last LayerNorm's output
    let ffnInput: UnsafeMutablePointer<UInt8>       // [rows, kpD]
    let hidden: UnsafeMutablePointer<UInt8>         // [rows, kpF]
    private let owned: [UnsafeMutableRawPointer]

    init(rows: Int, config: BertConfig) {
        (self.rows, d, f) = (rows, config.hiddenSize, config.intermediateSize)
        (kpD, kpF) = (Int8GEMM.paddedK(d), Int8GEMM.paddedK(f))
        var owned: [UnsafeMutableRawPointer] = []
        func zeroed<T>(_ count: Int, _: T.Type) -> UnsafeMutablePointer<T> {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count * MemoryLayout<T>.stride), alignment: 64)
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, count * MemoryLayout<T>.stride))
            owned.append(raw)
            return raw.assumingMemoryBound(to: T.self)
        }
        x = zeroed(rows * kpD, UInt8.self)
        sums = zeroed(rows * d, Int32.self)
        query = zeroed(rows * d + 4, UInt8.self)
        keyValue = zeroed(rows * 2 * d, Int8.self)
        context = zeroed(rows * d, Int32.self)
        contextU8 = zeroed(rows * kpD, UInt8.self)
        normalized = zeroed(rows * d, Int32.self)
        ffnInput = zeroed(rows * kpD, UInt8.self)
        hidden = zeroed(rows * kpF, UInt8.self)
        self.owned = owned
    }

    deinit { for p in owned { p.deallocate() } }

    /// x = the embeddings x: [rows, D] quantized with layer 0's static scale (the one Float → integer step).
    func enter(_ embeddings: [Float], _ q: ActivationQuantization) {
        var rowsQ = QuantizedRows(rows: rows, k: d)
        embeddings.withUnsafeBufferPointer { Int8GEMM.quantize($0.baseAddress!, ldx: d, into: &rowsQ, rows: rows, q) }
        rowsQ.data.withUnsafeBufferPointer { x.update(from: $0.baseAddress!, count: rows * kpD) }
    }

    /// One encoder layer in integers, in place on x; returns the attention records [sequence][head].
    /// `firstRowsOnly`: after Q·Kᵀ (keys and values of every row), only row 0 of each sequence goes on.
    func layer(_ l: BertIntegerLayer, lengths: [Int], t: Int, config: BertConfig, firstRowsOnly: Bool) -> [[HeadWorkload]] {
        let (d, f, kpD, kpF) = (d, f, kpD, kpF)
        l.qkv.correction.withUnsafeBufferPointer { bias in
            let bias = bias.baseAddress!
            Int8GEMM.forEachTask(m: rows, n: 3 * d) { r0, n, p0, p1 in
                IntegerOps.requantize(product: self.x + r0 * kpD, lda: kpD, rows: n, l.qkv.weights, panels: p0..<p1, bias: bias, split: d,
                                      l.toQuery, into: self.query + r0 * d, ldFirst: d, l.toKeyValue, into: self.keyValue + r0 * 2 * d, ldSecond: 2 * d)
            }
        }
        let records = attention(lengths: lengths, t: t, heads: config.numAttentionHeads, headDim: config.headDim, softmax: l.softmax,
                                firstQueryOnly: firstRowsOnly)
        // From here on `m` rows: all of them, or the B first rows, gathered by the stride t·(row width).
        let (m, step) = firstRowsOnly ? (lengths.count, t) : (rows, 1)
        forRows(m) { r0, n in
            IntegerOps.requantize(self.context + r0 * step * d, ldx: step * d, rows: n, l.toContext, into: self.contextU8 + r0 * kpD, ldo: kpD)
        }
        gemm(contextU8, lda: kpD, rows: m, l.attentionOutput, n: d)
        l.attentionOutput.correction.withUnsafeBufferPointer { bias in
            forRows(m) { r0, n in
                IntegerOps.residualLayerNorm(self.sums + r0 * d, lda: d, bias: bias.baseAddress!, l.attentionSum, residual: self.x + r0 * step * kpD,
                                             ldr: step * kpD, zero: l.inputZero, l.inputResidual, rows: n, l.toFFNInput,
                                             into: self.ffnInput + r0 * kpD, ldo: kpD)
            }
        }
        l.intermediate.correction.withUnsafeBufferPointer { bias in
            Int8GEMM.forEachTask(m: m, n: f) { r0, n, p0, p1 in
                IntegerOps.ffnActivation(product: self.ffnInput + r0 * kpD, lda: kpD, rows: n, l.intermediate.weights, panels: p0..<p1,
                                         bias: bias.baseAddress!, l.toGELU, l.gelu, l.toFFNHidden, into: self.hidden + r0 * kpF, ldo: kpF)
            }
        }
        gemm(hidden, lda: kpF, rows: m, l.output, n: d)
        l.output.correction.withUnsafeBufferPointer { bias in
            forRows(m) { r0, n in
                let last = l.toNextInput == nil
                IntegerOps.residualLayerNorm(self.sums + r0 * d, lda: d, bias: bias.baseAddress!, l.outputSum, residual: self.ffnInput + r0 * kpD,
                                             ldr: kpD, zero: l.ffnInputZero, l.ffnResidual, rows: n, l.toNextInput,
                                             into: last ? nil : self.x + r0 * kpD, ldo: kpD,
                                             normalized: last ? self.normalized + r0 * d : nil, ldn: d)
            }
        }
        return records
    }

    /// out: [rows, D] = unitGamma[c]·normalized + beta[c] for the first `rows` rows: the last LayerNorm, dequantized for the classifier.
    func dequantizeOutput(rows: Int, gamma: [Float], beta: [Float], into out: inout [Float]) {
        for i in 0..<rows { for c in 0..<d { out[i * d + c] = Float(normalized[i * d + c]) * gamma[c] + beta[c] } }
    }

    /// sums[0..<rows, 0..<n] (stride n) = a: [rows, lda] u8 · W, without the correction (its consumer adds it).
    private func gemm(_ a: UnsafePointer<UInt8>, lda: Int, rows: Int, _ w: BertIntegerLinear, n: Int) {
        Int8GEMM.multiply(m: rows, a: a, lda: lda, b: w.weights, c: sums, ldc: n)
    }

    /// context rows of each sequence = i-softmax(Q_h·K_hᵀ) · V_h per head (`IntegerOps.attentionHead`):
    /// scores Σ (q + 128)·k − 128·Σ k at S_q·S_k/√d, P u8 at 1/256, P·V at S_v/256. Only the sequence's
    /// own n keys take part; context rows not computed are zero. `firstQueryOnly`: row 0 of each
    /// sequence only. Returns one record per (sequence, head).
    private func attention(lengths: [Int], t: Int, heads: Int, headDim: Int, softmax: SoftmaxConstants, firstQueryOnly: Bool) -> [[HeadWorkload]] {
        let d = d
        context.update(repeating: 0, count: rows * d)
        let tasks = lengths.indices.flatMap { b in (0..<heads).map { (b, $0) } }
        Parallel.forEach(tasks.count) { index in
            let (b, h) = tasks[index], n = lengths[b]
            guard n > 0 else { return }
            let base = b * t, queries = firstQueryOnly ? 1 : n
            let bytes = IntegerOps.attentionScratchBytes(queries: queries, keys: n, headDim: headDim)
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            defer { scratch.deallocate() }
            let kv = self.keyValue + base * 2 * d + h * headDim
            IntegerOps.attentionHead(queries: queries, keys: n, headDim: headDim, q: self.query + base * d + h * headDim, ldq: d,
                                     k: kv, v: kv + d, ldkv: 2 * d, softmax, into: self.context + base * d + h * headDim, ldo: d, scratch: scratch)
        }
        return lengths.map { n in
            let queries = firstQueryOnly ? min(1, n) : n
            return (0..<heads).map { _ in
                HeadWorkload(queries: queries, keys: n, allowedEntries: queries * n, computedEntries: queries * n, blocksKept: n > 0 ? 1 : 0,
                             blocksTotal: 1, qkMACs: queries * n * headDim, pvMACs: queries * n * headDim, denseMACs: 2 * queries * n * headDim,
                             exps: queries * n, bytesQ: queries * headDim, bytesK: n * headDim, bytesV: n * headDim, bits: 8, kvRowsRead: n,
                             headDim: headDim)
            }
        }
    }

    /// Splits `count` rows into one chunk per thread of the pool: body(first row, rows).
    private func forRows(_ count: Int, _ body: (Int, Int) -> Void) {
        let chunk = max(1, (count + Parallel.threads - 1) / Parallel.threads)
        Parallel.forEach((count + chunk - 1) / chunk) { c in body(c * chunk, min(chunk, count - c * chunk)) }
    }
}
