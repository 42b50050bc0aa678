import AttendAttention
import AttendEvaluation
import AttendModels
import Foundation
import Testing

/// Hostile sizes in inputs and plan files are typed errors found before the work they claim
/// (RELIABILITY.md, "Resource limits"); the model-file cases are in AttendModelsTests.
@Suite("Resource limits: million-token inputs and million-layer plans")
struct EvaluationResourceLimitTests {
    static let million = 1_000_000

    @Test("a sentence of a million tokens: an error naming the length and the model's 512, truncation keeps 512")
    func millionTokenSentence() throws {
        let classifier = try Classifier(directory: bundledModel(.sst2))
        let text = String(repeating: "good ", count: Self.million)
        #expect {
            _ = try classifier.encode([text], truncate: false)
        } throws: { error in
            let message = String(describing: error)
            return message.contains("\(Self.million + 2)") && message.contains("512")
        }
        let truncated = try classifier.encode([text], truncate: true)
        #expect(truncated[0].count == 512)
        // Token ids given directly, past the tokenizer: the model refuses them before embedding.
        #expect {
            _ = try classifier.model.logits([[Int](repeating: 1, count: Self.million)])
        } throws: { error in
            String(describing: error).contains("\(Self.million)")
        }
    }

    @Test("a window plan of a million layers for the 6-layer model")
    func millionLayerPlan() throws {
        let windows = "[" + Array(repeating: "4", count: Self.million).joined(separator: ",") + "]"
        let plan = try AttentionPlan.load(json: Data(#"{"method": "window", "windows": \#(windows)}"#.utf8), source: "huge.json")
        #expect(throws: AttentionPlanError.layerCount(windows: Self.million, layers: 6)) { _ = try plan.makeMethod(layers: 6) }
    }

    @Test("a plan file nested a million deep")
    func deepPlan() {
        let deep = String(repeating: "[", count: Self.million) + String(repeating: "]", count: Self.million)
        #expect {
            _ = try AttentionPlan.load(json: Data(#"{"method": "window", "windows": \#(deep)}"#.utf8), source: "deep.json")
        } throws: { error in
            String(describing: error).contains("deep.json")
        }
    }
}
