import Foundation
import IOVSimKit
import Proofs
import SMT
import Testing

/// ATS end to end: the VMM enables it (context entries with Translation Type 01, ATS Control
/// Enable), the VFs fill their ATCs with Translation Requests and send translated requests, an
/// unmap invalidates the ATCs through the IOMMU's queue (Invalidate Request and Invalidation
/// Completion messages); the DMA-isolation proof reads the ATCs at the clock of the proof.
@Suite("ATS and the device ATC", .serialized)
struct ATSTests {
    static let model = Repository.root.appendingPathComponent("Models/broken/ats-stale-atc.toml").path

    static func completing() throws -> ModelVariant {
        let text = try String(contentsOfFile: model, encoding: .utf8)
        #expect(text.contains("ignores_ats_invalidation = true"))
        return try ModelVariant(text: text.replacingOccurrences(of: "ignores_ats_invalidation = true", with: "ignores_ats_invalidation = false"))
    }

    @Test("a NIC that ignores the ATC invalidation: vm1's VF 0 violates DMA isolation through a stale ATC entry at clock 205,000; the replay's translated write lands in the freed page")
    func staleATC() throws {
        let report = try ProveReport.run(file: Self.model, limits: SolverLimits(recordQueries: false))
        #expect(report.exitCode == 1)
        let violated = report.violated
        #expect(violated.map(\.subject) == ["nic0.pf0.vf0"] && violated.allSatisfy { $0.family == "DMA isolation" }, "\(violated.map(\.subject))")
        let result = try #require(violated.first)
        let explanation = try #require(result.explanation)
        #expect(explanation.hasPrefix("nic0.pf0.vf0 (vm1) writes IOVA 0x100") && explanation.contains("a stale entry of its ATC (the tables no longer map it) gives host page 0x")
                && explanation.contains("which belongs to no VM (free)") && explanation.hasSuffix("translated request (AT 10), which the IOMMU passes (context entry TT 01, device-TLB)"),
                "\(explanation)")
        #expect(report.coverageLines.contains { $0.hasPrefix("DMA isolation:") && $0.contains("ATS on for 2 functions, their ATCs ") }, "\(report.coverageLines)")

        let run = try runReplay(report, result, cycles: 206_000)
        #expect(run.status == 1, "\(run.stdout)")
        let page = try #require(explanation.firstMatch(of: /host page (0x[0-9a-f]+)/)).1
        #expect(run.stdout.contains("guard: ") && run.stdout.contains("01:10.0 (vm1) wrote host page \(page), which belongs to free"), "\(run.stdout)")
        #expect(run.log.contains("MWr req=01:10.0 addr=\(page) at=translated "), "the replayed write leaves the VF translated")
        #expect(run.stdout.contains("device-TLB invalidation not completed by 01:10.0, 01:10.1 (its ATC may still translate it)"))
    }

    @Test("the same platform with a NIC that completes the invalidation: proved at 205,000, the VMM's wait finishes, no write reaches the freed page")
    func completedInvalidation() throws {
        let variant = try Self.completing()
        defer { variant.remove() }
        let report = try ProveReport.run(file: variant.path, limits: SolverLimits(recordQueries: false))
        #expect(report.exitCode == 0, "\(report.table())")
        let log = temporaryPath("ats.log")
        defer { try? FileManager.default.removeItem(atPath: log) }
        let run = try IOVSimBinary.run(["run", variant.path, "--cycles", "210000", "--quiet", "--tlp-log", log])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("page-selective IOTLB invalidation; device-TLB invalidation completed"), "\(run.stdout)")
        #expect(run.stdout.contains("guard: no DMA write outside its VM's pages"))
        let text = try String(contentsOfFile: log, encoding: .utf8)
        // The messages, each way: the Invalidate Request down to each VF, its completion up.
        #expect(text.contains("rc cpu->rp0 MsgD req=00:00.0 id=01:10.0 code=0x1 "))
        #expect(text.contains("rc rp0->IOMMU Msg req=01:10.0 id=00:00.0 code=0x2 "))
        // ATS at work: Translation Requests answered by the root complex, translated requests.
        #expect(text.contains(" at=translation-request ") && text.contains("->translation MRd req=01:10.0"))
        #expect(text.contains("MWr req=01:10.0") && text.contains(" at=translated "))
        let ats = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("nic0 ATS: on for 2 functions; ") })
        #expect(!ats.contains(" 0 translated requests") && ats.contains(" 2 invalidations applied"), "\(ats)")
    }

    @Test("ats on a VM whose functions have no ATS capability: the run says so, and the VM's requests stay untranslated")
    func noCapability() throws {
        let variant = try ModelVariant("i82576.toml", [("functions = [\"nic0.pf0.vf0\", \"nic0.pf1.vf0\"]\n", "functions = [\"nic0.pf0.vf0\", \"nic0.pf1.vf0\"]\nats = true\n")])
        defer { variant.remove() }
        let run = try IOVSimBinary.run(["run", variant.path, "--cycles", "20000", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("note: vm1: ats = true, but nic0.pf0.vf0 has no ATS capability: it sends untranslated requests only"), "\(run.stdout)")
        #expect(!run.stdout.contains("nic0 ATS:"), "no function has ATS on")
    }

    @Test("ats on a VM needs the host's IOMMU: a model error naming the key")
    func needsHost() throws {
        let text = try String(contentsOfFile: Self.model, encoding: .utf8).replacingOccurrences(of: "[host]\nmemory_mb = 1024\n", with: "[host]\nmemory_mb = 1024\niommu = false\n")
        expectModelError(text, key: "vm[0].ats", message: "IOMMU")
    }
}
