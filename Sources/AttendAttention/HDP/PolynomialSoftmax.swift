import CAttendKernels

/// HDP's softmax arithmetic (SPEC §4.4 item 6, I-BERT arXiv 2101.01321): a second-order polynomial
/// exponential and a linear reciprocal, the same C functions the HDP kernel calls.
public enum PolynomialSoftmax {
    /// e^x for x ≤ 0: x = −z·ln2 + r, z = ⌊−x/ln2⌋, r ∈ (−ln2, 0],
    /// e^x ≈ (0.3585·(r + 1.353)² + 0.344)·2^−z. Relative error ≤ `expRelativeError` (tested over
    /// [−87, 0]; below that the result underflows towards 0 like e^x itself).
    public static func exp(_ x: Float) -> Float { attend_ibert_exp(x) }

    /// Bound on |exp(x) − e^x| / e^x: the polynomial's 3.10e-3 on (−ln2, 0] plus Float32 rounding.
    public static let expRelativeError = 3.2e-3

    /// 1/s for s > 0 (normal): s = m·2^e, m ∈ [½, 1), 1/m ≈ 48/17 − 32/17·m. Relative error ≤ 1/17
    /// (at m = ½, 1/√2·… the extremes of m·(48 − 32m)/17 ∈ [16/17, 18/17]): each softmax row sums to
    /// a value in [16/17, 18/17] instead of 1.
    public static func reciprocal(_ s: Float) -> Float { attend_linear_reciprocal(s) }

    /// Bound on |reciprocal(s)·s − 1|.
    public static let reciprocalRelativeError = 1.0 / 17 + 1e-6
}
