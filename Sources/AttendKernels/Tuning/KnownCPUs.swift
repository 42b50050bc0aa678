import CAttendKernels

/// Kernel parameters for the CPUs Attend has been measured on, and the rule for the others.
public enum KnownCPUs {
    /// One measured CPU: how it is recognised, its parameters, and where they were measured.
    public struct Entry: Sendable {
        public var name: String
        public var vendor: String, family: Int, model: Int
        public var config: KernelConfig
        /// Who measured it and how (the command and the BENCHMARKS.md section).
        public var source: String
    }

    /// Measured choices (`attend tune` on each machine; BENCHMARKS.md has the runs). A CPU is
    /// matched by vendor, family and model.
    public static let table: [Entry] = [
        Entry(name: "AMD Zen 4 (EPYC, family 25 model 17)", vendor: "AuthenticAMD", family: 25, model: 17,
              config: .defaults,
              source: "the blocking of BENCHMARKS.md's first tables; `attend tune` on this machine, 2026-12-01 (BENCHMARKS.md, Kernel parameters)"),
    ]

    /// The table entry for `cpu`, if it was measured.
    public static func match(_ cpu: CPUInfo) -> Entry? {
        table.first { $0.vendor == cpu.vendor && $0.family == cpu.family && $0.model == cpu.model }
    }

    /// The analytical rule for CPUs not in the table (the BLIS model: Low, Igual, Smith and
    /// Quintana-Ortí, "Analytical modeling is enough for high-performance BLIS", ACM TOMS 2016):
    /// - KC: the streamed B panel, KC × 16 floats, fills half of L1d (the other half holds the
    ///   rows of A being broadcast): KC = L1d / 2 / 64 B, a multiple of 16 in 64…512;
    /// - MC: the A block, MC × KC floats, fills half of L2: MC = L2 / 2 / (4·KC), a multiple of
    ///   6 in 48…960;
    /// - NC: a packed B block, KC × NC floats, fills a quarter of L3 (shared with the other core
    ///   and with A): a multiple of 16 in 512…8192;
    /// - attention tiles: 96 × 128 (a 48 KiB score tile plus the 96 × d accumulator) with an L2 of
    ///   at least 512 KiB, else 64 × 64.
    /// Unknown cache sizes (0) give the defaults' values.
    public static func rule(_ cpu: CPUInfo) -> KernelConfig {
        let defaults = KernelConfig.defaults
        func clamp(_ x: Int, _ multiple: Int, _ low: Int, _ high: Int) -> Int { min(high, max(low, x / multiple * multiple)) }
        let nr = Int(ATTEND_GEMM_NR), mr = Int(ATTEND_GEMM_MR)
        let kc = cpu.l1d > 0 ? clamp(cpu.l1d / 2 / (nr * 4), 16, 64, Int(ATTEND_GEMM_KC_MAX)) : defaults.gemmDepthBlock
        let mc = cpu.l2 > 0 ? clamp(cpu.l2 / 2 / (4 * kc), mr, 48, 960) : defaults.gemmRowBlock
        let nc = cpu.l3 > 0 ? clamp(cpu.l3 / 4 / (4 * kc), nr, 512, 8192) : defaults.gemmColumnBlock
        let smallL2 = cpu.l2 > 0 && cpu.l2 < 512 * 1024
        return KernelConfig(gemmRowBlock: mc, gemmDepthBlock: kc, gemmColumnBlock: nc, gemmPrefetch: true, tasksPerThread: 2,
                            attentionQueryTile: smallL2 ? 64 : defaults.attentionQueryTile,
                            attentionKeyTile: smallL2 ? 64 : defaults.attentionKeyTile)
    }
}
