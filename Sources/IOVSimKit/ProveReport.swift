import Foundation
import PCIe
import Proofs
import SMT

/// `iovsim prove`: bring the platform up in simulation, then check every property on the state
/// it left, and report as a table, as JSON, and as SMT-LIB2 files.
public struct ProveReport {
    public let model: String
    /// The model file, for replay commands.
    public var file = ""
    public let results: [PropertyResult]
    public let bringUpClocks: UInt64
    public let configAccesses: Int
    public let seconds: Double

    public static func run(file: String, limits: SolverLimits, hooks: RoutingHooks = RoutingHooks()) throws -> ProveReport {
        let start = ContinuousClock.now
        let model = try ModelLoader.load(path: file)
        let platform = try Platform(model: model)
        platform.bringUp()
        let results = try PlatformProofs.check(platform.state(), limits: limits, hooks: hooks)
        let elapsed = ContinuousClock.now - start
        var report = ProveReport(model: model.name, results: results, bringUpClocks: platform.bringUpClocks,
                                 configAccesses: platform.configAccesses,
                                 seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        report.file = file
        return report
    }

    public var violated: [PropertyResult] { results.filter { $0.outcome.result.counterexample != nil } }
    public var unknown: [PropertyResult] { results.filter { $0.outcome.result.label == "unknown" } }

    /// 0 all proved, 1 some property violated, 2 some unknown (and none violated).
    public var exitCode: Int32 { !violated.isEmpty ? 1 : !unknown.isEmpty ? 2 : 0 }

    public func table() -> String {
        var out = "model \(model): bring-up \(configAccesses) config requests in \(bringUpClocks) clocks\n"
        let widths = (family: 14, subject: 10, property: 72)
        out += pad("family", widths.family) + pad("subject", widths.subject) + pad("property", widths.property) + pad("result", 10) + "time\n"
        for r in results {
            out += pad(r.family, widths.family) + pad(r.subject, widths.subject) + pad(r.property, widths.property)
            out += pad(r.outcome.result.label, 10) + String(format: "%.1f ms", r.outcome.seconds * 1000) + "\n"
            if let explanation = r.explanation { out += "    counterexample: \(explanation)\n" }
            if let replay = r.replay {
                out += "    replay: iovsim run \(file) --write \(replay.function)@0x\(String(replay.address, radix: 16)) --tlp-log replay.log\n"
            }
            if case .unknown(let reason) = r.outcome.result { out += "    unknown: \(reason) after \(String(format: "%.3f", r.outcome.seconds)) s\n" }
        }
        let proved = results.count - violated.count - unknown.count
        out += "\(results.count) properties: \(proved) proved, \(violated.count) violated, \(unknown.count) unknown; \(String(format: "%.2f", seconds)) s\n"
        return out
    }

    public func json() throws -> String {
        struct Entry: Encodable {
            let family, subject, property, result: String
            let milliseconds: Double
            let counterexample: [String: UInt64]?
            let explanation: String?
            let reason: String?
        }
        struct Document: Encodable {
            let model: String
            let exitCode: Int32
            let seconds: Double
            let properties: [Entry]
        }
        let entries = results.map { r -> Entry in
            var reason: String?
            if case .unknown(let why) = r.outcome.result { reason = why }
            return Entry(family: r.family, subject: r.subject, property: r.property, result: r.outcome.result.label,
                         milliseconds: r.outcome.seconds * 1000, counterexample: r.outcome.result.counterexample?.values,
                         explanation: r.explanation, reason: reason)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(Document(model: model, exitCode: exitCode, seconds: seconds, properties: entries)), as: UTF8.self)
    }

    /// Writes each query as `NNN-family-subject.smt2` in `directory`.
    public func writeSMT2(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (n, r) in results.enumerated() {
            let slug = "\(r.family)-\(r.subject)-\(r.property)".map { $0.isLetter || $0.isNumber ? $0 : "-" }
            let name = String(format: "%03d-", n) + String(slug.prefix(80)) + ".smt2"
            let header = "; \(r.family) / \(r.subject) / \(r.property): \(r.outcome.result.label)\n"
            try (header + r.outcome.smtlib2).write(toFile: (directory as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
    }
}
