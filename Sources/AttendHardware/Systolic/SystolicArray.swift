/// How operands map onto a systolic array (SCALE-Sim's `Dataflow` key).
///
/// With a layer as the GEMM ifmap [P, W] · filter [W, F] = ofmap [P, F] (P output pixels, W the
/// window fh·fw·channels, F filters), SCALE-Sim's spatial rows S_r, spatial columns S_c and
/// temporal extent T are: output-stationary (P, F, W), weight-stationary (W, F, P),
/// input-stationary (W, P, F).
public enum Dataflow: String, Sendable, CaseIterable, Codable {
    case outputStationary = "os"
    case weightStationary = "ws"
    case inputStationary = "is"
}

/// A systolic PE array with its three double-buffered SRAMs, as SCALE-Sim configures one.
public struct SystolicArray: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var dataflow: Dataflow
    /// Ifmap, filter and ofmap SRAM sizes in KiB (SCALE-Sim's `IfmapSramSzkB` …; one word = one byte).
    public var ifmapSRAMKiB: Int
    public var filterSRAMKiB: Int
    public var ofmapSRAMKiB: Int

    public init(rows: Int, columns: Int, dataflow: Dataflow, ifmapSRAMKiB: Int = 64, filterSRAMKiB: Int = 64, ofmapSRAMKiB: Int = 64) {
        (self.rows, self.columns, self.dataflow) = (rows, columns, dataflow)
        (self.ifmapSRAMKiB, self.filterSRAMKiB, self.ofmapSRAMKiB) = (ifmapSRAMKiB, filterSRAMKiB, ofmapSRAMKiB)
    }
}

/// One layer of a SCALE-Sim topology: a convolution, or a GEMM written as SCALE-Sim does
/// (`M, N, K` ⇒ ifmap M × K, filter 1 × K, one channel, N filters, stride 1).
public struct SystolicLayer: Sendable, Equatable {
    public var name: String
    public var ifmapHeight: Int, ifmapWidth: Int
    public var filterHeight: Int, filterWidth: Int
    public var channels: Int, filters: Int
    public var stride: Int

    public init(name: String, ifmapHeight: Int, ifmapWidth: Int, filterHeight: Int, filterWidth: Int, channels: Int, filters: Int, stride: Int) {
        (self.name, self.ifmapHeight, self.ifmapWidth, self.filterHeight, self.filterWidth) = (name, ifmapHeight, ifmapWidth, filterHeight, filterWidth)
        (self.channels, self.filters, self.stride) = (channels, filters, stride)
    }

    /// C[M, N] = A[M, K] · B[K, N].
    public static func gemm(name: String, m: Int, n: Int, k: Int) -> SystolicLayer {
        SystolicLayer(name: name, ifmapHeight: m, ifmapWidth: k, filterHeight: 1, filterWidth: k, channels: 1, filters: n, stride: 1)
    }

    /// Output rows and columns ⌈(H − fh + s) / s⌉ × ⌈(W − fw + s) / s⌉.
    public var ofmapHeight: Int { (ifmapHeight - filterHeight + 2 * stride - 1) / stride }
    public var ofmapWidth: Int { (ifmapWidth - filterWidth + 2 * stride - 1) / stride }
    /// P = output pixels per filter; W = fh · fw · channels.
    public var ofmapPixels: Int { ofmapHeight * ofmapWidth }
    public var window: Int { filterHeight * filterWidth * channels }
    /// Multiply-adds P · W · F.
    public var macs: Int { ofmapPixels * window * filters }

    /// The ifmap word read for output pixel i, window position j (SCALE-Sim's address, without its
    /// offset), or −1 when the window runs past the ifmap edge.
    func ifmapAddress(pixel i: Int, window j: Int) -> Int {
        let (oRow, oCol) = i.quotientAndRemainder(dividingBy: ofmapWidth)
        let (iRow, iCol) = (oRow * stride, oCol * stride)
        let (cRow, k) = j.quotientAndRemainder(dividingBy: filterWidth * channels)
        let (cCol, ch) = k.quotientAndRemainder(dividingBy: channels)
        guard cRow + iRow < ifmapHeight, cCol + iCol < ifmapWidth else { return -1 }
        return ((cRow * ifmapWidth + cCol) * channels + ch) + (iRow * ifmapWidth + iCol) * channels
    }
}
