import AttendHardware
import AttendWorkload
import Foundation
import Testing

let hardwareFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("hardware")

func shipped(_ name: String) throws -> HardwareFile { try HardwareFile.load(hardwareFolder.appendingPathComponent(name).path) }

func edge() throws -> HDPAccelerator {
    guard case let .hdp(a) = try shipped("hdp-edge.json") else { throw ConfigError(file: "hdp-edge.json", key: "kind", reason: "not hdp") }
    return a
}

/// An HDP record of nq × nk with b × b blocks and the given kept bitmap.
func record(queries nq: Int, keys nk: Int, d: Int, block b: Int, kept: [UInt8], pruned: Bool = false) -> HeadWorkload {
    HeadWorkload(queries: nq, keys: nk, allowedEntries: 0, computedEntries: 0, blocksKept: kept.reduce(0) { $0 + Int($1) },
                 blocksTotal: kept.count, qkMACs: 0, pvMACs: 0, denseMACs: 2 * nq * nk * d, exps: 0, bytesQ: 0, bytesK: 0, bytesV: 0,
                 bits: 16, kvRowsRead: 0, headPruned: pruned ? 1 : 0, headDim: d, blockRows: b, blockColumns: b, keptBlocks: BlockMask(kept))
}

@Suite("HDP accelerator: closed forms")
struct HDPAcceleratorTests {
    @Test("a dense layer takes the analytic fold count: ⌈N/R⌉·⌈N/C⌉ folds of d + R + C − 2 for Q·Kᵀ, ⌈N/R⌉·⌈d/C⌉ of N + R + C − 2 for P·V")
    func denseFolds() throws {
        let a = try edge()
        let (r, c) = (a.config.peRows, a.config.peColumns)
        for (n, d) in [(1, 1), (5, 3), (97, 64), (128, 64)] {
            let cost = a.denseHead(record(queries: n, keys: n, d: d, block: 2, kept: []))
            let folds = ((n + r - 1) / r) * ((n + c - 1) / c)
            #expect(cost.components[.scorePass]!.cycles == folds * (d + r + c - 2))
            #expect(cost.components[.pv]!.cycles == ((n + r - 1) / r) * ((d + c - 1) / c) * (n + r + c - 2))
            #expect(cost.macs == 2 * n * n * d && cost.kRowsFetched == n)
            #expect(cost.dramBytes == (4 * n * d * a.config.valueBits) / 8)
        }
        // With every block kept and no approximation, HDP's score pass is the dense Q·Kᵀ pass.
        let n = 64, d = 32, b = 2, blocks = (n / b) * (n / b)
        let all = a.head(record(queries: n, keys: n, d: d, block: b, kept: [UInt8](repeating: 1, count: blocks)), mechanisms: .init(approximation: false))
        let dense = a.denseHead(record(queries: n, keys: n, d: d, block: b, kept: []))
        #expect(all.components[.scorePass]!.cycles == dense.components[.scorePass]!.cycles)
        #expect(all.components[.pv]!.cycles == dense.components[.pv]!.cycles)
    }

    @Test("a pruned head (or one whose blocks are all pruned at END H) costs only the integer pass and the sparsity engine")
    func prunedHead() throws {
        let a = try edge()
        let (n, d, b) = (40, 64, 2)
        let w = record(queries: n, keys: n, d: d, block: b, kept: [UInt8](repeating: 0, count: (n / b) * (n / b)), pruned: true)
        let cost = a.head(w)
        let (r, c) = (a.config.peRows, a.config.peColumns)
        let integer = ((n + r - 1) / r) * ((n + c - 1) / c) * ((d + 1) / 2 + r + c - 2)
        #expect(cost.components[.integerPass]!.cycles == integer)
        #expect(cost.computeCycles == integer + cost.components[.sparsityEngine]!.cycles)
        for part in [HDPComponent.scorePass, .adders, .softmax, .pv] { #expect(cost.components[part] == nil) }
        #expect(cost.macs == n * n * d)
        #expect(cost.dramBytes == n * d * (a.config.integerBits + a.config.fractionBits) / 8 + n * d * a.config.integerBits / 8)
        #expect(cost.vRowsFetched == 0)
    }

    @Test("Fetch-Upon-Mask fetches exactly the K/V rows of kept blocks (the union over a row group; per group when K, V do not fit on chip)")
    func fetchUponMask() throws {
        let a = try edge()
        let (nq, nk, d, b) = (5, 7, 4, 2)          // 3 block-rows × 4 key blocks, the last ones partial
        let kept: [UInt8] = [1, 0, 0, 1,
                             0, 0, 0, 1,
                             0, 1, 0, 0]
        let cost = a.head(record(queries: nq, keys: nk, d: d, block: b, kept: kept))
        // One row group (R = 16 ≥ 5 queries): key blocks 0, 1, 3 are kept somewhere: rows 2 + 2 + 1.
        #expect(cost.kRowsFetched == 5 && cost.vRowsFetched == 5)
        let off = a.head(record(queries: nq, keys: nk, d: d, block: b, kept: kept), mechanisms: .init(fetchUponMask: false))
        #expect(off.kRowsFetched == nk && off.dramBytes > cost.dramBytes)
        // Kept entries: blocks (0,0) 4, (0,3) 2, (1,3) 2, (2,1) 2 → 10; score MACs 2d each, P·V d each.
        #expect(cost.macs == nq * nk * d + 10 * 2 * d + 10 * d)
    }

    @Test("with more blocks pruned, HDP takes fewer cycles and bytes; dense does not change")
    func monotone() throws {
        let a = try edge()
        let (n, d, b) = (128, 64, 2)
        let blocks = (n / b) * (n / b)
        let half = (0..<blocks).map { UInt8(($0 % 64) < 16 ? 1 : 0) }
        let full = a.head(record(queries: n, keys: n, d: d, block: b, kept: [UInt8](repeating: 1, count: blocks)))
        let sparse = a.head(record(queries: n, keys: n, d: d, block: b, kept: half))
        #expect(sparse.cycles < full.cycles && sparse.dramBytes < full.dramBytes && sparse.energyPJ < full.energyPJ)
    }
}
