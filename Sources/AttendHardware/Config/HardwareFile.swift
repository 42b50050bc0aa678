import AttendJSON
import Foundation

/// Any configuration in hardware/: its `"kind"` says which model reads it.
public enum HardwareFile: Sendable {
    case hdp(HDPAccelerator)
    case io(IOHierarchy)
    case systolic(SystolicConfig)
    case spatten(SpAttenAccelerator)
    case rebert(ReRAMAccelerator)

    /// Loads `path`; an HDP or SpAtten configuration's energy table is read relative to the file's folder.
    public static func load(_ path: String) throws(ConfigError) -> HardwareFile {
        let text = try read(path)
        let kind: String
        do {
            guard case let .string(k)? = try JSONParser.parse(text)["kind"] else {
                throw ConfigError(file: path, key: "kind", reason: "missing (expected \"hdp\", \"io\", \"spatten\", \"systolic\" or \"rebert\")")
            }
            kind = k
        } catch let error as ConfigError { throw error } catch { throw ConfigError(file: path, key: "(file)", reason: "not valid JSON: \(error)") }
        switch kind {
        case "hdp":
            let config = try HDPConfig.load(text, file: path)
            let tablePath = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(config.energyTable).path
            return .hdp(HDPAccelerator(config: config, energy: try EnergyTable.load(try read(tablePath), file: tablePath)))
        case "spatten":
            let config = try SpAttenConfig.load(text, file: path)
            let tablePath = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(config.energyTable).path
            return .spatten(SpAttenAccelerator(config: config, energy: try EnergyTable.load(try read(tablePath), file: tablePath)))
        case "io": return .io(try IOHierarchy.load(text, file: path))
        case "systolic": return .systolic(try SystolicConfig.load(text, file: path))
        case "rebert":
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            return .rebert(ReRAMAccelerator(config: try ReRAMConfig.load(text, file: path) { (name: String) throws(ConfigError) in
                let machine = folder.appendingPathComponent(name).path
                return (try read(machine), machine)
            }))
        default: throw ConfigError(file: path, key: "kind", reason: "expected \"hdp\", \"io\", \"spatten\", \"systolic\" or \"rebert\" (a \"rebert-machine\" file is read through a design file), got \"\(kind)\"")
        }
    }

    static func read(_ path: String) throws(ConfigError) -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(file: path, key: "(file)", reason: "cannot read (\((error as NSError).localizedDescription))")
        }
    }
}
