import Foundation

/// What the kernels' parameters depend on: the CPU's identity, its SIMD features and its cache
/// sizes, read from `/proc/cpuinfo` and `/sys/devices/system/cpu/cpu0/cache` on Linux and from
/// `sysctl` on macOS. Fields that cannot be read are empty or 0.
public struct CPUInfo: Sendable, Equatable {
    /// `vendor_id` ("AuthenticAMD", "GenuineIntel"; "Apple" on Apple silicon), `cpu family`,
    /// `model` (x86 family/model numbers; 0 elsewhere) and the marketing name.
    public var vendor: String, family: Int, model: Int, name: String
    /// Data cache sizes in bytes: L1d and L2 per core, L3 per instance (shared).
    public var l1d: Int, l2: Int, l3: Int
    /// AVX2 + FMA (the x86 micro-kernels) and AVX-512F.
    public var avx2: Bool, avx512: Bool

    public init(vendor: String, family: Int, model: Int, name: String, l1d: Int, l2: Int, l3: Int, avx2: Bool, avx512: Bool) {
        (self.vendor, self.family, self.model, self.name) = (vendor, family, model, name)
        (self.l1d, self.l2, self.l3, self.avx2, self.avx512) = (l1d, l2, l3, avx2, avx512)
    }

    /// A stable key for this CPU: "vendor/family/model" plus the L2 size, so that the same model
    /// number with another cache configuration gets its own tuning.
    public var identity: String { "\(vendor)/\(family)/\(model)/L2=\(l2 / 1024)K" }

    /// One line for people: name, family/model, caches, features.
    public var summary: String {
        let features = [avx2 ? "AVX2/FMA" : nil, avx512 ? "AVX-512" : nil].compactMap { $0 }.joined(separator: ", ")
        return "\(name.isEmpty ? vendor : name) (\(vendor) family \(family) model \(model)); "
            + "L1d \(l1d / 1024) KiB, L2 \(l2 / 1024) KiB, L3 \(l3 / 1024 / 1024) MiB; \(features.isEmpty ? "no AVX2" : features)"
    }

    /// This machine's CPU (read once).
    public static let current: CPUInfo = read()

    private static func read() -> CPUInfo {
        #if os(Linux)
        var info = CPUInfo(vendor: "", family: 0, model: 0, name: "", l1d: 0, l2: 0, l3: 0, avx2: false, avx512: false)
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            // The first processor's block: "key\t: value" lines up to the first blank line.
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.isEmpty { break }
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { continue }
                switch parts[0] {
                case "vendor_id": info.vendor = parts[1]
                case "cpu family": info.family = Int(parts[1]) ?? 0
                case "model": info.model = Int(parts[1]) ?? 0
                case "model name": info.name = parts[1]
                case "flags":
                    let flags = Set(parts[1].split(separator: " ").map(String.init))
                    info.avx2 = flags.contains("avx2") && flags.contains("fma")
                    info.avx512 = flags.contains("avx512f")
                case "CPU implementer" where info.vendor.isEmpty: info.vendor = "ARM implementer \(parts[1])"
                default: break
                }
            }
        }
        for index in 0..<8 {
            let directory = "/sys/devices/system/cpu/cpu0/cache/index\(index)/"
            guard let level = readTrimmed(directory + "level").flatMap({ Int($0) }),
                  let type = readTrimmed(directory + "type"), let size = readTrimmed(directory + "size").flatMap(parseSize)
            else { continue }
            switch (level, type) {
            case (1, "Data"): info.l1d = size
            case (2, "Unified"), (2, "Data"): info.l2 = size
            case (3, "Unified"): info.l3 = size
            default: break
            }
        }
        return info
        #elseif os(macOS)
        let name = sysctlString("machdep.cpu.brand_string") ?? ""
        return CPUInfo(vendor: sysctlString("machdep.cpu.vendor") ?? (name.hasPrefix("Apple") ? "Apple" : ""),
                       family: sysctlInt("machdep.cpu.family"), model: sysctlInt("machdep.cpu.model"), name: name,
                       l1d: sysctlInt("hw.l1dcachesize"), l2: sysctlInt("hw.l2cachesize"), l3: sysctlInt("hw.l3cachesize"),
                       avx2: sysctlInt("hw.optional.avx2_0") != 0 && sysctlInt("hw.optional.fma") != 0,
                       avx512: sysctlInt("hw.optional.avx512f") != 0)
        #else
        return CPUInfo(vendor: "", family: 0, model: 0, name: "", l1d: 0, l2: 0, l3: 0, avx2: false, avx512: false)
        #endif
    }

    /// "32K", "1024K", "32M" (sysfs cache sizes) in bytes.
    public static func parseSize(_ text: String) -> Int? {
        guard let unit = text.last, let number = Int(text.dropLast()) else { return Int(text) }
        switch unit {
        case "K": return number * 1024
        case "M": return number * 1024 * 1024
        default: return Int(text)
        }
    }

    private static func readTrimmed(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    #if os(macOS)
    private static func sysctlInt(_ name: String) -> Int {
        var value: Int64 = 0
        var size = MemoryLayout<Int64>.size
        return sysctlbyname(name, &value, &size, nil, 0) == 0 ? Int(value) : 0
    }

    private static func sysctlString(_ name: String) -> String? {
        var size = 0
        guard sysctlbyname(name, nil, &size, nil, 0) == 0, size > 0 else { return nil }
        var bytes = [CChar](repeating: 0, count: size)
        guard sysctlbyname(name, &bytes, &size, nil, 0) == 0 else { return nil }
        return String(cString: bytes)
    }
    #endif
}
