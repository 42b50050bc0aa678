import ArgumentParser
import AttendHardware
import AttendWorkload
import Foundation

/// `attend cost`: hardware cost of a workload trace, or SCALE-Sim's numbers for its own files.
struct Cost: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cycles, bytes and energy of a workload trace on an accelerator, or SCALE-Sim 3.0's report for a .cfg and topology.",
        discussion: """
            attend cost --accelerator hardware/hdp-edge.json --trace trace.csv   (HDP; per layer and component, dense baseline beside)
            attend cost --accelerator hardware/io-a100.json --trace trace.csv    (FlashAttention IO model: standard, tiled, block-sparse)
            attend cost --accelerator hardware/spatten.json --trace FILE.csv     (SpAtten: a SpAtten workload CSV, recognised by its header
                (iteration_id,layer_id,…; default --phase generation), or an attend trace costed as its dense rows (default --phase
                summarization); per layer, DRAM by Q / K MSB / K LSB / V, each technique alone and together vs dense)
            attend cost --accelerator hardware/spatten.json --dense-decoder 12,12,64,992,32   (dense generation rows of that shape)
            attend cost --accelerator hardware/rebert-advanced.json --trace trace.csv [--timeline t.csv]   (ReBERT's ReRAM pipeline: baseline, basic, advanced)
            attend cost --scalesim-config FILE.cfg --topology FILE.csv           (SCALE-Sim CALC mode, cycle for cycle)
            Traces come from `attend eval … --trace FILE`.
            """)

    @Option(name: .long, help: ArgumentHelp("An accelerator configuration from hardware/ (kind hdp, io, spatten or rebert).", valueName: "file"))
    var accelerator: String?

    @Option(name: .long, help: ArgumentHelp("A workload trace CSV written by `attend eval --trace`, or (SpAtten) a SpAtten workload CSV.", valueName: "file"))
    var trace: String?

    @Option(name: .long, help: ArgumentHelp(
        "SpAtten: what a row stands for: generation (one query per row, as the authors' GPT-2 workloads) or summarization (every kept token is a query). Default: generation for a SpAtten CSV and --dense-decoder, summarization for an attend trace.",
        valueName: "phase"))
    var phase: String?

    @Option(name: .long, help: ArgumentHelp(
        "SpAtten, instead of --trace: cost the dense rows of generating GENERATED tokens after a PROMPT-token prompt (iteration i: one query, L = PROMPT + 1 + i).",
        valueName: "LAYERS,HEADS,HEAD_DIM,PROMPT,GENERATED"))
    var denseDecoder: String?

    @Option(name: .long, help: ArgumentHelp("SpAtten: also write the rows costed as a SpAtten workload CSV.", valueName: "file"))
    var writeSpattenCsv: String?

    @Option(name: .long, help: ArgumentHelp("A SCALE-Sim 3.0 .cfg file (CALC bandwidth mode).", valueName: "file"))
    var scalesimConfig: String?

    @Option(name: .long, help: ArgumentHelp("A SCALE-Sim topology CSV: GEMM rows `name, M, N, K,` or convolution rows.", valueName: "file"))
    var topology: String?

    @Flag(name: .long, help: "Print JSON: for SCALE-Sim an array of one object per layer with SCALE-Sim's report columns in snake case; for a trace one object.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("ReBERT (kind rebert): write the configured design's per-layer pipeline timeline of every sentence as CSV, and an SVG Gantt chart of one sentence in the three designs next to it (FILE with .svg for .csv).", valueName: "file"))
    var timeline: String?

    @Option(name: .long, help: ArgumentHelp("The sentence (0-based, trace order) of the SVG Gantt chart.", valueName: "n"))
    var timelineSentence = 0

    func validate() throws {
        if denseDecoder != nil && trace != nil { throw ValidationError("give --trace or --dense-decoder, not both") }
        if timeline != nil && accelerator == nil { throw ValidationError("--timeline goes with --accelerator (a rebert configuration) and --trace") }
        let input = trace ?? denseDecoder
        switch (accelerator != nil || input != nil, scalesimConfig != nil || topology != nil) {
        case (true, true): throw ValidationError("give either --accelerator and --trace, or --scalesim-config and --topology")
        case (false, false): throw ValidationError("give --accelerator and --trace, or --scalesim-config and --topology")
        case (true, false) where accelerator == nil || input == nil: throw ValidationError("--accelerator and --trace go together")
        case (false, true) where scalesimConfig == nil || topology == nil: throw ValidationError("--scalesim-config and --topology go together")
        default: break
        }
    }

    func run() throws {
        if let scalesimConfig, let topology { return try runSCALESim(config: scalesimConfig, topology: topology) }
        let file = try loadHardware(accelerator!)
        if case let .spatten(spatten) = file {
            let input = try SpAttenInput.load(trace: trace, denseDecoder: denseDecoder, phase: phase)
            if let writeSpattenCsv {
                do { try Data(SpAttenCSV.text(input.rows).utf8).write(to: URL(fileURLWithPath: writeSpattenCsv)) } catch {
                    throw CLIError("\(writeSpattenCsv): cannot write (\((error as NSError).localizedDescription))")
                }
            }
            let report = SpAttenReport(input.rows, on: spatten, phase: input.phase, input: input.description)
            print(json ? try jsonLine(report) : report.text)
            return
        }
        guard denseDecoder == nil, phase == nil, writeSpattenCsv == nil else {
            throw CLIError("--dense-decoder, --phase and --write-spatten-csv are for a SpAtten configuration (kind spatten)")
        }
        let records = try readTrace(trace!)
        let report = try costReport(file, records: records)
        if let timeline {
            guard case let .rebert(accelerator) = file else { throw CLIError("--timeline: \(accelerator!) is not a ReBERT configuration (kind rebert)") }
            let svg = try writeReRAMTimeline(accelerator, sentences: try reramSentences(records), to: timeline, sentence: timelineSentence)
            FileHandle.standardError.write(Data("timeline: \(timeline), \(svg)\n".utf8))
        }
        if json { print(try jsonLine(report)) } else { print(report.text) }
    }

    func runSCALESim(config: String, topology: String) throws {
        let array: SystolicArray, layers: [SystolicLayer]
        do {
            array = try SCALESimFiles.config(try readText(config), file: config)
            layers = try SCALESimFiles.topology(try readText(topology), file: topology)
        } catch let error as SCALESimFileError { throw CLIError(error.description) }
        var reports: [SCALESimLayerReport] = []
        for (i, layer) in layers.enumerated() {
            do { reports.append(try array.scaleSim(layer, index: i)) } catch { throw CLIError("\(topology): layer \(layer.name): \(error)") }
        }
        if json { print(try jsonLine(reports)); return }
        print("LayerID, Layer, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %, "
              + "SRAM IFMAP Reads, SRAM Filter Reads, SRAM OFMAP Writes, DRAM IFMAP Reads, DRAM Filter Reads, DRAM OFMAP Writes")
        for r in reports {
            print([String(r.layer), r.name, String(r.totalCyclesWithPrefetch), String(r.totalCycles), String(r.stallCycles),
                   String(r.overallUtilPercent), String(r.mappingEfficiencyPercent), String(r.computeUtilPercent),
                   String(r.sramIfmapReads), String(r.sramFilterReads), String(r.sramOfmapWrites),
                   String(r.dramIfmapReads), String(r.dramFilterReads), String(r.dramOfmapWrites)].joined(separator: ", "))
        }
    }
}

func readText(_ path: String) throws -> String {
    do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw CLIError("\(path): cannot read (\((error as NSError).localizedDescription))")
    }
}

func loadHardware(_ path: String) throws -> HardwareFile {
    do { return try HardwareFile.load(path) } catch { throw CLIError(error.description) }
}

func readTrace(_ path: String) throws -> [TraceRecord] {
    do { return try TraceCSV.read(try readText(path)) } catch let error as TraceError { throw CLIError("\(path): \(error)") }
}
