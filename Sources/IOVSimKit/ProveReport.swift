import Foundation
import Trace
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

    /// What each family covered, e.g. ("routing IDs", ["64 VFs of nic0.pf0", ...]), in family order.
    public var coverage: [(family: String, items: [String])] = []
    /// All of it in one phrase, for the summary line.
    public var coverageSummary = ""
    /// What the report should say about how the state was taken.
    public var notes: [String] = []
    /// The clock the state was taken at when the traffic ran first (`--at`); replays write then.
    public var stateClock: UInt64?

    /// Brings the model up and checks every property. Throws `VacuousError` when bring-up did not
    /// give what the model asks for or nothing is left to check: a verdict on such a state would
    /// say nothing about the modelled platform.
    /// With `at` (else the model's `[prove] at`), the model's traffic runs to that clock first
    /// and the proofs take the state then.
    /// `jobs`: properties checked at once (the report is the same for any number).
    public static func run(file: String, limits: SolverLimits, hooks: ProofHooks = ProofHooks(), at: UInt64? = nil, jobs: Int = 1) throws -> ProveReport {
        let start = ContinuousClock.now
        let model = try ModelLoader.load(path: file)
        let platform = try Platform(model: model)
        defer { platform.stopDrivers() }
        let clock = at ?? model.prove?.at
        let traffic = try clock.map { _ in try NICTraffic(platform: platform, pcapIn: []) }
        platform.bringUp()
        let shortfalls = platform.shortfalls()
        guard shortfalls.isEmpty else { throw VacuousError(file: file, reasons: shortfalls) }
        var notes: [String] = []
        if let clock, let traffic {
            try platform.startTraffic(traffic)
            if clock > platform.simulator.now {
                platform.simulator.run(clocks: clock - platform.simulator.now)
            } else {
                notes.append("--at \(clock): bring-up and the drivers' set-up end at clock \(platform.simulator.now); the state is taken then")
            }
        }
        let state = platform.state()
        let results = try PlatformProofs.check(state, limits: limits, hooks: hooks, jobs: jobs)
        guard !results.isEmpty else {
            throw VacuousError(file: file, reasons: ["nothing to check: no PF has VFs enabled and no VM owns a function below a switch or root port"])
        }
        let elapsed = ContinuousClock.now - start
        var report = ProveReport(model: model.name, results: results, bringUpClocks: platform.bringUpClocks,
                                 configAccesses: platform.configAccesses,
                                 seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        report.file = file
        report.notes = notes
        report.stateClock = clock.map { max($0, platform.bringUpClocks) }
        report.coverage = PlatformProofs.coverage(state)
        report.coverageSummary = PlatformProofs.coverageSummary(state, coverage: report.coverage)
        return report
    }

    /// `iovsim run` command that replays a violation as a cycle run, if it has one.
    public func replayCommand(_ r: PropertyResult) -> String? {
        if var frame = r.frame {
            frame.clock = stateClock
            return "iovsim run \(file) --frame \(frame) --pcap-out replay"
        }
        return r.replay.map { replay in
            "iovsim run \(file) --write \(replay.function)@0x\(String(replay.address, radix: 16))\(stateClock.map { "@\($0)" } ?? "")"
                + (r.replayData.map { "=0x\(String($0, radix: 16))" } ?? "") + " --tlp-log replay.log"
        }
    }

    /// "routing IDs: 64 VFs of nic0.pf0, 64 VFs of nic0.pf1", one line per family.
    public var coverageLines: [String] { coverage.map { "\($0.family): \($0.items.joined(separator: ", "))" } }

    public var violated: [PropertyResult] { results.filter { $0.outcome.result.counterexample != nil } }
    public var unknown: [PropertyResult] { results.filter { $0.outcome.result.label == "unknown" } }

    /// 0 all proved, 1 some property violated, 2 some unknown (and none violated).
    public var exitCode: Int32 { !violated.isEmpty ? 1 : !unknown.isEmpty ? 2 : 0 }

    public func table() -> String {
        var out = "model \(model): bring-up \(configAccesses) config requests in \(bringUpClocks) clocks\n"
        if let stateClock { out += "state: at clock \(stateClock), after the model's traffic\n" }
        for note in notes { out += "note: \(note)\n" }
        let widths = (family: 14, subject: 10, property: 72)
        out += pad("family", widths.family) + pad("subject", widths.subject) + pad("property", widths.property) + pad("result", 10) + "time\n"
        for r in results {
            out += pad(r.family, widths.family) + pad(r.subject, widths.subject) + pad(r.property, widths.property)
            out += pad(r.outcome.result.label, 10) + String(format: "%.1f ms", r.outcome.seconds * 1000) + "\n"
            if let explanation = r.explanation { out += "    counterexample: \(explanation)\n" }
            if let replay = replayCommand(r) { out += "    replay: \(replay)\n" }
            if case .unknown(let reason) = r.outcome.result { out += "    unknown: \(reason) after \(String(format: "%.3f", r.outcome.seconds)) s\n" }
        }
        let proved = results.count - violated.count - unknown.count
        for line in coverageLines { out += "covered: \(line)\n" }
        out += "\(results.count) properties over \(coverageSummary): \(proved) proved, \(violated.count) violated, \(unknown.count) unknown; \(String(format: "%.2f", seconds)) s\n"
        return out
    }

    public func json() throws -> String {
        struct Entry: Encodable {
            let family, subject, property, result: String
            let milliseconds: Double
            let counterexample: [String: UInt64]?
            let explanation: String?
            let replay: String?
            let reason: String?
        }
        struct Document: Encodable {
            let model: String
            let exitCode: Int32
            let seconds: Double
            let coverage: [String: [String]]
            let covered: String
            let properties: [Entry]
        }
        let entries = results.map { r -> Entry in
            var reason: String?
            if case .unknown(let why) = r.outcome.result { reason = why }
            return Entry(family: r.family, subject: r.subject, property: r.property, result: r.outcome.result.label,
                         milliseconds: r.outcome.seconds * 1000, counterexample: r.outcome.result.counterexample?.values,
                         explanation: r.explanation, replay: replayCommand(r), reason: reason)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(Document(model: model, exitCode: exitCode, seconds: seconds,
                                                                   coverage: Dictionary(uniqueKeysWithValues: coverage.map { ($0.family, $0.items) }),
                                                                   covered: coverageSummary,
                                                                   properties: entries)), as: UTF8.self)
    }

    /// A failed `prove --json` as a JSON object: the error, its exit status and the model file.
    public static func jsonError(_ error: any StatusError, file: String) -> String {
        struct Failure: Encodable {
            let model, error, status: String
            let exitCode: Int32
        }
        let document = Failure(model: file, error: error.description, status: "\(error.status)", exitCode: error.status.rawValue)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(document)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// Writes each query as `NNN-family-subject.smt2` in `directory`.
    public func writeSMT2(to directory: String) throws {
        do {
            try OutputFile.createDirectory(directory)
        } catch let failure as OutputFile.Failure {
            throw OutputError(path: directory, reason: failure.reason)
        }
        for (n, r) in results.enumerated() {
            let slug = "\(r.family)-\(r.subject)-\(r.property)".map { $0.isLetter || $0.isNumber ? $0 : "-" }
            let name = String(format: "%03d-", n) + String(slug.prefix(80)) + ".smt2"
            let header = "; \(r.family) / \(r.subject) / \(r.property): \(r.outcome.result.label)\n"
            let path = (directory as NSString).appendingPathComponent(name)
            do {
                let file = try OutputFile.create(path)
                defer { try? file.close() }
                try file.write(contentsOf: Data((header + r.outcome.smtlib2).utf8))
            } catch let failure as OutputFile.Failure {
                throw OutputError(path: failure.path, reason: failure.reason)
            } catch {
                throw OutputError(path: path, reason: "write failed (\((error as NSError).localizedDescription))")
            }
        }
    }
}
