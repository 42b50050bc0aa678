import ArgumentParser
import AttendKernels
import Foundation

/// `attend tune`: chooses the kernel parameters for this machine by measuring them.
struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure kernel parameters on this CPU and keep the fastest (or show the ones in use).",
        discussion: """
            The SGEMM cache blocking (gemm_mc, gemm_kc, gemm_nc), the B-panel prefetch, tasks per thread, and the \
            query × key tile of tiled attention depend on the CPU's caches and pipelines. At first use Attend takes, \
            in order: the file named by ATTEND_KERNEL_CONFIG; the file this command wrote for this CPU \
            (~/.cache/attend/kernels.json, or $XDG_CACHE_HOME/attend/kernels.json); a table of CPUs measured by the \
            project; else a rule from the cache sizes (BLIS's analytical model). This command times candidates one \
            parameter at a time (coordinate descent) on the products and attention shapes of a BERT-base layer, keeps \
            a candidate only when it is faster by more than --margin, and writes the choice. Results are the same under \
            every choice up to rounding (gemm_kc and attention_key_tile change the order of sums; the others are \
            bit-identical). Keep the machine otherwise idle while it runs.
            """)

    @Flag(name: .long, help: "Print the parameters in use, where they came from, and this CPU; measure nothing.")
    var show = false

    @Option(name: .long, help: ArgumentHelp("Where to write the choice (default: the per-user cache file above).", valueName: "file"))
    var output: String?

    @Flag(name: .long, help: "Measure and print, but write no file.")
    var dryRun = false

    @Option(name: .long, help: ArgumentHelp("Upper bound on the measuring time in seconds.", valueName: "s"))
    var seconds = 120.0

    @Option(name: .long, help: ArgumentHelp("Threads the candidates are timed on (default: all cores).", valueName: "n"))
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp("Timed repetitions per candidate and shape (the median is kept).", valueName: "n"))
    var repeats = 7

    @Option(name: .long, help: ArgumentHelp("A candidate must be this much faster (fraction) to replace the incumbent.", valueName: "f"))
    var margin = 0.02

    @Option(name: .long, help: ArgumentHelp("Rounds of coordinate descent (stops early when a round changes nothing).", valueName: "n"))
    var passes = 2

    @Option(name: .long, help: ArgumentHelp("Start from the configuration in this file instead of the one in use.", valueName: "file"))
    var from: String?

    @Flag(name: .long, help: "Print JSON: the CPU, the configuration and its source (with --show), or the choice and every trial.")
    var json = false

    func validate() throws {
        if seconds <= 0 { throw ValidationError("--seconds must be positive, got \(seconds)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
        if !(0..<1).contains(margin) { throw ValidationError("--margin must be in [0, 1), got \(margin)") }
        if passes < 1 { throw ValidationError("--passes must be at least 1, got \(passes)") }
        if show && (output != nil || dryRun || from != nil) { throw ValidationError("--show measures nothing: drop --output, --dry-run and --from") }
    }

    func run() throws {
        try applyKernelConfigEnvironment()
        let cpu = CPUInfo.current
        if show {
            let config = KernelConfig.current
            if json {
                print("{\"cpu\": \(try jsonLine(cpu.identity)), \"cpu_summary\": \(try jsonLine(cpu.summary)), \"kernel\": \(try jsonLine(GEMM.kernelName)), "
                      + "\"source\": \(try jsonLine(KernelConfig.source)), \"config\": \(config.json)}")
            } else {
                print("CPU: \(cpu.summary)\nidentity: \(cpu.identity)\nmicro-kernel: \(GEMM.kernelName)\nsource: \(KernelConfig.source)")
                print(describe(config))
            }
            return
        }
        let start: KernelConfig
        if let from {
            do { start = try KernelConfigFile.read(path: from).config } catch { throw CLIError("\(error)") }
        } else {
            start = KernelConfig.current
        }
        let startSource = from.map { "file \($0)" } ?? KernelConfig.source
        let threadCount = threads ?? Parallel.defaultThreads
        printError("attend tune: \(cpu.summary); timing on \(threadCount) thread(s), at most \(Int(seconds)) s")
        printError("start (\(startSource)): \(start.json)")
        let tuner = KernelTuner(threads: threadCount, repeats: repeats, margin: margin) { printError($0) }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let result = tuner.tune(from: start, passes: passes, deadline: deadline)
        try KernelConfig.use(result.config, source: "attend tune")
        let gemmGain = result.startMs.gemm / result.endMs.gemm, attentionGain = result.startMs.attention / result.endMs.attention
        let why = String(format: "products %.2f → %.2f ms (%.3f×), attention %.2f → %.2f ms (%.3f×) against the start",
                         result.startMs.gemm, result.endMs.gemm, gemmGain, result.startMs.attention, result.endMs.attention, attentionGain)
        let trials = try result.trials.map { "{\"parameter\": \(try jsonLine($0.axis)), \"value\": \($0.value), \"ms\": \(String(format: "%.4f", $0.ms)), \"kept\": \($0.chosen)}" }
        let date = ISO8601DateFormatter().string(from: Date())
        let file = """
            {"cpu": \(try jsonLine(cpu.identity)), "cpu_summary": \(try jsonLine(cpu.summary)), "tuned_by": "attend tune", "date": \(try jsonLine(date)),
             "threads": \(threadCount), "start": \(start.json), "start_source": \(try jsonLine(startSource)),
             "objective_ms": {"gemm_start": \(String(format: "%.4f", result.startMs.gemm)), "gemm_end": \(String(format: "%.4f", result.endMs.gemm)), "attention_start": \(String(format: "%.4f", result.startMs.attention)), "attention_end": \(String(format: "%.4f", result.endMs.attention))},
             "config": \(result.config.json),
             "trials": [\(trials.joined(separator: ", "))]}

            """
        var written: String?
        if !dryRun {
            guard let path = output ?? KernelConfig.tunedFilePath else { throw CLIError("no home directory to keep the choice in: give --output FILE") }
            do {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try file.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw CLIError("\(path): cannot write the kernel configuration (\((error as NSError).localizedDescription))")
            }
            written = path
        }
        if json {
            print(file.replacingOccurrences(of: "\n", with: " "))
        } else {
            print("chosen: \(result.config.json)\nwhy: \(why)")
            print(describe(result.config))
            print(written.map { "written to \($0) (used at first use on this CPU; ATTEND_KERNEL_CONFIG=\($0) elsewhere)" } ?? "not written (--dry-run)")
        }
    }

    private func describe(_ c: KernelConfig) -> String {
        """
          gemm_mc \(c.gemmRowBlock) rows × gemm_kc \(c.gemmDepthBlock): A block \(c.gemmRowBlock * c.gemmDepthBlock * 4 / 1024) KiB (L2); \
        B panel \(c.gemmDepthBlock * 16 * 4 / 1024) KiB (L1)
          gemm_nc \(c.gemmColumnBlock): on-the-fly B block \(c.gemmColumnBlock * c.gemmDepthBlock * 4 / 1024) KiB; prefetch \(c.gemmPrefetch ? "on" : "off"); \
        \(c.tasksPerThread) task(s) per thread
          attention tile \(c.attentionQueryTile) queries × \(c.attentionKeyTile) keys: scores \(c.attentionQueryTile * c.attentionKeyTile * 4 / 1024) KiB
        """
    }
}

/// Makes a bad ATTEND_KERNEL_CONFIG file an error of the command (exit 1) rather than the warning
/// the library gives at first use.
func applyKernelConfigEnvironment() throws {
    do {
        if let (config, source) = try KernelConfig.loadFromEnvironment() { try KernelConfig.use(config, source: source) }
    } catch {
        throw CLIError("ATTEND_KERNEL_CONFIG: \(error)")
    }
}

/// The line benchmarks print first: which CPU, micro-kernel and kernel parameters the figures
/// come from.
func printMachineLine() throws {
    try applyKernelConfigEnvironment()
    printError("machine: \(CPUInfo.current.summary); micro-kernel \(GEMM.kernelName); kernel parameters \(KernelConfig.current.json) (\(KernelConfig.source))")
}
