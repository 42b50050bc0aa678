import AttendJSON
import CAttendKernels
import Foundation

/// The kernels' machine-dependent parameters (issue #17): the SGEMM cache blocking, the B-panel
/// prefetch, the thread split, and the tiles of tiled attention. None of them changes what is
/// computed; `gemmDepthBlock` and `attentionKeyTile` change the order of the floating-point sums
/// (K is summed block by block; the online softmax rescales per key tile), so results under two
/// choices of those agree to rounding; every other parameter gives bit-identical results.
///
/// Chosen at first use (`current`), in this order: the file named by `ATTEND_KERNEL_CONFIG`; the
/// file `attend tune` wrote for this CPU (`tunedFilePath`); the table of measured CPUs
/// (`KnownCPUs`); else the cache-size rule (`KnownCPUs.rule`).
public struct KernelConfig: Sendable, Equatable {
    /// MC: rows of A per block (a multiple of the micro-kernel's 6 rows): the A block MC × KC
    /// floats stays in L2.
    public var gemmRowBlock: Int
    /// KC: depth of a block (≤ 512): the B panel KC × 16 floats stays in L1.
    public var gemmDepthBlock: Int
    /// NC: columns of B packed at a time when B is packed on the fly (a multiple of 16): KC × NC
    /// floats in L2/L3.
    public var gemmColumnBlock: Int
    /// Whether the next B panel is prefetched while the current one runs.
    public var gemmPrefetch: Bool
    /// Tasks per thread a product is split into (load balance against hand-off cost).
    public var tasksPerThread: Int
    /// Query × key tile of tiled attention without a block layout (SPEC §4.2).
    public var attentionQueryTile: Int
    public var attentionKeyTile: Int

    public init(gemmRowBlock: Int, gemmDepthBlock: Int, gemmColumnBlock: Int, gemmPrefetch: Bool, tasksPerThread: Int,
                attentionQueryTile: Int, attentionKeyTile: Int) {
        (self.gemmRowBlock, self.gemmDepthBlock, self.gemmColumnBlock, self.gemmPrefetch) =
            (gemmRowBlock, gemmDepthBlock, gemmColumnBlock, gemmPrefetch)
        (self.tasksPerThread, self.attentionQueryTile, self.attentionKeyTile) = (tasksPerThread, attentionQueryTile, attentionKeyTile)
    }

    /// The parameters the kernels were first tuned with (Zen 4, BENCHMARKS.md).
    public static let defaults = KernelConfig(
        gemmRowBlock: Int(ATTEND_GEMM_MC), gemmDepthBlock: Int(ATTEND_GEMM_KC), gemmColumnBlock: Int(ATTEND_GEMM_NC),
        gemmPrefetch: true, tasksPerThread: 2, attentionQueryTile: 96, attentionKeyTile: 128)

    /// Checks every field's range; the error names the key (`jsonKeys`) and the allowed values.
    public func validate() throws(KernelConfigError) {
        let mr = Int(ATTEND_GEMM_MR), nr = Int(ATTEND_GEMM_NR), kcMax = Int(ATTEND_GEMM_KC_MAX)
        func check(_ ok: Bool, _ key: String, _ value: Int, _ expected: String) throws(KernelConfigError) {
            if !ok { throw KernelConfigError(key: key, reason: "\(value) is not allowed: expected \(expected)") }
        }
        try check(gemmRowBlock >= mr && gemmRowBlock <= 4096 && gemmRowBlock % mr == 0, "gemm_mc", gemmRowBlock,
                  "a multiple of \(mr) in \(mr)…4096")
        try check(gemmDepthBlock >= 16 && gemmDepthBlock <= kcMax && gemmDepthBlock % 16 == 0, "gemm_kc", gemmDepthBlock,
                  "a multiple of 16 in 16…\(kcMax)")
        try check(gemmColumnBlock >= nr && gemmColumnBlock <= 65536 && gemmColumnBlock % nr == 0, "gemm_nc", gemmColumnBlock,
                  "a multiple of \(nr) in \(nr)…65536")
        try check((1...16).contains(tasksPerThread), "tasks_per_thread", tasksPerThread, "1…16")
        try check((1...1024).contains(attentionQueryTile), "attention_query_tile", attentionQueryTile, "1…1024")
        try check((16...1024).contains(attentionKeyTile), "attention_key_tile", attentionKeyTile, "16…1024")
    }

    // MARK: Candidates

    /// The values `attend tune` tries for each key (booleans as 0/1), in the order it tunes them.
    public static let candidates: [(key: String, values: [Int])] = [
        ("gemm_kc", [128, 192, 256, 320, 384, 512]),
        ("gemm_mc", [48, 96, 144, 192, 240, 288, 384, 480]),
        ("gemm_nc", [512, 1024, 2048, 4096]),
        ("gemm_prefetch", [0, 1]),
        ("tasks_per_thread", [1, 2, 3, 4]),
        ("attention_query_tile", [32, 48, 64, 96, 128, 192]),
        ("attention_key_tile", [64, 128, 192, 256]),
    ]

    /// Every configuration that differs from `self` in one key, over `candidates`.
    public var neighbours: [KernelConfig] {
        Self.candidates.flatMap { key, values in values.filter { $0 != value(of: key) }.map { with(key, $0) } }
    }

    /// The value of a key of `jsonKeys` (booleans as 0/1).
    public func value(of key: String) -> Int {
        switch key {
        case "gemm_mc": return gemmRowBlock
        case "gemm_kc": return gemmDepthBlock
        case "gemm_nc": return gemmColumnBlock
        case "gemm_prefetch": return gemmPrefetch ? 1 : 0
        case "tasks_per_thread": return tasksPerThread
        case "attention_query_tile": return attentionQueryTile
        case "attention_key_tile": return attentionKeyTile
        default: preconditionFailure("unknown kernel configuration key \(key)")
        }
    }

    /// A copy with one key of `jsonKeys` set (booleans as 0/1).
    public func with(_ key: String, _ value: Int) -> KernelConfig {
        var c = self
        switch key {
        case "gemm_mc": c.gemmRowBlock = value
        case "gemm_kc": c.gemmDepthBlock = value
        case "gemm_nc": c.gemmColumnBlock = value
        case "gemm_prefetch": c.gemmPrefetch = value != 0
        case "tasks_per_thread": c.tasksPerThread = value
        case "attention_query_tile": c.attentionQueryTile = value
        case "attention_key_tile": c.attentionKeyTile = value
        default: preconditionFailure("unknown kernel configuration key \(key)")
        }
        return c
    }

    // MARK: The configuration in effect

    nonisolated(unsafe) private static var chosen: (config: KernelConfig, source: String)?
    private static let lock = NSLock()

    /// The configuration the kernels use by default (each kernel also takes one explicitly).
    /// Setting it validates (a precondition: use `use(_:source:)` for input from users) and takes
    /// effect for products started afterwards; packed weights keep the depth block they were
    /// packed with.
    public static var current: KernelConfig {
        get { selection.config }
        set {
            precondition((try? newValue.validate()) != nil, "invalid kernel configuration \(newValue)")
            lock.withLock { chosen = (newValue, "set by the program") }
        }
    }

    /// Where `current` came from ("ATTEND_KERNEL_CONFIG=…", "tuned: …", "table: …", "rule: …").
    public static var source: String { selection.source }

    private static var selection: (config: KernelConfig, source: String) {
        if let chosen = lock.withLock({ chosen }) { return chosen }
        let selected = select()
        return lock.withLock {
            if chosen == nil { chosen = selected }
            return chosen!
        }
    }

    /// Makes `config` current and records `source` as where it came from.
    public static func use(_ config: KernelConfig, source: String) throws(KernelConfigError) {
        try config.validate()
        lock.withLock { chosen = (config, source) }
    }

    /// The C driver's blocking, with the depth block `kc` (a packed matrix's own) and the micro-kernel `body`.
    public func blocking(depthBlock kc: Int? = nil, body: GEMMBody = .auto) -> attend_gemm_blocking {
        attend_gemm_blocking(mc: Int32(gemmRowBlock), kc: Int32(kc ?? gemmDepthBlock), nc: Int32(gemmColumnBlock),
                             prefetch: gemmPrefetch ? 1 : 0, body: body.rawValue)
    }

    /// The first-use choice (see the type's documentation). A file that cannot be read is reported
    /// on standard error and skipped: parameters never change what is computed, only how fast.
    /// Programs that want the error (the CLI) call `loadFromEnvironment()` first.
    static func select() -> (config: KernelConfig, source: String) {
        do {
            if let environment = try loadFromEnvironment() { return environment }
        } catch {
            FileHandle.standardError.write(Data("attend: warning: \(error); using the built-in choice\n".utf8))
        }
        let cpu = CPUInfo.current
        if let path = tunedFilePath, FileManager.default.fileExists(atPath: path),
           let file = try? KernelConfigFile.read(path: path), file.cpu == cpu.identity {
            return (file.config, "tuned: \(path)")
        }
        if let known = KnownCPUs.match(cpu) { return (known.config, "table: \(known.name)") }
        return (KnownCPUs.rule(cpu), "rule: from the cache sizes of \(cpu.identity)")
    }

    /// The configuration of the file `ATTEND_KERNEL_CONFIG` names, or nil when it is not set;
    /// throws when the file is missing or malformed.
    @discardableResult
    public static func loadFromEnvironment() throws(KernelConfigError) -> (config: KernelConfig, source: String)? {
        guard let path = ProcessInfo.processInfo.environment["ATTEND_KERNEL_CONFIG"], !path.isEmpty else { return nil }
        let file = try KernelConfigFile.read(path: path)
        return (file.config, "ATTEND_KERNEL_CONFIG=\(path)")
    }

    /// Where `attend tune` writes its choice: `$XDG_CACHE_HOME/attend/kernels.json`, else
    /// `~/.cache/attend/kernels.json` (as FFTW keeps wisdom); nil without a home directory.
    public static var tunedFilePath: String? {
        let environment = ProcessInfo.processInfo.environment
        if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty { return cache + "/attend/kernels.json" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.cache/attend/kernels.json" }
        return nil
    }

    // MARK: JSON

    /// The JSON keys of the fields, in order.
    public static let jsonKeys = ["gemm_mc", "gemm_kc", "gemm_nc", "gemm_prefetch", "tasks_per_thread",
                                  "attention_query_tile", "attention_key_tile"]

    /// The configuration as a JSON object (keys `jsonKeys`).
    public var json: String {
        "{\"gemm_mc\": \(gemmRowBlock), \"gemm_kc\": \(gemmDepthBlock), \"gemm_nc\": \(gemmColumnBlock), "
            + "\"gemm_prefetch\": \(gemmPrefetch), \"tasks_per_thread\": \(tasksPerThread), "
            + "\"attention_query_tile\": \(attentionQueryTile), \"attention_key_tile\": \(attentionKeyTile)}"
    }

    /// Reads a configuration object: every key of `jsonKeys` required, no others; validated.
    public init(json value: JSONValue) throws(KernelConfigError) {
        guard case .object(let members) = value else {
            throw KernelConfigError(key: "config", reason: "expected an object, got \(value.typeName)")
        }
        var seen: Set<String> = []
        for key in members.map(\.key) {
            guard Self.jsonKeys.contains(key) else {
                throw KernelConfigError(key: key, reason: "unknown key; expected one of \(Self.jsonKeys.joined(separator: ", "))")
            }
            guard seen.insert(key).inserted else { throw KernelConfigError(key: key, reason: "appears twice") }
        }
        func integer(_ key: String) throws(KernelConfigError) -> Int {
            guard let member = value[key] else { throw KernelConfigError(key: key, reason: "missing") }
            guard let number = member.integer else { throw KernelConfigError(key: key, reason: "expected an integer, got \(member.summary)") }
            return number
        }
        guard let prefetch = value["gemm_prefetch"] else { throw KernelConfigError(key: "gemm_prefetch", reason: "missing") }
        guard case .bool(let flag) = prefetch else {
            throw KernelConfigError(key: "gemm_prefetch", reason: "expected true or false, got \(prefetch.summary)")
        }
        self.init(gemmRowBlock: try integer("gemm_mc"), gemmDepthBlock: try integer("gemm_kc"), gemmColumnBlock: try integer("gemm_nc"),
                  gemmPrefetch: flag, tasksPerThread: try integer("tasks_per_thread"),
                  attentionQueryTile: try integer("attention_query_tile"), attentionKeyTile: try integer("attention_key_tile"))
        try validate()
    }
}

/// A kernel configuration that cannot be used: the file (when there is one), the key, and why.
public struct KernelConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String?
    public var key: String
    public var reason: String

    public init(file: String? = nil, key: String, reason: String) { (self.file, self.key, self.reason) = (file, key, reason) }

    public var description: String { "\(file.map { $0 + ": " } ?? "")kernel configuration key '\(key)': \(reason)" }
}

/// The file `attend tune` writes (and `ATTEND_KERNEL_CONFIG` may name):
/// `{"cpu": CPUInfo.identity, "config": {…KernelConfig.jsonKeys…}, …}`; other top-level keys
/// (what was measured, when) are for people and ignored.
public struct KernelConfigFile: Sendable, Equatable {
    public var cpu: String
    public var config: KernelConfig

    public init(cpu: String, config: KernelConfig) { (self.cpu, self.config) = (cpu, config) }

    /// Reads and validates `path`; errors name the file and the key.
    public static func read(path: String) throws(KernelConfigError) -> KernelConfigFile {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw KernelConfigError(file: path, key: "-", reason: "cannot read the file")
        }
        guard bytes.count <= 1 << 20 else { throw KernelConfigError(file: path, key: "-", reason: "\(bytes.count) bytes; expected at most 1 MiB") }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw KernelConfigError(file: path, key: "-", reason: "not JSON: \(error)") }
        guard case .string(let cpu)? = value["cpu"] else {
            throw KernelConfigError(file: path, key: "cpu", reason: "missing or not a string (expected the CPU identity)")
        }
        guard let config = value["config"] else { throw KernelConfigError(file: path, key: "config", reason: "missing") }
        do { return KernelConfigFile(cpu: cpu, config: try KernelConfig(json: config)) } catch {
            throw KernelConfigError(file: path, key: error.key, reason: error.reason)
        }
    }
}
