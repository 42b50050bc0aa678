import AttendAttention
import AttendEvaluation
import AttendKernels
import AttendWorkload
import Foundation
import Testing

/// Results must not depend on the thread count nor on the run (RELIABILITY.md, "Determinism"):
/// every parallel split in the encoder (GEMM tiles, heads, row chunks) gives each output element to
/// one task that runs its whole reduction in a fixed order, so 1 and 2 threads are bit-identical.
/// Claims of bit-identity compare with `==` on purpose.
@Suite("Determinism: BERT logits and traces across thread counts and runs", .serialized)
struct DeterminismTests {
    /// The bundled SST-2 model on the first 24 real dev sentences.
    private static let sentences = 24

    /// Logits and the trace CSV of `plan` with `threads` threads.
    private func run(_ classifier: Classifier, _ ids: [[Int]], plan: AttentionPlan, threads: Int) throws -> ([[Float]], String) {
        Parallel.threads = threads
        defer { Parallel.threads = Parallel.defaultThreads }
        let result = try classifier.classify(ids, batchSize: 8, attention: try plan.makeMethod(layers: 6))
        return (result.logits, TraceCSV.text(result.workloads))
    }

    @Test("1 thread, 2 threads and a second 2-thread run give bit-identical logits and traces",
          arguments: ["dense", "tiled", "plans/sst2-window.json", "plans/sst2-hdp.json"])
    func threadCountInvariance(method: String) throws {
        let plan = method.hasSuffix(".json")
            ? try AttentionPlan.load(json: Data(contentsOf: repositoryRoot.appendingPathComponent(method)), source: method)
            : AttentionPlan(method: method)
        let examples = Array(try GLUETask.sst2.load(bundledDevSet(.sst2)).prefix(Self.sentences))
        let classifier = try Classifier(directory: bundledModel(.sst2))
        let ids = try classifier.encode(examples.map(\.text), truncate: false)
        let (logits1, trace1) = try run(classifier, ids, plan: plan, threads: 1)
        let (logits2, trace2) = try run(classifier, ids, plan: plan, threads: 2)
        let (logits2b, trace2b) = try run(classifier, ids, plan: plan, threads: 2)
        #expect(logits1.count == Self.sentences)
        #expect(logits1 == logits2, "\(method): logits differ between 1 and 2 threads")
        #expect(logits2 == logits2b, "\(method): logits differ between two 2-thread runs")
        #expect(trace1 == trace2, "\(method): trace differs between 1 and 2 threads")
        #expect(trace2 == trace2b, "\(method): trace differs between two 2-thread runs")
        #expect(trace1.split(separator: "\n").count == 1 + Self.sentences * 6 * 12)
    }
}
