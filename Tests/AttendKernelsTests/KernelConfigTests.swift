import AttendJSON
import AttendKernels
import CAttendKernels
import Foundation
import Testing

/// Every configuration `attend tune` can choose (one key varied from the defaults, and the rule's
/// choice for a few cache hierarchies), each given explicitly to the kernels.
private let candidates: [KernelConfig] = [KernelConfig.defaults] + KernelConfig.defaults.neighbours + ruleExamples.map(KnownCPUs.rule)

private let ruleExamples = [
    CPUInfo(vendor: "AuthenticAMD", family: 23, model: 1, name: "Zen 1", l1d: 32 << 10, l2: 512 << 10, l3: 8 << 20, avx2: true, avx512: false),
    CPUInfo(vendor: "GenuineIntel", family: 6, model: 106, name: "Ice Lake", l1d: 48 << 10, l2: 1280 << 10, l3: 48 << 20, avx2: true, avx512: true),
    CPUInfo(vendor: "", family: 0, model: 0, name: "", l1d: 0, l2: 0, l3: 0, avx2: false, avx512: false),
    CPUInfo(vendor: "ARM", family: 0, model: 0, name: "small", l1d: 16 << 10, l2: 256 << 10, l3: 0, avx2: false, avx512: false),
]

/// A·Wᵀ in Float64 and the allowed error per entry, 2·ε·√K·Σ|a||b| + 1e-6 (the bound of GEMMTests).
private struct Twin {
    let exact: [Double], bound: [Double]

    init(_ a: [Float], _ w: [Float], m: Int, n: Int, k: Int) {
        var exact = [Double](repeating: 0, count: m * n), bound = exact
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0, absSum = 0.0
                for p in 0..<k {
                    let product = Double(a[i * k + p]) * Double(w[j * k + p])
                    s += product
                    absSum += abs(product)
                }
                exact[i * n + j] = s
                bound[i * n + j] = 2 * Double(Float.ulpOfOne) * Double(max(k, 1)).squareRoot() * absSum + 1e-6
            }
        }
        (self.exact, self.bound) = (exact, bound)
    }

    func accepts(_ c: [Float]) -> Bool { c.indices.allSatisfy { abs(Double(c[$0]) - exact[$0]) <= bound[$0] } }
}

/// C = A·Wᵀ through the packed path and through the on-the-fly path, under `config`.
private func products(_ a: [Float], _ w: [Float], m: Int, n: Int, k: Int, threads: Int, config: KernelConfig) -> (packed: [Float], onTheFly: [Float]) {
    let packed = PackedMatrix(linearWeight: Tensor(shape: [n, k], data: w), depthBlock: config.gemmDepthBlock)
    var c1 = [Float](repeating: .nan, count: m * n), c2 = c1
    a.withUnsafeBufferPointer { ap in w.withUnsafeBufferPointer { wp in
        c1.withUnsafeMutableBufferPointer { cp in
            GEMM.multiply(m: m, a: ap.baseAddress!, lda: k, b: packed, bias: nil, c: cp.baseAddress!, ldc: n, threads: threads, config: config)
        }
        c2.withUnsafeMutableBufferPointer { cp in
            GEMM.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: wp.baseAddress!, ldb: k, transposedB: true,
                          c: cp.baseAddress!, ldc: n, threads: threads, config: config)
        }
    } }
    return (c1, c2)
}

@Suite("Kernel parameters chosen per machine")
struct KernelConfigTests {
    /// Shapes crossing the blocking boundaries of every candidate (MC up to 480, KC 128…512).
    static let shapes = [(1, 1, 1), (3, 17, 97), (97, 33, 259), (487, 19, 513), (7, 1025, 129), (241, 97, 1025)]

    @Test("SGEMM equals its Float64 twin under every candidate, packed and on the fly, 1 and 2 threads", arguments: shapes)
    func gemmUnderEveryCandidate(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = randomFloats(m * k, seed: 11), w = randomFloats(n * k, seed: 12)
        let twin = Twin(a, w, m: m, n: n, k: k)
        for config in candidates {
            for threads in [1, 2] {
                let (packed, onTheFly) = products(a, w, m: m, n: n, k: k, threads: threads, config: config)
                #expect(twin.accepts(packed), "packed \(m)×\(n)×\(k), \(threads)t, \(config.json)")
                #expect(twin.accepts(onTheFly), "on the fly \(m)×\(n)×\(k), \(threads)t, \(config.json)")
            }
        }
    }

    @Test("row block, column block, prefetch and tasks per thread change no bit of the result")
    func bitIdenticalKeys() {
        let (m, n, k) = (487, 1025, 513)
        let a = randomFloats(m * k, seed: 13), w = randomFloats(n * k, seed: 14)
        let base = products(a, w, m: m, n: n, k: k, threads: 2, config: .defaults)
        for (key, values) in KernelConfig.candidates where ["gemm_mc", "gemm_nc", "gemm_prefetch", "tasks_per_thread"].contains(key) {
            for value in values {
                let config = KernelConfig.defaults.with(key, value)
                for threads in [1, 2] {
                    let other = products(a, w, m: m, n: n, k: k, threads: threads, config: config)
                    #expect(other.packed == base.packed, "\(key) = \(value), \(threads)t: packed product differs")
                    #expect(other.onTheFly == base.onTheFly, "\(key) = \(value), \(threads)t: on-the-fly product differs")
                }
            }
        }
    }

    @Test("a matrix packed under one depth block multiplies correctly under a configuration with another")
    func packedKeepsItsDepthBlock() {
        let (m, n, k) = (50, 40, 700)
        let a = randomFloats(m * k, seed: 15), w = randomFloats(n * k, seed: 16)
        let packed = PackedMatrix(linearWeight: Tensor(shape: [n, k], data: w), depthBlock: 128)
        #expect(packed.depthBlock == 128)
        var c = [Float](repeating: .nan, count: m * n)
        a.withUnsafeBufferPointer { ap in c.withUnsafeMutableBufferPointer { cp in
            GEMM.multiply(m: m, a: ap.baseAddress!, lda: k, b: packed, bias: nil, c: cp.baseAddress!, ldc: n, threads: 2,
                          config: KernelConfig.defaults.with("gemm_kc", 512))
        } }
        #expect(Twin(a, w, m: m, n: n, k: k).accepts(c))
    }

    @Test("every candidate and every rule choice validates")
    func candidatesValidate() throws {
        for config in candidates { try config.validate() }
    }

    @Test("the rule's blocks fit the caches they were derived from", arguments: ruleExamples)
    func ruleFitsCaches(cpu: CPUInfo) {
        let c = KnownCPUs.rule(cpu)
        if cpu.l1d > 0 { #expect(c.gemmDepthBlock * 16 * 4 <= max(cpu.l1d / 2, 64 * 16 * 4), "B panel exceeds half of L1d") }
        if cpu.l2 > 0 { #expect(c.gemmRowBlock * c.gemmDepthBlock * 4 <= max(cpu.l2 / 2, 48 * c.gemmDepthBlock * 4), "A block exceeds half of L2") }
        if cpu.l1d == 0 && cpu.l2 == 0 && cpu.l3 == 0 {
            #expect(c.gemmDepthBlock == KernelConfig.defaults.gemmDepthBlock && c.gemmRowBlock == KernelConfig.defaults.gemmRowBlock)
        }
    }

    @Test("the JSON form reads back to the same configuration")
    func jsonRoundTrip() throws {
        for config in candidates {
            #expect(try KernelConfig(json: JSONParser.parse(config.json)) == config)
        }
    }

    @Test("bad configurations name the key", arguments: [
        ("gemm_mc", "{\"gemm_mc\": 100}"), ("gemm_kc", "{\"gemm_kc\": 1024}"), ("gemm_nc", "{\"gemm_nc\": 15}"),
        ("tasks_per_thread", "{\"tasks_per_thread\": 0}"), ("attention_key_tile", "{\"attention_key_tile\": 8}"),
        ("gemm_prefetch", "{\"gemm_prefetch\": 1}"), ("gemm_mc", "{\"gemm_mc\": \"240\"}"), ("gemm_unknown", "{\"gemm_unknown\": 1}"),
    ])
    func badValues(key: String, override: String) throws {
        // The defaults' JSON with one member replaced (or added).
        var members: [(key: String, value: JSONValue)] = []
        guard case .object(let base) = try JSONParser.parse(KernelConfig.defaults.json),
              case .object(let changed) = try JSONParser.parse(override) else { Issue.record("not objects"); return }
        members = base.filter { member in !changed.contains { $0.key == member.key } } + changed
        #expect(throws: KernelConfigError.self) { try KernelConfig(json: .object(members)) }
        do { _ = try KernelConfig(json: .object(members)) } catch { #expect(error.key == key, "\(error)") }
    }

    @Test("files: missing, not JSON, missing keys, duplicate keys are errors naming the file and key")
    func badFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("attend-kernel-config-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func check(_ text: String?, key: String) throws {
            let path = directory.appendingPathComponent("k\(key.hashValue).json").path
            if let text { try text.write(toFile: path, atomically: true, encoding: .utf8) }
            do {
                _ = try KernelConfigFile.read(path: text == nil ? path + ".missing" : path)
                Issue.record("\(key): no error")
            } catch {
                #expect(error.key == key, "\(error)")
                #expect(error.file?.hasSuffix(".json") == true || error.file?.hasSuffix(".missing") == true, "\(error)")
            }
        }
        try check(nil, key: "-")
        try check("{not json", key: "-")
        try check("{\"config\": \(KernelConfig.defaults.json)}", key: "cpu")
        try check("{\"cpu\": \"x\"}", key: "config")
        let duplicated = KernelConfig.defaults.json.replacingOccurrences(of: "{", with: "{\"gemm_kc\": 128, ")
        try check("{\"cpu\": \"x\", \"config\": \(duplicated)}", key: "gemm_kc")
        let good = directory.appendingPathComponent("good.json").path
        try "{\"cpu\": \"c\", \"config\": \(KernelConfig.defaults.json), \"trials\": []}".write(toFile: good, atomically: true, encoding: .utf8)
        #expect(try KernelConfigFile.read(path: good) == KernelConfigFile(cpu: "c", config: .defaults))
    }

    @Test("this machine's CPU is read, and the choice in use validates")
    func thisMachine() throws {
        let cpu = CPUInfo.current
        #if os(Linux)
        #expect(!cpu.vendor.isEmpty && cpu.l1d > 0 && cpu.l2 > 0, "\(cpu)")
        #endif
        try KernelConfig.current.validate()
        #expect(!KernelConfig.source.isEmpty)
    }

    @Test("sysfs cache sizes parse", arguments: [("32K", 32 << 10), ("1024K", 1 << 20), ("32M", 32 << 20), ("512", 512)])
    func cacheSizes(text: String, bytes: Int) {
        #expect(CPUInfo.parseSize(text) == bytes)
    }
}
