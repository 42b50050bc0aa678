import AttendAttention
import AttendKernels
import Foundation

/// What a forward pass returns for a batch of B sequences.
public struct BertOutput: Sendable {
    /// logits: [B, L] — the classification head's scores per label.
    public var logits: Tensor
    /// pooled: [B, D] — tanh(W·h_[CLS] + b), the pooler's output.
    public var pooled: Tensor
    /// lastHiddenState: [B, T, D] — padded positions hold values that no real token depends on.
    public var lastHiddenState: Tensor
    /// hiddenStates: embeddings then every layer's output, each [B, T, D]; empty unless requested.
    public var hiddenStates: [Tensor]
    /// What attention did: [layer][sequence][head].
    public var workloads: [[[HeadWorkload]]]
}

/// A batch's activations after its first `layersDone` encoder layers (`BertModel.checkpoint`).
public struct EncoderCheckpoint: Sendable {
    let buffers: BertModel.LayerBuffers
    /// Encoder layers already applied.
    public let layersDone: Int
    /// Records of those layers: [layer][sequence][head].
    public let workloads: [[[HeadWorkload]]]
}

/// What `BertModel.logits` returns for a batch of B sequences.
public struct BertLogits: Sendable {
    /// logits: [B, L].
    public var logits: Tensor
    /// What attention did: [layer][sequence][head].
    public var workloads: [[[HeadWorkload]]]
}

/// `BertForSequenceClassification` (Devlin et al. 2019; Hugging Face layout): embeddings
/// (word + position + token type, LayerNorm), L post-norm encoder layers
/// (`x = LN(x + Attn(x))`, `x = LN(x + W₂·GELU(W₁x))`), the tanh pooler over [CLS], and a
/// linear classifier. Dimensions: N tokens, D hidden, H heads, d = D/H, F intermediate, L labels.
public final class BertModel: Sendable {
    public let config: BertConfig
    let weights: BertWeights
    /// Set on the copy that `calibrateActivations` runs: every encoder linear's input range is recorded.
    let recorder: ActivationRangeRecorder?

    /// Loads `config.json` and `model.safetensors` from a Hugging Face model directory.
    public convenience init(directory: URL) throws {
        let config = try BertConfig.load(from: directory.appendingPathComponent("config.json"))
        let file = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
        try self.init(config: config, file: file)
    }

    /// Builds the model from a parsed config and an opened checkpoint (shapes are validated).
    public init(config: BertConfig, file: SafeTensorsFile) throws {
        self.config = config
        self.weights = try BertWeights(file: file, config: config)
        self.recorder = nil
    }

    /// A model over given weights (a quantized or observed copy of another).
    init(config: BertConfig, weights: BertWeights, recorder: ActivationRangeRecorder?) {
        self.config = config
        self.weights = weights
        self.recorder = recorder
    }

    /// A model of the given shape with random weights (for benchmarks; see `BertWeights.random`).
    public init(randomWeights config: BertConfig, seed: UInt64) {
        self.config = config
        self.weights = BertWeights.random(config: config, seed: seed)
        self.recorder = nil
    }

    /// Checks that every sequence can be fed to the model: non-empty, within
    /// `max_position_embeddings`, ids inside the vocabulary.
    public func validate(_ batch: [[Int]]) throws {
        for (i, ids) in batch.enumerated() {
            if ids.isEmpty { throw ModelError.emptySequence(sequence: i) }
            if ids.count > config.maxPositionEmbeddings {
                throw ModelError.sequenceTooLong(length: ids.count, maximum: config.maxPositionEmbeddings, sequence: i)
            }
            if let bad = ids.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw ModelError.tokenOutOfRange(id: bad, vocabularySize: config.vocabSize, sequence: i)
            }
        }
    }

    /// Runs the model on a batch of token-id sequences (each starting with [CLS]), padded to the
    /// longest; padding is excluded from attention by the key padding mask. Token type ids are 0.
    /// `attention` runs every layer's attention; tokens it prunes leave the rest of that layer (output
    /// projection, FFN) and every later layer, and the batch is re-padded to its longest survivor, so
    /// `lastHiddenState` (and each hidden state) is `[B, T', D]` over the surviving rows, in order.
    public func forward(
        _ batch: [[Int]], attention: any AttentionMethod = TiledMethod(), collectHiddenStates: Bool = false
    ) throws -> BertOutput {
        try validate(batch)
        try attention.check(layers: config.numHiddenLayers)
        if let integer = weights.integer {
            return try integerForward(integer, embeddedBuffers(batch), attention: attention, collectHiddenStates: collectHiddenStates)
        }
        let b = batch.count
        var buffers = embeddedBuffers(batch)
        var hiddenStates: [Tensor] = []
        var workloads: [[[HeadWorkload]]] = []
        if collectHiddenStates { hiddenStates.append(buffers.x) }
        for (index, layer) in weights.layers.enumerated() {
            workloads.append(encoderLayer(layer, index: index, attention, &buffers))
            if collectHiddenStates { hiddenStates.append(buffers.x) }
        }
        let (pooled, logits) = head(firstRows(of: buffers.x.data, buffers), rows: b)
        return BertOutput(logits: logits, pooled: pooled, lastHiddenState: buffers.x, hiddenStates: hiddenStates, workloads: workloads)
    }

    /// Logits `[B, L]` only, with the work the classifier needs and no more: the last encoder layer
    /// computes keys and values for every token but its attention query, output projection, FFN
    /// and norms for the [CLS] rows alone (nothing else reaches the pooler). Same numbers as
    /// `forward(_:).logits`, about 1/L_layers fewer multiply-adds.
    public func logits(_ batch: [[Int]], attention: any AttentionMethod = TiledMethod()) throws -> BertLogits {
        try validate(batch)
        try attention.check(layers: config.numHiddenLayers)
        var buffers = embeddedBuffers(batch)
        return try remainingLogits(&buffers, layersDone: 0, workloads: [], attention: attention)
    }

    /// The activations of `batch` after its first `layers` encoder layers, run with `attention`:
    /// a search that varies only later layers resumes from here instead of recomputing them.
    public func checkpoint(_ batch: [[Int]], layers: Int, attention: any AttentionMethod) throws -> EncoderCheckpoint {
        precondition((0...weights.layers.count).contains(layers), "checkpoint after \(layers) of \(weights.layers.count) layers")
        try validate(batch)
        try attention.check(layers: config.numHiddenLayers)
        var buffers = embeddedBuffers(batch)
        var workloads: [[[HeadWorkload]]] = []
        if weights.integer != nil { return EncoderCheckpoint(buffers: buffers, layersDone: 0, workloads: []) }
        for index in 0..<layers { workloads.append(encoderLayer(weights.layers[index], index: index, attention, &buffers)) }
        return EncoderCheckpoint(buffers: buffers, layersDone: layers, workloads: workloads)
    }

    /// Logits of a checkpointed batch: runs its remaining layers with `attention` (the last one for
    /// the [CLS] rows only, as `logits(_:attention:)`); records include the checkpoint's layers.
    public func logits(resuming checkpoint: EncoderCheckpoint, attention: any AttentionMethod) throws -> BertLogits {
        try attention.check(layers: config.numHiddenLayers)
        var buffers = checkpoint.buffers  // copied as the layers write it: a checkpoint can be resumed again
        return try remainingLogits(&buffers, layersDone: checkpoint.layersDone, workloads: checkpoint.workloads, attention: attention)
    }

    /// `logits(resuming:attention:)` on buffers of its own (`layersDone` layers applied, with their
    /// records), which it writes in place.
    private func remainingLogits(
        _ buffers: inout LayerBuffers, layersDone: Int, workloads done: [[[HeadWorkload]]], attention: any AttentionMethod
    ) throws -> BertLogits {
        if let integer = weights.integer {
            // The integer path's checkpoints stop at the embeddings (its entry point): it resumes from there.
            precondition(layersDone == 0, "integer checkpoints hold the embeddings only")
            return try integerLogits(integer, buffers, attention: attention)
        }
        var workloads = done
        let (b, d, f) = (buffers.lengths.count, config.hiddenSize, config.intermediateSize)
        let last = weights.layers.count - 1
        guard layersDone <= last else {
            return BertLogits(logits: head(firstRows(of: buffers.x.data, buffers), rows: b).logits, workloads: workloads)
        }
        for index in layersDone..<last { workloads.append(encoderLayer(weights.layers[index], index: index, attention, &buffers)) }
        let w = weights.layers[last]
        workloads.append(attentionSublayer(w, index: last, attention, &buffers, firstQueryOnly: true))
        var x = firstRows(of: buffers.x.data, buffers)                  // [B, D]
        var context = firstRows(of: buffers.context, buffers)           // [B, D]
        var projected = [Float](repeating: 0, count: b * d)              // [B, D]
        var inner = [Float](repeating: 0, count: b * f)                  // [B, F]
        x.withUnsafeMutableBufferPointer { xp in context.withUnsafeMutableBufferPointer { cp in
            projected.withUnsafeMutableBufferPointer { pp in inner.withUnsafeMutableBufferPointer { ip in
                outputSublayers(w, layer: last, x: xp.baseAddress!, context: cp.baseAddress!, projected: pp.baseAddress!,
                                inner: ip.baseAddress!, rows: b, &buffers.quantizedD, &buffers.quantizedF, next: nil)
            } }
        } }
        return BertLogits(logits: head(x, rows: b).logits, workloads: workloads)
    }

    /// Activations of one forward pass; x: [B·T, D], qkv: [B·T, 3D], context: [B·T, D], inner: [B·T, F].
    struct LayerBuffers: Sendable {
        /// Rows in use per sequence (tokens still present); shrinks when a method prunes tokens.
        var lengths: [Int]
        /// Per sequence, the attention state threaded through the layers.
        var states: [AttentionState]
        /// Per sequence, the original positions of the rows in use, in order.
        var rowPositions: [[Int]]
        /// Padded length T (the longest sequence; shrinks when tokens are pruned).
        var t: Int
        var x: Tensor
        var qkv: [Float]
        var context: [Float]
        var inner: [Float]
        /// Int8 models: the u8 rows the next product reads (`Int8GEMM.quantize`), [rows, D] and [rows, F];
        /// no rows for a Float32 model.
        var quantizedD: QuantizedRows
        var quantizedF: QuantizedRows
        /// Whether `quantizedD` holds x quantized for the next layer's QKV product (by the LayerNorm that wrote x).
        var xQuantized = false

        /// Buffers for `batch` (with quantized rows when `int8`); x and context zeroed.
        init(batch: [[Int]], config: BertConfig, int8: Bool) {
            lengths = batch.map(\.count)
            states = lengths.map { AttentionState(length: $0) }
            rowPositions = lengths.map { Array(0..<$0) }
            t = lengths.max() ?? 0
            let rows = batch.count * t
            x = Tensor(zeros: [batch.count, t, config.hiddenSize])
            // qkv and inner are written whole by their GEMMs before anything reads them: left unzeroed
            // (a serial memset and page faults per batch otherwise).
            qkv = Self.unwritten(rows * 3 * config.hiddenSize)
            context = [Float](repeating: 0, count: rows * config.hiddenSize)
            inner = Self.unwritten(rows * config.intermediateSize)
            quantizedD = QuantizedRows(rows: int8 ? rows : 0, k: config.hiddenSize)
            quantizedF = QuantizedRows(rows: int8 ? rows : 0, k: config.intermediateSize)
        }

        var rows: Int { lengths.count * t }

        /// `count` floats whose values are undefined until written.
        private static func unwritten(_ count: Int) -> [Float] { [Float](unsafeUninitializedCapacity: count) { _, n in n = count } }
    }

    /// Fresh buffers for `batch` with x = the embeddings.
    func embeddedBuffers(_ batch: [[Int]]) -> LayerBuffers {
        let first = weights.layers.first?.int8?.qkv
        var buffers = LayerBuffers(batch: batch, config: config, int8: first != nil)
        buffers.x.data.withUnsafeMutableBufferPointer {
            embed(batch, paddedLength: buffers.t, into: $0.baseAddress!, quantizing: first?.activations, into: &buffers.quantizedD)
        }
        buffers.xQuantized = first != nil
        return buffers
    }

    /// Row 0 ([CLS]) of each sequence of a `[B·T, D]` buffer, as `[B, D]`.
    func firstRows(of data: [Float], _ buffers: LayerBuffers) -> [Float] {
        let d = config.hiddenSize
        var out = [Float](repeating: 0, count: buffers.lengths.count * d)
        for i in buffers.lengths.indices { out.replaceSubrange((i * d)..<(i * d + d), with: data[(i * buffers.t * d)..<(i * buffers.t * d + d)]) }
        return out
    }

    /// Pooler and classifier over the [CLS] rows `cls: [B, D]`: pooled = tanh(W_p·cls + b_p) `[B, D]`,
    /// logits = W_c·pooled + b_c `[B, L]`.
    func head(_ cls: [Float], rows b: Int) -> (pooled: Tensor, logits: Tensor) {
        var pooled = [Float](repeating: 0, count: b * config.hiddenSize)
        var logits = [Float](repeating: 0, count: b * config.numLabels)
        linear(cls, rows: b, weights.pooler, weights.poolerBias, into: &pooled)
        for i in pooled.indices { pooled[i] = Foundation.tanh(pooled[i]) }
        linear(pooled, rows: b, weights.classifier, weights.classifierBias, into: &logits)
        return (Tensor(shape: [b, config.hiddenSize], data: pooled), Tensor(shape: [b, config.numLabels], data: logits))
    }

    /// out: [B·T, D] = LayerNorm(word[id] + position[t] + tokenType[0]), with `mode` also quantized into `q`
    /// (layer 0's QKV input).
    private func embed(
        _ batch: [[Int]], paddedLength t: Int, into out: UnsafeMutablePointer<Float>, quantizing mode: ActivationQuantization?, into q: inout QuantizedRows
    ) {
        let d = config.hiddenSize
        weights.wordEmbeddings.data.withUnsafeBufferPointer { word in
            weights.positionEmbeddings.data.withUnsafeBufferPointer { position in
                weights.tokenTypeEmbeddings.data.withUnsafeBufferPointer { tokenType in
                    for (s, ids) in batch.enumerated() {
                        let padded = ids + [Int](repeating: 0, count: t - ids.count)  // pad id 0 ([PAD])
                        let base = out + s * t * d
                        RowOps.gather(table: word.baseAddress!, rows: config.vocabSize, width: d, ids: padded, into: base)
                        for i in 0..<(t * d) { base[i] += position[i] + tokenType[i % d] }
                    }
                }
            }
        }
        layerNorm(out, residual: nil, rows: batch.count * t, weights.embeddingNormGamma, weights.embeddingNormBeta, quantizing: mode, into: &q)
    }

    /// One post-norm encoder layer, in place on `buffers.x`; returns attention's records
    /// [sequence][head]. Tokens the method pruned are compacted away right after attention, so the
    /// output projection and the FFN run on the survivors only.
    private func encoderLayer(
        _ w: BertLayerWeights, index: Int, _ attention: any AttentionMethod, _ buffers: inout LayerBuffers
    ) -> [[HeadWorkload]] {
        let workloads = attentionSublayer(w, index: index, attention, &buffers, firstQueryOnly: false)
        compactPrunedTokens(&buffers)
        let rows = buffers.rows
        buffers.x.data.withUnsafeMutableBufferPointer { xp in buffers.context.withUnsafeMutableBufferPointer { cp in
            buffers.qkv.withUnsafeMutableBufferPointer { qp in buffers.inner.withUnsafeMutableBufferPointer { ip in
                // qkv's storage is free once attention has run: it holds the projections.
                outputSublayers(w, layer: index, x: xp.baseAddress!, context: cp.baseAddress!, projected: qp.baseAddress!,
                                inner: ip.baseAddress!, rows: rows, &buffers.quantizedD, &buffers.quantizedF,
                                next: index + 1 < weights.layers.count ? weights.layers[index + 1].int8?.qkv : nil)
            } }
        } }
        buffers.xQuantized = w.int8 != nil && index + 1 < weights.layers.count
        return workloads
    }

    /// qkv = x·W_qkv + b_qkv, then context = Attention(qkv) through `attention`: per sequence, all
    /// its rows as queries (or the [CLS] row only) against all its rows as keys. Context rows that
    /// are not computed are zero.
    private func attentionSublayer(
        _ w: BertLayerWeights, index: Int, _ attention: any AttentionMethod, _ buffers: inout LayerBuffers, firstQueryOnly: Bool
    ) -> [[HeadWorkload]] {
        let (d, rows, t, lengths) = (config.hiddenSize, buffers.rows, buffers.t, buffers.lengths)
        let (heads, headDim) = (config.numAttentionHeads, config.headDim)
        var states = buffers.states
        let quantized = buffers.xQuantized
        buffers.xQuantized = false
        let workloads = buffers.x.data.withUnsafeBufferPointer { xp in buffers.qkv.withUnsafeMutableBufferPointer { qp in
            buffers.context.withUnsafeMutableBufferPointer { cp in
                project(w.qkv, w.int8?.qkv, bias: w.qkvBias, layer: index, linear: 0, a: xp.baseAddress!, rows: rows, c: qp.baseAddress!, ldc: 3 * d,
                        &buffers.quantizedD, quantized: quantized)
                for part in 0..<3 { recorder?.record(layer: index, point: 4 + part, qp.baseAddress!, rows: rows, ld: 3 * d, offset: part * d, width: d) }
                let (qkv, context) = (qp.baseAddress!, cp.baseAddress!)
                let problems = lengths.enumerated().map { b, n in
                    let rowsOfB = qkv + b * t * 3 * d  // qkv rows of sequence b: [n, 3D]
                    let queries = firstQueryOnly ? min(1, n) : n
                    (context + (b * t + queries) * d).update(repeating: 0, count: (t - queries) * d)
                    return AttentionProblem(q: rowsOfB, ldq: 3 * d, k: rowsOfB + d, ldk: 3 * d, v: rowsOfB + 2 * d, ldv: 3 * d,
                                            out: context + b * t * d, ldo: d, queries: queries, keys: n, heads: heads, headDim: headDim)
                }
                return attention.attend(layer: index, problems, states: &states)
            }
        } }
        buffers.states = states
        return workloads
    }

    /// Keeps each sequence's surviving rows (its state's `positions`) of x and context, in order,
    /// and re-pads the batch to the longest survivor T': row r of sequence b moves to b·T' + r, so
    /// later GEMMs run on B·T' rows. (Destinations never pass their sources, so it runs in place.)
    private func compactPrunedTokens(_ buffers: inout LayerBuffers) {
        guard buffers.states.indices.contains(where: { buffers.states[$0].positions.count != buffers.lengths[$0] }) else { return }
        let d = config.hiddenSize, t = buffers.t
        var kept: [[Int]] = []  // per sequence: the row indices that survive
        for b in buffers.lengths.indices {
            let present = buffers.rowPositions[b]
            let keep = Set(buffers.states[b].positions)
            precondition(keep.isSubset(of: present), "an attention method re-admitted a pruned token")
            kept.append(present.indices.filter { keep.contains(present[$0]) })
            buffers.rowPositions[b] = present.filter(keep.contains)
            buffers.lengths[b] = kept[b].count
        }
        let newT = buffers.lengths.max() ?? 0
        func move(_ data: UnsafeMutablePointer<Float>) {
            for b in kept.indices {
                for (r, index) in kept[b].enumerated() where b * newT + r != b * t + index {
                    (data + (b * newT + r) * d).update(from: data + (b * t + index) * d, count: d)
                }
                (data + (b * newT + kept[b].count) * d).update(repeating: 0, count: (newT - kept[b].count) * d)
            }
        }
        buffers.x.data.withUnsafeMutableBufferPointer { move($0.baseAddress!) }
        buffers.context.withUnsafeMutableBufferPointer { move($0.baseAddress!) }
        buffers.t = newT
        buffers.x.data.removeLast(buffers.x.data.count - buffers.rows * d)
        buffers.x.shape = [buffers.lengths.count, newT, d]
    }

    /// The rest of a layer on `rows` rows, in place on x: [rows, D]:
    /// x = LN(x + context·W_o + b_o), then x = LN(x + W₂·GELU(W₁x + b₁) + b₂).
    /// projected: [rows, D] and inner: [rows, F] are scratch. On the int8 path each product's input is
    /// quantized into qD: [rows, D] or qF: [rows, F] in the pass that writes it (LayerNorm, GELU), and
    /// with `next` (the next layer's QKV linear) the last LayerNorm quantizes x for it into qD.
    private func outputSublayers(
        _ w: BertLayerWeights, layer: Int, x: UnsafeMutablePointer<Float>, context: UnsafePointer<Float>,
        projected: UnsafeMutablePointer<Float>, inner: UnsafeMutablePointer<Float>, rows: Int,
        _ qD: inout QuantizedRows, _ qF: inout QuantizedRows, next: BertInt8Linear?
    ) {
        let (d, f, q) = (config.hiddenSize, config.intermediateSize, w.int8)
        project(w.attentionOutput, q?.attentionOutput, bias: w.attentionOutputBias, layer: layer, linear: 1, a: context, rows: rows, c: projected, ldc: d, &qD)
        recorder?.record(layer: layer, point: 7, sum: x, projected, count: rows * d)
        layerNorm(x, residual: projected, rows: rows, w.attentionNormGamma, w.attentionNormBeta, quantizing: q?.intermediate.activations, into: &qD)
        project(w.intermediate, q?.intermediate, bias: w.intermediateBias, layer: layer, linear: 2, a: x, rows: rows, c: inner, ldc: f, &qD, quantized: q != nil)
        recorder?.record(layer: layer, point: 8, inner, rows: rows, ld: f, offset: 0, width: f)
        nonisolated(unsafe) let innerRows = inner
        forRowChunks(rows, width: f, quantizing: q?.output.activations, into: &qF, data: inner) { r0, n in RowOps.gelu(innerRows + r0 * f, count: n * f) }
        project(w.output, q?.output, bias: w.outputBias, layer: layer, linear: 3, a: inner, rows: rows, c: projected, ldc: d, &qF, quantized: q != nil)
        recorder?.record(layer: layer, point: 9, sum: x, projected, count: rows * d)
        layerNorm(x, residual: projected, rows: rows, w.outputNormGamma, w.outputNormBeta, quantizing: next?.activations, into: &qD)
    }

    /// c: [rows, N] (stride ldc) = a: [rows, K] · W + bias, on the int8 GEMM when the layer is quantized
    /// (activations quantized per `q.activations` into `scratch` — unless `quantized` says they already
    /// are — and the int32 products dequantized), else in Float32. `layer`/`linear` name the product
    /// for calibration (`recorder`).
    private func project(
        _ w: PackedMatrix, _ q: BertInt8Linear?, bias: [Float], layer: Int, linear: Int,
        a: UnsafePointer<Float>, rows: Int, c: UnsafeMutablePointer<Float>, ldc: Int, _ scratch: inout QuantizedRows, quantized: Bool = false
    ) {
        recorder?.record(layer: layer, linear: linear, a, count: rows * w.k)
        bias.withUnsafeBufferPointer { bp in
            guard let q else {
                GEMM.multiply(m: rows, a: a, lda: w.k, b: w, bias: bp.baseAddress, c: c, ldc: ldc)
                return
            }
            if !quantized { Int8GEMM.quantize(a, ldx: w.k, into: &scratch, rows: rows, q.activations) }
            Int8GEMM.multiply(scratch, rows: rows, b: q.weights, bias: bp.baseAddress, c: c, ldc: ldc)
        }
    }

    /// Runs `pass(first row, rows)` over `rows` rows in one chunk per thread; with `mode`, each task
    /// quantizes the rows it wrote — `width` floats per row at `data`, stride `width` — into `out` as it
    /// goes, 8 rows at a time while they are in cache, so no second pass or hand-off is needed. (Blocks of
    /// 8 rows give a pass over `rows · width` values the same split into 8-wide vectors and tail.)
    private func forRowChunks(
        _ rows: Int, width: Int, quantizing mode: ActivationQuantization? = nil, into out: inout QuantizedRows,
        data: UnsafePointer<Float>? = nil, _ pass: (Int, Int) -> Void
    ) {
        let chunk = max(1, (rows + Parallel.threads - 1) / Parallel.threads)
        let kp = Int8GEMM.paddedK(width)
        precondition(mode == nil || (out.k == width && out.rows >= rows), "quantized rows [\(out.rows), \(out.k)] cannot hold [\(rows), \(width)]")
        out.data.withUnsafeMutableBufferPointer { dp in out.scales.withUnsafeMutableBufferPointer { sp in
            out.zeros.withUnsafeMutableBufferPointer { zp in
                nonisolated(unsafe) let (dp, sp, zp) = (dp, sp, zp)
                Parallel.forEach((rows + chunk - 1) / chunk) { c in
                    let r0 = c * chunk, n = min(chunk, rows - r0)
                    guard let mode, let data else { return pass(r0, n) }
                    for b0 in stride(from: r0, to: r0 + n, by: 8) {
                        let m = min(8, r0 + n - b0)
                        pass(b0, m)
                        Int8GEMM.quantizeRows(data + b0 * width, ldx: width, rows: m, k: width, mode,
                                              data: dp.baseAddress! + b0 * kp, scales: sp.baseAddress! + b0, zeros: zp.baseAddress! + b0)
                    }
                }
            }
        } }
    }

    /// In place over rows of x: [rows, D]: x ← LN(x + residual)·γ + β, rows split over the threads;
    /// with `mode`, the rows are then quantized into `out` in the same pass.
    private func layerNorm(
        _ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, rows: Int, _ gamma: [Float], _ beta: [Float],
        quantizing mode: ActivationQuantization? = nil, into out: inout QuantizedRows
    ) {
        let d = config.hiddenSize, eps = Float(config.layerNormEps)
        nonisolated(unsafe) let (x, residual) = (x, residual)
        gamma.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { bt in
                nonisolated(unsafe) let (g, bt) = (g, bt)
                forRowChunks(rows, width: d, quantizing: mode, into: &out, data: x) { r0, n in
                    RowOps.layerNorm(x + r0 * d, ld: d, residual: residual.map { $0 + r0 * d }, ldr: d,
                                     rows: n, n: d, gamma: g.baseAddress!, beta: bt.baseAddress!, eps: eps)
                }
            }
        }
    }

    /// out: [rows, N] = input: [rows, K] · W + bias.
    private func linear(_ input: [Float], rows: Int, _ w: PackedMatrix, _ bias: [Float], into out: inout [Float]) {
        input.withUnsafeBufferPointer { a in
            bias.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer { c in
                    GEMM.multiply(m: rows, a: a.baseAddress!, lda: w.k, b: w, bias: bp.baseAddress, c: c.baseAddress!, ldc: w.n)
                }
            }
        }
    }
}
