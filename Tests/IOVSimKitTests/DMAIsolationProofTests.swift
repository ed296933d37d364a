import Foundation
import Host
import IOVSimKit
import Proofs
import SMT
import Testing

/// The DMA-isolation family of `iovsim prove`: through the IOTLB and the VMM's tables, as the
/// IOMMU translates, on the state after bring-up and the drivers' set-up.
@Suite("DMA isolation proofs", .serialized)
struct DMAIsolationProofTests {
    static let foreignModel = Repository.root.appendingPathComponent("Models/broken/vmm-maps-foreign-page.toml").path

    @Test("every function a VM has is proved to reach only its VM's pages, on both shipped models", arguments: ["i82576.toml", "i82599.toml"])
    func shipped(_ model: String) throws {
        let report = try ProveReport.run(file: Repository.model(model), limits: SolverLimits(recordQueries: false))
        let dma = report.results.filter { $0.family == "DMA isolation" }
        let file = try ModelLoader.load(path: Repository.model(model))
        let assigned = (file.vm ?? []).flatMap(\.functions)
        #expect(dma.map(\.subject).sorted() == assigned.sorted(), "one property per assigned function")
        for r in dma { #expect(r.outcome.result == .proved, "\(r.subject): \(r.outcome.result.label) \(r.explanation ?? "")") }
        #expect(report.coverageLines.contains { $0.hasPrefix("DMA isolation: \(assigned.count) functions of 2 VMs at clock ") })
        #expect(report.exitCode == 0)
    }

    @Test("the VMM that maps vm2's page into vm1's domain: vm1's functions violate DMA isolation with the IOVA and vm2's page; vm2's are proved; the replay run makes the write and the guard reports it")
    func foreignPage() throws {
        let report = try ProveReport.run(file: Self.foreignModel, limits: SolverLimits(recordQueries: false))
        let dma = report.results.filter { $0.family == "DMA isolation" }
        let violated = dma.filter { $0.outcome.result.counterexample != nil }
        #expect(violated.map(\.subject).sorted() == ["nic0.pf0.vf0", "nic0.pf1.vf0"], "vm1's two VFs")
        #expect(dma.filter { $0.outcome.result == .proved }.map(\.subject).sorted() == ["nic0.pf0.vf1", "nic0.pf1.vf1"], "vm2's are not affected")
        #expect(report.exitCode == 1)
        let first = try #require(violated.first { $0.subject == "nic0.pf0.vf0" })
        // Guest page 257 is the one mapped onto vm2's page 5.
        let explanation = try #require(first.explanation)
        #expect(explanation.hasPrefix("nic0.pf0.vf0 (vm1) writes IOVA 0x101") && explanation.hasSuffix(", which belongs to vm2"), "\(explanation)")
        let address = try #require(first.replay?.address)
        #expect(address >> 12 == 257)
        // The replay, as printed: a cycle run that makes the write; the guard names it.
        let run = try runReplay(report, first)
        #expect(run.status == 1, "\(run.stdout)")
        let guardLine = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("guard: ") })
        let page = try #require(explanation.firstMatch(of: /host page (0x[0-9a-f]+)/)).1
        #expect(guardLine.contains("01:10.0 (vm1) wrote host page \(page), which belongs to vm2"), "\(guardLine)")
        let logText = run.log
        #expect(logText.contains("MWr req=01:10.0 addr=0x\(String(address, radix: 16)) "), "the replayed write is in the TLP log")
    }

    @Test("a test hook that skips the IOMMU's permission check turns every function's DMA isolation violated: a request through a not-present entry reaches host page 0")
    func permissionHook() throws {
        let report = try ProveReport.run(file: Repository.model("i82576.toml"), limits: SolverLimits(recordQueries: false),
                                         hooks: ProofHooks(translation: TranslationHooks(ignorePermissions: true)))
        let dma = report.results.filter { $0.family == "DMA isolation" }
        #expect(dma.count == 4)
        for r in dma {
            #expect(r.outcome.result.counterexample != nil, "\(r.subject): \(r.outcome.result.label)")
            let explanation = r.explanation ?? ""
            #expect(explanation.contains("the walk lets it through although the entry's permissions deny it, and gives host page 0x"), "\(explanation)")
            #expect(!explanation.hasSuffix("belongs to \(r.subject == "nic0.pf0.vf0" || r.subject == "nic0.pf1.vf0" ? "vm1" : "vm2")"), "\(explanation)")
        }
        #expect(report.results.filter { $0.family != "DMA isolation" }.allSatisfy { $0.outcome.result == .proved }, "only its family")
        #expect(report.exitCode == 1)
    }

    @Test("the SMT-LIB2 of a violated DMA property answers sat in the z3 binary; a proved one unsat")
    func smt2() throws {
        let z3 = try #require(["/usr/bin/z3", "/usr/local/bin/z3"].first { FileManager.default.isExecutableFile(atPath: $0) }, "z3 (Debian package z3) is not installed")
        let report = try ProveReport.run(file: Self.foreignModel, limits: SolverLimits())
        for r in report.results where r.family == "DMA isolation" {
            let path = temporaryPath("dma.smt2")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try r.outcome.smtlib2.write(toFile: path, atomically: true, encoding: .utf8)
            let answer = try runProgram(z3, [path])
            #expect(answer.status == 0, "\(answer.stderr)")
            let lines = answer.stdout.split(separator: "\n").map(String.init)
            if r.outcome.result == .proved {
                #expect(!lines.isEmpty && lines.allSatisfy { $0 == "unsat" }, "\(r.subject): \(lines.prefix(3))")
            } else {
                #expect(lines.contains("sat"), "\(r.subject): \(lines.prefix(3))")
            }
        }
    }

    static let staleModel = Repository.root.appendingPathComponent("Models/broken/vmm-unmaps-without-invalidation.toml").path

    @Test("a VMM that unmaps vm1's ring page without invalidating: at clock 205,000 (the model's [prove] at) vm1's VFs violate DMA isolation through the stale IOTLB entry; the replay, a write at that clock, lands in the freed page")
    func staleIOTLB() throws {
        let report = try ProveReport.run(file: Self.staleModel, limits: SolverLimits(recordQueries: false))
        #expect(report.stateClock == 205_000 && report.table().contains("state: at clock 205000, after the model's traffic\n"))
        let violated = report.violated.filter { $0.family == "DMA isolation" }
        #expect(violated.map(\.subject).sorted() == ["nic0.pf0.vf0", "nic0.pf1.vf0"], "both of vm1's VFs share the domain and its IOTLB entry")
        let first = try #require(violated.first { $0.subject == "nic0.pf0.vf0" })
        let explanation = try #require(first.explanation)
        #expect(explanation.hasPrefix("nic0.pf0.vf0 (vm1) writes IOVA 0x100") && explanation.contains("a stale IOTLB entry (the tables no longer map it) gives host page")
                && explanation.hasSuffix("which belongs to no VM (free)"), "\(explanation)")
        #expect(report.replayCommand(first)?.contains("@205000 ") == true)
        let run = try runReplay(report, first, cycles: 206_000)
        #expect(run.status == 1, "\(run.stdout)")
        let page = try #require(explanation.firstMatch(of: /host page (0x[0-9a-f]+)/)).1
        let guardLine = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("guard: ") })
        #expect(guardLine.contains("first: clock 2050") && guardLine.contains("01:10.0 (vm1) wrote host page \(page), which belongs to free"), "\(guardLine)")
    }

    @Test("the same model proved where it should be: before the unmap (--at 150000), and after it when the VMM invalidates the page")
    func staleIOTLBCounterparts() throws {
        let before = try ProveReport.run(file: Self.staleModel, limits: SolverLimits(recordQueries: false), at: 150_000)
        #expect(before.exitCode == 0, "\(before.table())")
        let text = try String(contentsOfFile: Self.staleModel, encoding: .utf8)
        let fixed = try ModelVariant(text: text.replacingOccurrences(of: "invalidate = \"none\"", with: "invalidate = \"page\""))
        defer { fixed.remove() }
        let invalidated = try ProveReport.run(file: fixed.path, limits: SolverLimits(recordQueries: false))
        #expect(invalidated.exitCode == 0, "\(invalidated.table())")
        #expect(invalidated.results.filter { $0.family == "DMA isolation" }.count == 4)
    }

    @Test("the 82599 model proved at clock 300,000, after its VMs' traffic has filled the IOTLB: every family, the IOTLB's 64 entries in the state")
    func warmCaches() throws {
        let report = try ProveReport.run(file: Repository.model("i82599.toml"), limits: SolverLimits(recordQueries: false), at: 300_000)
        #expect(report.exitCode == 0, "\(report.table())")
        #expect(report.table().contains("state: at clock 300000, after the model's traffic\n"))
        #expect(report.coverageLines.contains { $0.hasPrefix("DMA isolation: 4 functions of 2 VMs at clock 300000 (IOTLB 64 entries, context cache 4)") },
                "\(report.coverageLines)")
    }

    @Test("--at before the end of bring-up takes the state after bring-up and says so")
    func atTooEarly() throws {
        let report = try ProveReport.run(file: Repository.model("i82576.toml"), limits: SolverLimits(recordQueries: false), at: 10)
        #expect(report.notes.contains { $0.hasPrefix("--at 10: bring-up and the drivers' set-up end at clock ") }, "\(report.notes)")
        #expect(report.exitCode == 0)
    }

    @Test("a proof clock past the latest is refused, not run for years: --at is a usage error, [prove] at a model error naming the key")
    func atOutOfRange() throws {
        let flag = try IOVSimBinary.run(["prove", Repository.model("i82576.toml"), "--at", "99999999999"])
        #expect(flag.status == ToolStatus.usage.rawValue && flag.stderr.contains("--at 99999999999: value out of range: 0...1000000000 clocks"), "\(flag.stderr)")
        let text = try String(contentsOfFile: Self.staleModel, encoding: .utf8).replacingOccurrences(of: "at = 205000", with: "at = 99999999999")
        expectModelError(text, key: "prove.at", message: "0...1000000000 clocks")
    }
}
