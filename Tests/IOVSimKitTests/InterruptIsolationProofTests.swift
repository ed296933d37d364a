import Foundation
import Host
import IOVSimKit
import Proofs
import SMT
import Testing

/// The interrupt-isolation family of `iovsim prove`: every MSI write a VM's function can make,
/// through `InterruptRemapping.deliver` on the VMM's remapping table.
@Suite("Interrupt isolation proofs", .serialized)
struct InterruptIsolationProofTests {
    static let brokenModel = Repository.root.appendingPathComponent("Models/broken/vmm-irte-without-source-validation.toml").path

    static func interrupts(_ report: ProveReport) -> [PropertyResult] { report.results.filter { $0.family == "interrupt isolation" } }

    @Test("every function a VM has is proved to interrupt only its own VM, on both shipped models", arguments: ["i82576.toml", "i82599.toml"])
    func shipped(_ model: String) throws {
        let report = try ProveReport.run(file: Repository.model(model), limits: SolverLimits(recordQueries: false))
        let file = try ModelLoader.load(path: Repository.model(model))
        let results = Self.interrupts(report)
        #expect(results.map(\.subject).sorted() == (file.vm ?? []).flatMap(\.functions).sorted())
        for r in results { #expect(r.outcome.result == .proved, "\(r.subject): \(r.explanation ?? "")") }
        #expect(report.coverageLines.contains { $0.hasPrefix("interrupt isolation: \(results.count) functions (remapping on, 256 entries)") }, "\(report.coverageLines)")
    }

    @Test("entries of vm2 without source validation: vm1's VFs can raise vm2's vectors (violated, with the entry and the destination), vm2's own are proved; the replay's guard reports the interrupt at vm2's destination")
    func noSourceValidation() throws {
        let report = try ProveReport.run(file: Self.brokenModel, limits: SolverLimits(recordQueries: false))
        let results = Self.interrupts(report)
        #expect(results.filter { $0.outcome.result.counterexample != nil }.map(\.subject).sorted() == ["nic0.pf0.vf0", "nic0.pf1.vf0"])
        #expect(results.filter { $0.outcome.result == .proved }.map(\.subject).sorted() == ["nic0.pf0.vf1", "nic0.pf1.vf1"])
        #expect(report.violated.allSatisfy { $0.family == "interrupt isolation" }, "only its family")
        #expect(report.exitCode == 1)
        let first = try #require(results.first { $0.subject == "nic0.pf0.vf0" })
        let explanation = try #require(first.explanation)
        #expect(explanation.hasPrefix("nic0.pf0.vf0 (vm1) writes 0x") && explanation.contains("(SVT 00: no source validation) delivers vector 0x")
                && explanation.hasSuffix("at destination 2 (vm2)"), "\(explanation)")
        let address = try #require(first.replay?.address)
        #expect(address >> 20 == 0xFEE && first.replayData != nil)

        let run = try runReplay(report, first)
        #expect(run.status == 1, "\(run.stdout)")
        let vector = try #require(explanation.firstMatch(of: /delivers vector (0x[0-9a-f]+)/)).1
        #expect(run.stdout.contains("guard: 1 interrupt raised at another VM's destination; first: clock ")
                && run.stdout.contains(": 01:10.0 (vm1) raised vector \(vector) at destination 2 (vm2's)"), "\(run.stdout)")
        #expect(run.log.contains("MWr req=01:10.0 addr=0x\(String(address, radix: 16)) "), "the MSI write is in the TLP log")
    }

    @Test("entries validated only by bus: every VF shares bus 01, so vm1's VFs reach vm2's entries too")
    func busValidation() throws {
        let text = try String(contentsOfFile: Self.brokenModel, encoding: .utf8).replacingOccurrences(of: "source_validation = \"none\"", with: "source_validation = \"bus\"")
        let variant = try ModelVariant(text: text)
        defer { variant.remove() }
        let report = try ProveReport.run(file: variant.path, limits: SolverLimits(recordQueries: false))
        let violated = Self.interrupts(report).filter { $0.outcome.result.counterexample != nil }
        #expect(violated.map(\.subject).sorted() == ["nic0.pf0.vf0", "nic0.pf1.vf0"])
        #expect(violated.allSatisfy { $0.explanation?.contains("(SVT 10: any requester on buses 01-01) delivers vector") == true }, "\(violated.map(\.explanation))")
    }

    @Test("a test hook that skips the entries' source validation turns every function's interrupt isolation violated")
    func sourceValidationHook() throws {
        let report = try ProveReport.run(file: Repository.model("i82576.toml"), limits: SolverLimits(recordQueries: false),
                                         hooks: ProofHooks(interrupt: InterruptHooks(ignoreSourceValidation: true)))
        let results = Self.interrupts(report)
        #expect(results.count == 4 && results.allSatisfy { $0.outcome.result.counterexample != nil })
        #expect(results.allSatisfy { $0.explanation?.contains("skipped by the hook") == true }, "\(results.map(\.explanation))")
        #expect(report.violated.allSatisfy { $0.family == "interrupt isolation" })
    }

    @Test("source_validation that is not one is a model error naming the key")
    func badValue() throws {
        let text = try String(contentsOfFile: Self.brokenModel, encoding: .utf8).replacingOccurrences(of: "source_validation = \"none\"", with: "source_validation = \"sid\"")
        expectModelError(text, key: "vm[1].source_validation", message: "requester, bus, none")
    }
}
