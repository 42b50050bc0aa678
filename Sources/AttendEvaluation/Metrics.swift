/// Binary classification scores from predicted and gold labels.
public struct ClassificationMetrics: Sendable, Equatable {
    public let examples: Int
    /// Fraction of predictions equal to the gold label.
    public let accuracy: Double
    /// Matthews correlation coefficient
    /// `(TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN))`, 0 when a margin is empty
    /// (the GLUE / scikit-learn convention); CoLA's metric.
    public let mcc: Double
    public let truePositives: Int, trueNegatives: Int, falsePositives: Int, falseNegatives: Int

    public init(predictions: [Int], labels: [Int]) {
        precondition(predictions.count == labels.count, "predictions and labels differ in count")
        var (tp, tn, fp, fn) = (0, 0, 0, 0)
        for (p, g) in zip(predictions, labels) {
            switch (p == 1, g == 1) {
            case (true, true): tp += 1
            case (false, false): tn += 1
            case (true, false): fp += 1
            case (false, true): fn += 1
            }
        }
        self.init(truePositives: tp, trueNegatives: tn, falsePositives: fp, falseNegatives: fn)
    }

    /// The scores of a confusion matrix.
    public init(truePositives tp: Int, trueNegatives tn: Int, falsePositives fp: Int, falseNegatives fn: Int) {
        examples = tp + tn + fp + fn
        accuracy = examples == 0 ? 0 : Double(tp + tn) / Double(examples)
        let denominator = (Double(tp + fp) * Double(tp + fn) * Double(tn + fp) * Double(tn + fn)).squareRoot()
        mcc = denominator == 0 ? 0 : (Double(tp) * Double(tn) - Double(fp) * Double(fn)) / denominator
        (truePositives, trueNegatives, falsePositives, falseNegatives) = (tp, tn, fp, fn)
    }
}
