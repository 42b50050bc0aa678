/// SCALE-Sim 3.0's ifmap/filter read buffer in CALC (estimate-bandwidth) mode, reduced to what its
/// reports show: DRAM reads and the cycle of the first DRAM read.
///
/// SCALE-Sim groups the distinct words the array asks for, in demand order, into sets of
/// ⌊bytes / 100⌋ words; the active half of the buffer holds 50 sets. When the 50th set of a window
/// fills, the window's words are prefetched and the window is emptied. A word is a DRAM read unless
/// the current window already holds it, so DRAM reads = misses of a buffer that holds up to
/// 50 · ⌊bytes / 100⌋ words and is cleared when full (words fetched again after a clear count again).
/// The first prefetch is timed backwards from the first demand at 10 words per cycle (SCALE-Sim's
/// CALC-mode backing bandwidth) with a DRAM latency of 1.
struct EstimateReadBuffer {
    /// Sets per active window (SCALE-Sim: active fraction 0.5 of 100 sets) and CALC-mode words per cycle.
    static let setsPerWindow = 50, backingWordsPerCycle = 10
    let wordsPerSet: Int
    /// stamp[a] = the window that holds word a (0: none yet).
    var stamp: [Int32]
    var window: Int32 = 1
    var wordsInSet = 0, setsInWindow = 0, completeSets = 0
    var misses = 0
    var firstDemandCycle: Int?
    var firstPrefetchCycle: Int?

    init(sramKiB: Int, addresses: Int) {
        wordsPerSet = sramKiB * 1024 / 100
        stamp = [Int32](repeating: 0, count: max(addresses, 1))
    }

    /// Serves one demanded word.
    mutating func read(_ address: Int) {
        if stamp[address] == window { return }
        stamp[address] = window
        misses += 1
        wordsInSet += 1
        guard wordsInSet == wordsPerSet else { return }
        (wordsInSet, setsInWindow, completeSets) = (0, setsInWindow + 1, completeSets + 1)
        guard setsInWindow == Self.setsPerWindow else { return }
        if firstPrefetchCycle == nil {
            firstPrefetchCycle = (firstDemandCycle ?? 0) - ceilDiv(Self.setsPerWindow * wordsPerSet, Self.backingWordsPerCycle)
        }
        (window, setsInWindow) = (window + 1, 0)
    }

    /// The first DRAM read's cycle once every demand is served (SCALE-Sim's `complete_all_prefetches`).
    func dramStartCycle() -> Int {
        if let firstPrefetchCycle { return firstPrefetchCycle }
        let sets = completeSets + (wordsInSet > 0 ? 1 : 0)
        return -ceilDiv(sets * wordsPerSet, Self.backingWordsPerCycle)
    }
}

/// SCALE-Sim 3.0's ofmap write buffer: words written by the array fill the active half; when it is
/// past full the drain half goes to DRAM one line (array columns words) per cycle, and the array
/// stalls if it fills the buffer while a drain is still running. At the end everything is drained.
///
/// Its quirks are kept: a drain counts whole lines except for the padding of the chunk's last line,
/// and a forced partial line in mid-trace counts as a full one.
struct OfmapWriteBuffer {
    static let maxCacheLines = 1024
    let capacity: Int, drainSize: Int, lineWords: Int
    var free: Int
    var lineFill = 0
    var cache: [Int] = []
    /// Words per line handed to the drain logic (full lines hold lineWords).
    var lines: [Int] = []
    var drainStartLine = 0
    var drainEndCycle = 0
    var dramWrites = 0
    var lastDrainCycle = 0

    init(sramKiB: Int, lineWords: Int) {
        capacity = sramKiB * 1024
        drainSize = capacity - (capacity + 1) / 2
        self.lineWords = lineWords
        free = capacity
    }

    private mutating func store() {
        lineFill += 1
        free -= 1
        if lineFill == lineWords {
            cache.append(lineWords)
            lineFill = 0
            if cache.count >= Self.maxCacheLines { flushCache(force: false) }
        }
    }

    private mutating func flushCache(force: Bool) {
        if force && lineFill != 0 { cache.append(lineFill); lineFill = 0 }
        lines += cache
        cache.removeAll(keepingCapacity: true)
    }

    /// Drains up to the drain half's lines starting at `cycle`; returns the cycle of the last line.
    private mutating func drain(at cycle: Int) throws(SystolicError) -> Int {
        let end = min(drainStartLine + ceilDiv(drainSize, lineWords), lines.count)
        let count = end - drainStartLine
        guard count > 0 else { throw SystolicError.scaleSimFailure("the ofmap buffer drains an empty line range (SCALE-Sim raises an IndexError here)") }
        let words = count * lineWords - (lineWords - lines[end - 1])
        (dramWrites, free, drainStartLine) = (dramWrites + words, free + words, end)
        lastDrainCycle = max(lastDrainCycle, cycle + count - 1)
        return cycle + count - 1
    }

    /// Writes `words` words demanded in row cycle `cycle`; returns the cycle the row completes
    /// (later than `cycle` when the array stalls on a full buffer).
    mutating func write(words: Int, cycle: Int) throws(SystolicError) -> Int {
        var current = cycle
        for _ in 0..<words {
            store()
            if current < drainEndCycle {
                if free <= 0 { current = drainEndCycle }
            } else if free < capacity - drainSize {
                flushCache(force: true)
                drainEndCycle = try drain(at: current)
            }
        }
        return current
    }

    /// Drains everything left after the last row (served at `cycle`).
    mutating func drainAll(from cycle: Int) throws(SystolicError) {
        flushCache(force: true)
        var cycle = cycle
        while drainStartLine < lines.count {
            drainEndCycle = try drain(at: cycle)
            cycle = drainEndCycle + 1
        }
    }
}

@inline(__always) func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
