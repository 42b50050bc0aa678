import Foundation

/// The pipeline's per-layer timeline as CSV and as an SVG Gantt chart.
public enum PipelineTimeline {
    public static let header = "design,sentence,tokens,layer,token,arrive_ns,generate_start_ns,generate_end_ns,write_start_ns,write_end_ns,"
        + "could_start_ns,start_ns,end_ns,out_ns,data_hazard_ns,structural_hazard_ns,queue_ns"

    /// One CSV row per (layer, token) of `run` (recorded); attention columns are -1 where the token
    /// runs none (a [CLS]-only layer). `could_start` is when the query and its keys were ready.
    public static func csvRows(_ run: PipelineRun, design: ReRAMDesign, sentence: Int, tokens: Int) -> String {
        var text = ""
        for t in run.timeline {
            let times = [t.arrive, t.generateStart, t.generateEnd, t.writeStart, t.writeEnd, t.couldStart, t.start, t.end, t.out,
                         t.stalls.data, t.stalls.structural, t.stalls.queue]
            text += "\(design.rawValue),\(sentence),\(tokens),\(t.layer),\(t.token)," + times.map(number).joined(separator: ",") + "\n"
        }
        return text
    }

    static func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format: "%.3f", x) }

    /// An SVG Gantt chart: one panel per run (e.g. baseline, basic, advanced of one sentence) on a
    /// shared time axis; per layer four lanes — generate, write, attention (with the wait before it:
    /// orange until its keys were ready, red while the arrays were busy), post stages.
    public static func svg(_ runs: [(title: String, run: PipelineRun)], caption: String) -> String {
        let end = runs.map(\.run.latency).max() ?? 1
        let layers = runs.map { ($0.run.timeline.map(\.layer).max() ?? -1) + 1 }.max() ?? 0
        let (left, width, lane, gap) = (120.0, 1000.0, 7.0, 6.0)
        let panelHeight = Double(layers) * (4 * lane + gap) + 28
        let height = 40 + Double(runs.count) * panelHeight + 30
        let x = { (t: Double) -> Double in left + t / max(end, 1e-9) * width }
        var out = [#"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(left + width + 20))" height="\#(Int(height))" font-family="sans-serif" font-size="11">"#,
                   #"<rect width="100%" height="100%" fill="white"/>"#,
                   #"<text x="10" y="18" font-size="13">\#(escape(caption))</text>"#]
        func rect(_ a: Double, _ b: Double, _ y: Double, _ h: Double, _ color: String) {
            guard b > a else { return }
            out.append(String(format: #"<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%@"/>"#, x(a), y, max(0.3, x(b) - x(a)), h, color))
        }
        for (p, panel) in runs.enumerated() {
            let top = 40 + Double(p) * panelHeight
            out.append(String(format: #"<text x="10" y="%.1f" font-weight="bold">%@ — %.1f µs</text>"#, top + 10, escape(panel.title), panel.run.latency / 1000))
            for l in 0..<layers {
                let y = top + 18 + Double(l) * (4 * lane + gap)
                out.append(String(format: #"<text x="10" y="%.1f">layer %d</text>"#, y + 2 * lane + 3, l))
                for t in panel.run.timeline where t.layer == l {
                    rect(t.generateStart, t.generateEnd, y, lane - 1, "#4e79a7")
                    rect(t.writeStart, t.writeEnd, y + lane, lane - 1, "#59a14f")
                    if t.start >= 0 {
                        rect(t.generateEnd, t.couldStart, y + 2 * lane + 2, lane - 5, "#f28e2b")
                        rect(t.couldStart, t.start, y + 2 * lane + 2, lane - 5, "#e15759")
                        rect(t.start, t.end, y + 2 * lane, lane - 1, "#b07aa1")
                        rect(t.end, t.out, y + 3 * lane, lane - 1, "#9c9c9c")
                    }
                }
            }
        }
        let axis = 40 + Double(runs.count) * panelHeight
        out.append(String(format: #"<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>"#, left, axis, left + width, axis))
        for k in 0...10 {
            let t = end * Double(k) / 10
            out.append(String(format: #"<text x="%.1f" y="%.1f" text-anchor="middle">%.0f µs</text>"#, x(t), axis + 14, t / 1000))
        }
        out.append(String(format: #"<text x="%.1f" y="%.1f">lanes per layer: generate (blue), K/V write (green), attention (purple; wait for keys orange, arrays busy red), W_O + FFN (grey)</text>"#, left, axis + 28))
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
