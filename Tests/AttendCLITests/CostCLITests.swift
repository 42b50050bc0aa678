import Foundation
import Testing

@Suite("attend cost", .serialized)
struct CostCLITests {
    @Test("--help lists every option of cost, and eval's --cost and --scalesim-topology")
    func help() throws {
        let cost = try attend(["cost", "--help"])
        #expect(cost.status == 0)
        for option in ["--accelerator", "--trace", "--scalesim-config", "--topology", "--json", "--timeline", "--timeline-sentence"] { #expect(cost.stdout.contains(option)) }
        let eval = try attend(["eval", "--help"])
        #expect(eval.stdout.contains("--cost") && eval.stdout.contains("--scalesim-topology"))
    }

    @Test("SCALE-Sim files: JSON keys are SCALE-Sim's report columns in snake case; OS cycles are ⌈M/R⌉·⌈N/C⌉·(K + R + C − 2) − 1")
    func scaleSim() throws {
        let dir = try temporaryDirectory("scalesim")
        let cfg = dir.appendingPathComponent("a.cfg"), topo = dir.appendingPathComponent("t.csv")
        try Data("""
            [general]
            run_name = t
            [architecture_presets]
            ArrayHeight: 8
            ArrayWidth: 8
            IfmapSramSzkB: 64
            FilterSramSzkB: 64
            OfmapSramSzkB: 64
            Dataflow: os
            [run_presets]
            InterfaceBandwidth: CALC
            """.utf8).write(to: cfg)
        try Data("Layer, M, N, K,\nq, 100, 129, 7,\n".utf8).write(to: topo)
        let result = try attend(["cost", "--scalesim-config", cfg.path, "--topology", topo.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let layers = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [[String: Any]]
        for key in ["layer", "total_cycles_with_prefetch", "total_cycles", "stall_cycles", "overall_util_percent", "mapping_efficiency_percent",
                    "compute_util_percent", "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes", "dram_ifmap_reads",
                    "dram_filter_reads", "dram_ofmap_writes"] {
            #expect(layers[0][key] != nil, "missing \(key)")
        }
        #expect(layers[0]["total_cycles"] as? Int == 13 * 17 * (7 + 8 + 8 - 2) - 1)
        #expect(layers[0]["total_cycles_with_prefetch"] as? Int == 6383)   // SCALE-Sim 3.0's own figure for this layer
        try Data("Layer, M, N, K,\nq, 100, x, 7,\n".utf8).write(to: topo)
        let bad = try attend(["cost", "--scalesim-config", cfg.path, "--topology", topo.path])
        #expect(bad.status == 1 && bad.stderr.contains(topo.path) && bad.stderr.contains("line 2, field 3"), "\(bad.stderr)")
    }

    @Test("cost on a ReBERT configuration: the three designs, ratios and stall shares in JSON; --timeline writes CSV and SVG; an HDP trace is an error naming the record")
    func rebertCost() throws {
        let dir = try temporaryDirectory("rebert")
        let trace = dir.appendingPathComponent("t.csv"), timeline = dir.appendingPathComponent("tl.csv")
        let plan = dir.appendingPathComponent("p.json")
        try Data(#"{"method": "window", "windows": [1, 2, 2, 2, 2, 1], "cls_attends_all": false}"#.utf8).write(to: plan)
        let run = try attend(["eval", "--task", "sst2", "--limit", "3", "--plan", plan.path, "--trace", trace.path])
        #expect(run.status == 0, "\(run.stderr)")
        let config = repositoryRoot.appendingPathComponent("hardware/rebert-advanced.json").path
        let cost = try attend(["cost", "--accelerator", config, "--trace", trace.path, "--json", "--timeline", timeline.path, "--timeline-sentence", "2"])
        #expect(cost.status == 0, "\(cost.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(cost.stdout.utf8)) as! [String: Any]
        let rebert = try #require(json["rebert"] as? [String: Any])
        let designs = try #require(rebert["designs"] as? [[String: Any]])
        #expect(designs.map { $0["design"] as? String } == ["advanced", "baseline", "basic"])
        let speedup = try #require(rebert["speedup"] as? [String: Double])
        #expect(speedup["advanced_over_baseline"]! > speedup["basic_over_baseline"]! && speedup["basic_over_baseline"]! > 1)
        let lines = try String(contentsOf: timeline, encoding: .utf8).split(separator: "\n")
        #expect(lines[0].hasPrefix("design,sentence,tokens,layer,token") && lines.dropFirst().allSatisfy { $0.hasPrefix("advanced,") })
        let svg = try String(contentsOf: dir.appendingPathComponent("tl.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("sentence 2"))
        let hdpTrace = dir.appendingPathComponent("h.csv")
        _ = try attend(["eval", "--task", "sst2", "--limit", "2", "--plan", repositoryRoot.appendingPathComponent("plans/sst2-hdp.json").path, "--trace", hdpTrace.path])
        let bad = try attend(["cost", "--accelerator", config, "--trace", hdpTrace.path])
        #expect(bad.status == 1 && bad.stderr.contains("trace: sentence 0, layer 0: "), "\(bad.stderr)")
    }

    @Test("eval --trace then cost --accelerator: HDP per layer beside dense; the IO model; bad configurations name the key")
    func traceCost() throws {
        let dir = try temporaryDirectory("cost")
        let trace = dir.appendingPathComponent("t.csv"), topology = dir.appendingPathComponent("g.csv")
        let run = try attend(["eval", "--task", "sst2", "--limit", "4", "--plan", repositoryRoot.appendingPathComponent("plans/sst2-hdp.json").path,
                              "--trace", trace.path, "--json", "--cost", repositoryRoot.appendingPathComponent("hardware/hdp-edge.json").path,
                              "--scalesim-topology", topology.path])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let inline = try #require(summary["cost"] as? [String: Any])
        let gemms = try String(contentsOf: topology, encoding: .utf8).split(separator: "\n")
        #expect(gemms[0] == "Layer, M, N, K," && gemms.count > 4 * 6 * 6 && gemms.allSatisfy { $0.hasSuffix(",") })
        let cost = try attend(["cost", "--accelerator", repositoryRoot.appendingPathComponent("hardware/hdp-edge.json").path, "--trace", trace.path, "--json"])
        #expect(cost.status == 0, "\(cost.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(cost.stdout.utf8)) as! [String: Any]
        let total = report["total"] as! [String: Any], dense = report["dense"] as! [String: Any]
        #expect((report["layers"] as! [Any]).count == 6 && report["records"] as? Int == 4 * 6 * 12)
        #expect(total["cycles"] as? Int == (inline["total"] as! [String: Any])["cycles"] as? Int)
        #expect((total["dram_bytes"] as! Int) < (dense["dram_bytes"] as! Int))
        #expect(Set((report["without"] as! [String: Any]).keys) == ["block_pruning", "head_pruning", "fetch_upon_mask", "approximation"])
        let io = try attend(["cost", "--accelerator", repositoryRoot.appendingPathComponent("hardware/io-a100.json").path, "--trace", trace.path, "--json"])
        let ioReport = try JSONSerialization.jsonObject(with: Data(io.stdout.utf8)) as! [String: Any]
        let counts = ioReport["io"] as! [String: Int]
        #expect(counts["block_sparse"]! <= counts["tiled"]! && counts["standard"]! > 0)
        let broken = dir.appendingPathComponent("broken.json")
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("hardware/hdp-edge.json"), encoding: .utf8)
        try Data(text.replacingOccurrences(of: "\"dram_gbps\"", with: "\"dram_mbps\"").utf8).write(to: broken)
        let bad = try attend(["cost", "--accelerator", broken.path, "--trace", trace.path])
        #expect(bad.status == 1 && bad.stderr.contains(broken.path) && bad.stderr.contains("dram_gbps") && bad.stderr.contains("wrong unit"), "\(bad.stderr)")
        let usage = try attend(["cost", "--trace", trace.path])
        #expect(usage.status == 64)
    }
}
