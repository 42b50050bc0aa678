/// A dense, row-major Float32 tensor: `shape` and its elements in `data`
/// (`data.count == shape.reduce(1, *)`). Value semantics through `Array`'s copy-on-write.
///
/// Layout conventions (SPEC §3): activations are `[N, D]` (tokens × hidden), per-head
/// tensors `[H, N, d]`.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    /// A tensor of zeros with the given shape.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// Wraps `data` with `shape`; `data.count` must equal the product of `shape`.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not match \(data.count) elements")
        self.shape = shape
        self.data = data
    }

    /// Number of elements.
    public var count: Int { data.count }

    /// Rows and columns of a rank-2 tensor.
    public var rows: Int { precondition(shape.count == 2); return shape[0] }
    public var columns: Int { precondition(shape.count == 2); return shape[1] }
}
