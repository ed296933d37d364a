import Foundation
import IOVSimKit
import PCIe
import Proofs
import RTL
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
            // DMA and interrupt isolation where the model has the host (its IOMMU and VMM); the
            // NIC's families where VMs have its VFs.
            let file = try ModelLoader.load(path: model)
            let host = file.host != nil, nic = file.device.nic != nil && (file.vm ?? []).contains { $0.functions.contains { $0.contains(".vf") } }
            #expect(Set(report.results.map(\.family)) == Set(["routing IDs", "BAR apertures", "peer-to-peer"] + (host ? ["DMA isolation", "interrupt isolation"] : [])
                + (nic ? ["L2 isolation", "anti-spoofing", "register windows"] : [])), "\(model)")
        }
    }

    @Test("--jobs 2 gives the same results in the same order as --jobs 1: verdicts, counterexamples, explanations, replays",
          arguments: ["Models/i82599.toml", "Models/broken/spoof-check-off.toml", "Models/broken/vmm-maps-foreign-page.toml", "Models/broken/vmm-irte-without-source-validation.toml"])
    func jobs(_ model: String) throws {
        let file = Repository.root.appendingPathComponent(model).path
        let one = try ProveReport.run(file: file, limits: SolverLimits(recordQueries: false), jobs: 1)
        let two = try ProveReport.run(file: file, limits: SolverLimits(recordQueries: false), jobs: 2)
        func rows(_ r: ProveReport) -> [String] {
            r.results.map { "\($0.family)|\($0.subject)|\($0.property)|\($0.outcome.result)|\($0.explanation ?? "")|\(r.replayCommand($0) ?? "")" }
        }
        #expect(rows(one) == rows(two))
        #expect(one.exitCode == two.exitCode)
        let bad = try IOVSimBinary.run(["prove", file, "--jobs", "0"])
        #expect(bad.status == ToolStatus.usage.rawValue && bad.stderr.contains("--jobs 0: value out of range: 1...256"), "\(bad.stderr)")
    }

    /// The one family each broken model breaks (its comment says why).
    static let brokenFamilies = [
        "acs-redirect-off.toml": "peer-to-peer", "bus-range-too-small.toml": "routing IDs", "offset-stride-collision.toml": "routing IDs",
        "vf-bar-below-page-size.toml": "BAR apertures", "vmm-maps-foreign-page.toml": "DMA isolation", "vmm-unmaps-without-invalidation.toml": "DMA isolation",
        "vmm-irte-without-source-validation.toml": "interrupt isolation", "two-vms-same-mac.toml": "L2 isolation", "spoof-check-off.toml": "anti-spoofing",
        "ats-stale-atc.toml": "DMA isolation",
    ]

    @Test("every model in Models/broken/ violates exactly its family, and every other property of it is proved; exit 1")
    func brokenModels() throws {
        for model in try Self.models("Models/broken") {
            let name = URL(fileURLWithPath: model).lastPathComponent
            let family = try #require(Self.brokenFamilies[name], "\(name): which family does it break?")
            let report = try ProveReport.run(file: model, limits: SolverLimits(timeout: .seconds(60), recordQueries: false))
            #expect(report.exitCode == 1, "\(name)")
            #expect(Set(report.violated.map(\.family)) == [family], "\(name): \(Set(report.violated.map(\.family)))")
            #expect(report.unknown.isEmpty, "\(name)")
            #expect(report.violated.allSatisfy { $0.explanation != nil }, "\(name): every violation explained")
        }
    }

    static func violated(_ path: String) throws -> [PropertyResult] {
        let report = try ProveReport.run(file: Repository.root.appendingPathComponent(path).path, limits: SolverLimits(timeout: .seconds(60)))
        #expect(report.exitCode == 1)
        return report.violated
    }

    /// The state bring-up leaves for a model: what the expectations below are derived from, so
    /// they follow the model file rather than numbers copied from it.
    static func state(_ path: String) throws -> PlatformState {
        let platform = try Platform(model: try ModelLoader.load(path: Repository.root.appendingPathComponent(path).path))
        platform.bringUp()
        return platform.state()
    }

    @Test("bus range too small: VFs outside [secondary, subordinate] and unreachable")
    func busRange() throws {
        let path = "Models/broken/bus-range-too-small.toml"
        let v = try Self.violated(path)
        #expect(v.map(\.property).sorted() == ["VF RIDs inside [secondary, subordinate]", "VFs reachable by config requests"])
        let range = try #require(v.first { $0.property.hasPrefix("VF RIDs inside") })
        let vf = try #require(range.outcome.result.counterexample?["vf_i"])
        // Replay on the concrete code, with the layout and the port bring-up configured.
        let state = try Self.state(path)
        let block = try #require(state.vfBlocks.first { $0.pfName == range.subject })
        let port = try #require(block.path.last.flatMap(state.port))
        #expect(vf < UInt64(block.layout.numVFs))
        let bus = BDF(block.layout.vfRID(Int(vf))).bus
        #expect(bus < port.secondaryBus || bus > port.subordinateBus)
        #expect(range.explanation == "VF \(vf) needs bus 0x\(String(bus, radix: 16)); port \(port.name) decodes buses [\(String(format: "%02x", port.secondaryBus)), \(String(format: "%02x", port.subordinateBus))]")
    }

    @Test("VF BAR smaller than the System Page Size: misaligned aperture")
    func pageSize() throws {
        let path = "Models/broken/vf-bar-below-page-size.toml"
        let v = try Self.violated(path)
        #expect(Set(v.map(\.property)) == ["VF BAR0 apertures aligned to System Page Size and own size", "VF BAR3 apertures aligned to System Page Size and own size"])
        let state = try Self.state(path)
        for result in v {
            let vf = try #require(result.outcome.result.counterexample?["vf_i"])
            let block = try #require(state.vfBlocks.first { $0.pfName == result.subject })
            let bar = try #require(block.vfBARs.first { result.property.hasPrefix("VF BAR\($0.index) ") })
            #expect(vf < UInt64(block.layout.numVFs))
            // The witness replayed on the concrete aperture function the simulator decodes with.
            let at = VFAperture.base(vfBARBase: Bits<Concrete, 64>(bar.base), perVFSize: Bits(bar.size), vfIndex: Bits(vf)).value
            #expect(at % block.systemPageSize != 0, "VF \(vf) at 0x\(String(at, radix: 16))")
            #expect(at % bar.size == 0, "the model's apertures meet their own size; only the page size is broken")
            #expect(result.explanation == "VF \(vf)'s VF BAR\(bar.index) aperture at 0x\(String(at, radix: 16)) is not aligned to the System Page Size 0x\(String(block.systemPageSize, radix: 16))")
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
        #expect(lines.last?.contains(" nic1 link->pf0") == true, "\(lines)")
    }

    @Test("offset/stride table colliding for NumVFs 5-8, though the configured 4 are fine")
    func offsetStride() throws {
        let path = "Models/broken/offset-stride-collision.toml"
        let v = try Self.violated(path)
        #expect(v.count == 1)
        let result = try #require(v.first)
        #expect(result.subject == "nic0.pf1")
        let state = try Self.state(path)
        let block = try #require(state.vfBlocks.first { $0.pfName == result.subject })
        // The property names the NumVFs whose (offset, stride) collide, as the device reports it.
        let numVFs = try #require(UInt16(result.property.split(separator: "=").last?.dropLast() ?? ""))
        #expect(result.property == "VF RIDs distinct from other functions (NumVFs=\(numVFs))")
        let routing = try #require(block.routingByNumVFs[numVFs])
        let vf = try #require(result.outcome.result.counterexample?["vf_i"])
        // Replay: that VF of PF1 takes the RID of a function bring-up enabled, and the
        // explanation names it.
        let collidingLayout = SRIOVLayout(pfRID: block.layout.pfRID, firstVFOffset: routing.firstVFOffset, vfStride: routing.vfStride,
                                          numVFs: numVFs, ari: block.layout.ari)
        let rid = collidingLayout.vfRID(Int(vf))
        let holder = try #require(state.functions.first { $0.rid == rid && !$0.name.hasPrefix("nic0.pf1.vf") })
        #expect(result.explanation == "VF \(vf) of nic0.pf1 takes RID \(BDF(rid)) of \(holder.name)")
    }

    @Test("a one-line change to the ACS redirect check through a test hook turns the peer-to-peer proof violated")
    func hook() throws {
        let report = try ProveReport.run(file: Repository.model("sriov-512vf.toml"), limits: SolverLimits(timeout: .seconds(60)))
        #expect(report.exitCode == 0)
        let mutated = try ProveReport.run(file: Repository.model("sriov-512vf.toml"), limits: SolverLimits(timeout: .seconds(60)),
                                          hooks: ProofHooks(routing: RoutingHooks(ignoreRequestRedirect: true)))
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
        #expect(rushed.status == ToolStatus.unknown.rawValue)
        #expect(rushed.stdout.contains("unknown: "))
        #expect(rushed.stdout.contains(" 0 proved, 0 violated"))
        let missing = try IOVSimBinary.run(["prove", "/nonexistent.toml"])
        #expect(missing.status == ToolStatus.noInput.rawValue)
        #expect(missing.stderr.contains("/nonexistent.toml: no such file"))
    }
}
