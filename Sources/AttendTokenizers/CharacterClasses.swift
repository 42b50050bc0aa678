// Character-class lookups shared by the normalizer and the pre-tokenizer. ASCII is answered from a
// 128-entry table; everything else by binary search in the generated tables of
// UnicodeTables.swift, which reproduce the (partly pre-Unicode-10) classes of the pinned Hugging
// Face tokenizers exactly, independent of the Unicode version of the Swift runtime.

/// Bit flags of the ASCII class table.
enum ASCIIClass {
    static let removed: UInt8 = 1        // clean_text deletes it (NUL and the C0 controls but TAB/LF/CR, DEL)
    static let normalizerSpace: UInt8 = 2 // clean_text turns it into ' ' (TAB, LF, CR)
    static let whitespace: UInt8 = 4      // Rust char::is_whitespace (TAB, LF, VT, FF, CR, space)
    static let punctuation: UInt8 = 8     // char::is_ascii_punctuation

    static let table: [UInt8] = (0..<128).map { (v: Int) -> UInt8 in
        var flags: UInt8 = 0
        switch v {
        case 0x09, 0x0A, 0x0D: flags |= normalizerSpace | whitespace
        case 0x0B, 0x0C: flags |= removed | whitespace
        case 0x20: flags |= whitespace
        case 0x00..<0x20, 0x7F: flags |= removed
        case 33...47, 58...64, 91...96, 123...126: flags |= punctuation
        default: break
        }
        return flags
    }
}

/// Whether `value` lies in one of the inclusive `[lo, hi]` pairs of a sorted flat table.
@inline(__always)
func rangeTableContains(_ table: [UInt32], _ value: UInt32) -> Bool {
    table.withUnsafeBufferPointer { t in
        var lo = 0
        var hi = t.count / 2
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if t[2 &* mid &+ 1] < value { lo = mid &+ 1 } else { hi = mid }
        }
        return lo < t.count / 2 && t[2 &* lo] <= value
    }
}

/// The index of `value` in a sorted key table, if present.
@inline(__always)
func sortedTableIndex(_ keys: [UInt32], _ value: UInt32) -> Int? {
    keys.withUnsafeBufferPointer { k in
        var lo = 0
        var hi = k.count
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if k[mid] < value { lo = mid &+ 1 } else { hi = mid }
        }
        return lo < k.count && k[lo] == value ? lo : nil
    }
}

/// Character classes as the pinned Hugging Face BertNormalizer / BertPreTokenizer see them.
enum CharacterClasses {
    /// clean_text deletes it: U+0000, U+FFFD, and the Rust `is_other` class (Cc/Cf/Co of the
    /// `unicode_categories` crate) except TAB, LF and CR.
    @inline(__always)
    static func isRemovedByCleanText(_ v: UInt32) -> Bool {
        v < 0x80 ? ASCIIClass.table[Int(v)] & ASCIIClass.removed != 0 : rangeTableContains(removedByCleanTextRanges, v)
    }

    /// Rust `char::is_whitespace` (what the pre-tokenizer splits on).
    @inline(__always)
    static func isWhitespace(_ v: UInt32) -> Bool {
        if v < 0x80 { return ASCIIClass.table[Int(v)] & ASCIIClass.whitespace != 0 }
        return sortedTableIndex(rustWhitespaceScalars, v) != nil
    }

    /// ASCII punctuation or the crate's `is_punctuation` (the pre-tokenizer isolates each).
    @inline(__always)
    static func isPunctuation(_ v: UInt32) -> Bool {
        v < 0x80 ? ASCIIClass.table[Int(v)] & ASCIIClass.punctuation != 0 : rangeTableContains(punctuationRanges, v)
    }

    /// The crate's `is_mark_nonspacing`, for code points without a canonical decomposition.
    @inline(__always)
    static func isNonspacingMark(_ v: UInt32) -> Bool {
        v >= 0x300 && rangeTableContains(nonspacingMarkRanges, v)
    }

    /// Hugging Face's `is_chinese_char`: the CJK Unified Ideographs blocks it pads with spaces
    /// (its own boundaries, e.g. extension C/D merged and 0x2B820–0x2B91F left out).
    @inline(__always)
    static func isChineseChar(_ v: UInt32) -> Bool {
        switch v {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// Canonical combining class (for NFD's canonical reordering), from the Swift runtime.
    @inline(__always)
    static func combiningClass(_ v: UInt32) -> UInt8 {
        if v < 0x300 { return 0 }
        return Unicode.Scalar(v).map { $0.properties.canonicalCombiningClass.rawValue } ?? 0
    }

    static let hangulBase: UInt32 = 0xAC00
    static let hangulCount: UInt32 = 11172

    /// Appends the full canonical decomposition of `v` (itself when it has none).
    @inline(__always)
    static func appendDecomposition(of v: UInt32, to out: inout [UInt32]) {
        if v < 0xC0 {
            out.append(v)
        } else if v &- hangulBase < hangulCount {
            let s = v - hangulBase
            out.append(0x1100 + s / 588)
            out.append(0x1161 + (s % 588) / 28)
            if s % 28 != 0 { out.append(0x11A7 + s % 28) }
        } else if let i = sortedTableIndex(decompositionKeys, v) {
            for k in Int(decompositionOffsets[i])..<Int(decompositionOffsets[i + 1]) {
                out.append(decompositionData[k])
            }
        } else {
            out.append(v)
        }
    }

    /// Appends Rust's `char::to_lowercase` of `v`.
    @inline(__always)
    static func appendLowercase(of v: UInt32, to out: inout [UInt32]) {
        if v < 0x80 {
            out.append(v &- 0x41 < 26 ? v + 0x20 : v)
        } else if let i = sortedTableIndex(lowercaseKeys, v) {
            for k in Int(lowercaseOffsets[i])..<Int(lowercaseOffsets[i + 1]) {
                out.append(lowercaseData[k])
            }
        } else {
            out.append(v)
        }
    }
}
