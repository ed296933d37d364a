import Foundation
import IOVSimKit
import PCIe
import Proofs
import SMT
import Testing

/// `iovsim prove` on every shipped model (all proved) and on every broken one (violated, with
/// the witness its comment promises), plus evidence that the proofs run the simulator's code.
@Suite("iovsim prove", .serialized)
struct ProveTests {
    static func models(_ folder: String) throws -> [String] {
        let dir = Repository.root.appendingPathComponent(folder).path
        return try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".toml") }.sorted().map { "\(dir)/\($0)" }
    }

    @Test("every model in Models/ is proved; exit 0")
    func shippedModels() throws {
        let models = try Self.models("Models")
        #expect(models.count >= 3)
        for model in models {
            let report = try ProveReport.run(file: model, limits: SolverLimits(timeout: .seconds(60)))
            #expect(report.exitCode == 0, "\(model):\n\(report.table())")
            #expect(report.results.count >= 12)
            #expect(Set(report.results.map(\.family)) == ["routing IDs", "BAR apertures", "peer-to-peer"], "\(model)")
        }
    }

    static func violated(_ path: String) throws -> [PropertyResult] {
        let report = try ProveReport.run(file: Repository.root.appendingPathComponent(path).path, limits: SolverLimits(timeout: .seconds(60)))
        #expect(report.exitCode == 1)
        return report.violated
    }

    @Test("bus range too small: VFs outside [secondary, subordinate] and unreachable")
    func busRange() throws {
        let v = try Self.violated("Models/broken/bus-range-too-small.toml")
        #expect(v.map(\.property).sorted() == ["VF RIDs inside [secondary, subordinate]", "VFs reachable by config requests"])
        let range = try #require(v.first { $0.property.hasPrefix("VF RIDs inside") })
        let vf = try #require(range.outcome.result.counterexample?["vf_i"])
        #expect(vf < 8)
        #expect(range.explanation == "VF \(vf) needs bus 0x2; port rp0 decodes buses [01, 01]")
        // Replay on the concrete code: that VF's RID is on bus 2.
        let layout = SRIOVLayout(pfRID: 0x0100, firstVFOffset: 0x180, vfStride: 2, numVFs: 8, ari: false)
        #expect(BDF(layout.vfRID(Int(vf))).bus == 2)
    }

    @Test("VF BAR smaller than the System Page Size: misaligned aperture")
    func pageSize() throws {
        let v = try Self.violated("Models/broken/vf-bar-below-page-size.toml")
        #expect(Set(v.map(\.property)) == ["VF BAR0 apertures aligned to System Page Size and own size", "VF BAR3 apertures aligned to System Page Size and own size"])
        for result in v {
            let vf = try #require(result.outcome.result.counterexample?["vf_i"])
            // VF n's aperture is base + n * 16 KiB: 64 KiB aligned only when n is a multiple of 4.
            #expect(vf % 4 != 0 && vf < 8)
            #expect(result.explanation?.contains("not aligned to the System Page Size 0x10000") == true)
        }
    }

    @Test("ACS redirect off: a VF's write crosses the switch to another owner's BAR")
    func acsRedirect() throws {
        let v = try Self.violated("Models/broken/acs-redirect-off.toml")
        #expect(v.count == 2)
        #expect(v.allSatisfy { $0.family == "peer-to-peer" && $0.subject == "sw0" })
        let vm1 = try #require(v.first { $0.property.contains("vm1") })
        let explanation = try #require(vm1.explanation)
        #expect(explanation.contains("(vm1) writes 0x"))
        #expect(explanation.contains("sw0 routes it from dp0 straight to dp1"))
        #expect(explanation.contains("nic1.pf0"))
        #expect(!explanation.contains("(owner vm1)"))
        // The counterexample replays as a cycle run: the write crosses sw0 from dp0 to dp1.
        let replay = try #require(vm1.replay)
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let run = try IOVSimBinary.run(["run", Repository.root.appendingPathComponent("Models/broken/acs-redirect-off.toml").path,
                                        "--cycles", "1", "--write", "\(replay.function)@0x\(String(replay.address, radix: 16))", "--tlp-log", log, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").filter { $0.contains("addr=0x\(String(replay.address, radix: 16))") }
        #expect(lines.count == 2)
        #expect(lines.first?.contains(" sw0 dp0->dp1 MWr ") == true, "\(lines)")
        #expect(lines.last?.contains(" nic1 link->pf0.") == true, "\(lines)")
    }

    @Test("offset/stride table colliding for NumVFs 5-8, though the configured 4 are fine")
    func offsetStride() throws {
        let v = try Self.violated("Models/broken/offset-stride-collision.toml")
        #expect(v.count == 1)
        let result = try #require(v.first)
        #expect(result.subject == "nic0.pf1")
        #expect(result.property == "VF RIDs distinct from other functions (NumVFs=8)")
        let vf = try #require(result.outcome.result.counterexample?["vf_i"])
        // Replay: PF1's VF with stride 1 lands on one of PF0's enabled VFs (0x80, 0x82, 0x84, 0x86 on bus 1).
        let pf1 = SRIOVLayout(pfRID: 0x0101, firstVFOffset: 0x80, vfStride: 1, numVFs: 8, ari: true)
        let pf0 = SRIOVLayout(pfRID: 0x0100, firstVFOffset: 0x80, vfStride: 2, numVFs: 4, ari: true)
        #expect(pf0.vfRIDs.contains(pf1.vfRID(Int(vf))))
    }

    @Test("a one-line change to the ACS redirect check through a test hook turns the peer-to-peer proof violated")
    func hook() throws {
        let report = try ProveReport.run(file: Repository.model("sriov-512vf.toml"), limits: SolverLimits(timeout: .seconds(60)))
        #expect(report.exitCode == 0)
        let mutated = try ProveReport.run(file: Repository.model("sriov-512vf.toml"), limits: SolverLimits(timeout: .seconds(60)),
                                          hooks: RoutingHooks(ignoreRequestRedirect: true))
        #expect(mutated.exitCode == 1)
        #expect(mutated.violated.map(\.subject) == ["sw0", "sw0"])
        #expect(mutated.violated.allSatisfy { $0.family == "peer-to-peer" })
    }

    @Test("the command line: table, JSON, SMT-LIB2 files and exit codes")
    func commandLine() throws {
        let good = try IOVSimBinary.run(["prove", Repository.model("i82599.toml")])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("0 violated, 0 unknown"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smt2-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = try IOVSimBinary.run(["prove", Repository.root.appendingPathComponent("Models/broken/acs-redirect-off.toml").path, "--json", "--smt2", dir])
        #expect(bad.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bad.stdout.utf8)) as? [String: Any])
        #expect(json["exitCode"] as? Int == 1)
        let properties = try #require(json["properties"] as? [[String: Any]])
        #expect(properties.filter { $0["result"] as? String == "violated" }.count == 2)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(files.count == properties.count)
        let one = try String(contentsOfFile: "\(dir)/\(files.sorted()[0])", encoding: .utf8)
        #expect(one.contains("(check-sat)") && one.contains("declare-fun"))
        // A solver limit is "unknown", never "proved": exit 2. Z3's resource limit, not a
        // wall-clock timeout, so the outcome does not depend on the machine's speed.
        let rushed = try IOVSimBinary.run(["prove", Repository.model("sriov-512vf.toml"), "--rlimit", "1"])
        #expect(rushed.status == ExitStatus.unknown.rawValue)
        #expect(rushed.stdout.contains("unknown: "))
        #expect(rushed.stdout.contains(" 0 proved, 0 violated"))
        let missing = try IOVSimBinary.run(["prove", "/nonexistent.toml"])
        #expect(missing.status == ExitStatus.noInput.rawValue)
        #expect(missing.stderr.contains("/nonexistent.toml: no such file"))
    }
}
