import AttendKernels
import Testing

/// Bit-exact equality, except that any two NaNs are equal.
private func sameFloat(_ a: Float, _ b: Float) -> Bool {
    (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern
}

@Suite("F16 / BF16 → F32 conversion")
struct HalfConversionTests {
    static let allPatterns: [UInt16] = (0...UInt16.max).map { $0 }

    @Test("F16 bulk vs slow twin: all 65,536 bit patterns, bit-exact (NaN payloads too)")
    func f16Exhaustive() {
        let fast = HalfConversion.f16ToF32(Self.allPatterns)
        var mismatches = 0
        for h in Self.allPatterns {
            let slow = HalfConversion.slowF16ToF32(h)
            let f = fast[Int(h)]
            if f.bitPattern != slow.bitPattern {
                mismatches += 1
                if mismatches <= 5 { Issue.record("F16 0x\(String(h, radix: 16)): fast \(f) (0x\(String(f.bitPattern, radix: 16))) slow \(slow) (0x\(String(slow.bitPattern, radix: 16)))") }
            }
            if HalfConversion.f16BitsToF32Bits(h) != f.bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    @Test("F16 bulk vs the standard library's Float(Float16): all bit patterns (NaN as NaN)")
    func f16VersusStandardLibrary() {
        let fast = HalfConversion.f16ToF32(Self.allPatterns)
        let bad = Self.allPatterns.filter { !sameFloat(fast[Int($0)], Float(Float16(bitPattern: $0))) }
        #expect(bad.isEmpty, "first mismatches: \(bad.prefix(5).map { String($0, radix: 16) })")
    }
    #endif

    @Test("F16 special values")
    func f16Specials() {
        let cases: [(UInt16, Float)] = [
            (0x0000, 0), (0x3C00, 1), (0xC000, -2), (0x7BFF, 65504), (0x0400, 0x1p-14),
            (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24), (0x8001, -0x1p-24),
            (0x7C00, .infinity), (0xFC00, -.infinity), (0x3555, 0.333251953125),
        ]
        for (h, v) in cases {
            #expect(HalfConversion.f16ToF32([h]) == [v], "0x\(String(h, radix: 16))")
            #expect(HalfConversion.slowF16ToF32(h) == v, "0x\(String(h, radix: 16))")
        }
        #expect(HalfConversion.f16ToF32([0x8000])[0].bitPattern == (-Float.zero).bitPattern)
        #expect(HalfConversion.slowF16ToF32(0x8000).bitPattern == (-Float.zero).bitPattern)
        for nan: UInt16 in [0x7C01, 0x7E00, 0xFE00, 0x7FFF] {
            #expect(HalfConversion.f16ToF32([nan])[0].isNaN)
        }
        #expect(HalfConversion.f16ToF32([0xFE00])[0].sign == .minus)
    }

    @Test("BF16 bulk vs slow twin: all 65,536 bit patterns")
    func bf16Exhaustive() {
        let fast = HalfConversion.bf16ToF32(Self.allPatterns)
        let bad = Self.allPatterns.filter { h in
            let slow = HalfConversion.slowBF16ToF32(h)
            return fast[Int(h)].bitPattern != slow.bitPattern || !sameFloat(fast[Int(h)], slow)
        }
        #expect(bad.isEmpty, "first mismatches: \(bad.prefix(5).map { String($0, radix: 16) })")
        let expected: [Float] = [1, -3, .infinity, Float(bitPattern: 0x10000)]
        #expect(HalfConversion.bf16ToF32([0x3F80, 0xC040, 0x7F80, 0x0001]) == expected)
        #expect(HalfConversion.bf16ToF32([0x7FC0])[0].isNaN)
    }

    @Test("bulk routines read unaligned little-endian sources", arguments: [1, 3, 5])
    func unaligned(offset: Int) {
        var g = SeededGenerator(seed: UInt64(offset))
        let bits = (0..<1001).map { _ in UInt16(truncatingIfNeeded: g.next()) }
        var bytes = [UInt8](repeating: 0xEE, count: offset)
        for b in bits { bytes += [UInt8(b & 0xFF), UInt8(b >> 8)] }
        var f16 = [Float](repeating: 0, count: bits.count), bf16 = f16
        bytes.withUnsafeBytes { raw in
            f16.withUnsafeMutableBufferPointer { HalfConversion.f16ToF32(raw.baseAddress! + offset, count: bits.count, into: $0.baseAddress!) }
            bf16.withUnsafeMutableBufferPointer { HalfConversion.bf16ToF32(raw.baseAddress! + offset, count: bits.count, into: $0.baseAddress!) }
        }
        #expect(f16.map(\.bitPattern) == bits.map { HalfConversion.slowF16ToF32($0).bitPattern })
        #expect(bf16.map(\.bitPattern) == bits.map { UInt32($0) << 16 })
        #expect(HalfConversion.f16ToF32([]).isEmpty)
        #expect(HalfConversion.bf16ToF32([]).isEmpty)
    }
}
