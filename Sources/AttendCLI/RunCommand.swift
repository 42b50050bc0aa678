import ArgumentParser
import AttendEvaluation
import Foundation

/// `attend run`: classify texts given on the command line.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify texts and print each one's label and probabilities.")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "Which bundled model to use when --model is not given (sst2 or cola).")
    var task: GLUETask = .sst2

    @Flag(name: .long, help: "Print one JSON object per text: text, label, label_index, probabilities.")
    var json = false

    @Argument(help: "Texts to classify.")
    var texts: [String]

    func validate() throws {
        if texts.isEmpty { throw ValidationError("give at least one text to classify") }
    }

    struct Result: Encodable {
        let text: String, label: String, label_index: Int, probabilities: [String: Double]
    }

    func run() throws {
        let classifier = try options.classifier(task: task)
        let ids = try classifier.encode(texts, truncate: options.truncate)
        let logits = try classifier.classify(ids, attention: options.attentionMethod(layers: classifier.model.config.numHiddenLayers)).logits
        for (text, row) in zip(texts, logits) {
            let p = probabilities(row), best = argmax(row), labels = classifier.labels
            if json {
                print(try jsonLine(Result(text: text, label: labels[best], label_index: best,
                                          probabilities: Dictionary(uniqueKeysWithValues: zip(labels, p)))))
            } else {
                let shown = zip(labels, p).map { "\($0)=\(String(format: "%.4f", $1))" }.joined(separator: " ")
                print("\(labels[best])\t\(shown)\t\(text)")
            }
        }
    }
}
