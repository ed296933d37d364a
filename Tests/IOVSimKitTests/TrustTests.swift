import Foundation
import IOVSimKit
import PCIe
import Proofs
import SMT
import Testing

/// A shipped model's text with replacements, written to a temporary file.
struct ModelVariant {
    let path: String

    /// The shipped `model` with `replacements` made; `withoutTraffic` drops its `[[traffic]]`
    /// tables (the last in the shipped files), so only the test's own frames move.
    init(_ model: String, _ replacements: [(String, String)] = [], occurrence: Int = 0, withoutTraffic: Bool = false) throws {
        var text = try String(contentsOfFile: Repository.model(model), encoding: .utf8)
        if withoutTraffic, let cut = text.range(of: "\n[[traffic]]") { text = String(text[..<cut.lowerBound]) + "\n" }
        for (old, new) in replacements {
            let ranges = text.ranges(of: old)
            try #require(ranges.count > occurrence, "'\(old)' not in \(model)")
            text.replaceSubrange(ranges[occurrence], with: new)
        }
        path = temporaryPath("variant.toml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    init(text: String) throws {
        path = temporaryPath("variant.toml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A fresh path for a test's file, in a directory of this test process's own that is removed
/// when the process exits (a test that fails before cleaning up leaves nothing behind either).
func temporaryPath(_ name: String) -> String {
    (scratchDirectory as NSString).appendingPathComponent("\(UUID().uuidString)-\(name)")
}

let scratchDirectory: String = {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("iovsim-tests-\(getpid())").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: scratchDirectory) }
    return path
}()

/// A bring-up that did not give what the model asks for, or nothing to check, is no verdict:
/// status 3, never 0. Exit status 1 means "violated" and nothing else.
@Suite("Vacuity and exit statuses", .serialized)
struct VacuityTests {
    static func vacuousReasons(_ path: String) throws -> [String] {
        do {
            let report = try ProveReport.run(file: path, limits: SolverLimits(timeout: .seconds(60)))
            Issue.record("expected no verdict, got exit \(report.exitCode):\n\(report.table())")
            return []
        } catch let error as VacuousError {
            return error.reasons
        }
    }

    @Test("a device that does not enumerate (Vendor ID 0xffff reads as absent): no verdict, status 3")
    func notEnumerated() throws {
        let model = try ModelVariant("i82599.toml", [("vendor_id = 0x8086", "vendor_id = 0xffff")])
        defer { model.remove() }
        let reasons = try Self.vacuousReasons(model.path)
        #expect(reasons.contains { $0.hasPrefix("nic0.pf0 did not enumerate") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("vm1 is assigned nic0.pf0.vf0, which does not exist") }, "\(reasons)")
        let cli = try IOVSimBinary.run(["prove", model.path])
        #expect(cli.status == ToolStatus.vacuous.rawValue)
        #expect(cli.stderr.contains("no verdict: nic0.pf0 did not enumerate"), "\(cli.stderr)")
        #expect(cli.stdout.isEmpty)
    }

    @Test("a PF that refuses VF Enable (NumVFs above its TotalVFs): no verdict, status 3, JSON error object")
    func refused() throws {
        // The 82576's second port with 4 VFs; the platform asks each PF for 7.
        let model = try ModelVariant("i82576.toml", [("initial_vfs = 8\ntotal_vfs = 8", "initial_vfs = 4\ntotal_vfs = 4")], occurrence: 1)
        defer { model.remove() }
        let reasons = try Self.vacuousReasons(model.path)
        #expect(reasons.contains("nic0.pf1 refused VF Enable with NumVFs 7 (TotalVFs 4)"), "\(reasons)")
        #expect(reasons.contains("vm1 is assigned nic0.pf1.vf0, which does not exist after bring-up"), "\(reasons)")
        let usage = try IOVSimBinary.run(["prove", model.path, "--json", "--timeout", "inf"])
        #expect(usage.status == ToolStatus.usage.rawValue)
        #expect((try JSONSerialization.jsonObject(with: Data(usage.stdout.utf8)) as? [String: Any])?["status"] as? String == "usage")
        let cli = try IOVSimBinary.run(["prove", model.path, "--json"])
        #expect(cli.status == ToolStatus.vacuous.rawValue)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])
        #expect(json["exitCode"] as? Int == 3)
        #expect(json["status"] as? String == "vacuous")
        #expect((json["error"] as? String)?.contains("refused VF Enable") == true)
        // topology shows the same shortfall instead of hiding it.
        let topology = try IOVSimBinary.run(["topology", model.path])
        #expect(topology.status == 0)
        #expect(topology.stdout.contains("bring-up shortfall: nic0.pf1 refused VF Enable"))
    }

    @Test("a model with nothing to prove (no SR-IOV, no VMs): no verdict, status 3")
    func nothingToProve() throws {
        let model = try ModelVariant(text: Repository.plainModel)
        defer { model.remove() }
        let reasons = try Self.vacuousReasons(model.path)
        #expect(reasons.count == 1 && reasons[0].hasPrefix("nothing to check"), "\(reasons)")
        #expect(try IOVSimBinary.run(["prove", model.path]).status == ToolStatus.vacuous.rawValue)
    }

    @Test("an output that cannot be written is status 73, never 1, and a failed run leaves no files")
    func outputErrors() throws {
        let broken = Repository.root.appendingPathComponent("Models/broken/acs-redirect-off.toml").path
        // Violated properties and an unwritable --smt2 directory: the output error wins.
        let smt2 = try IOVSimBinary.run(["prove", broken, "--smt2", "/proc/iovsim-no-such/dir"])
        #expect(smt2.status == ToolStatus.cannotWrite.rawValue, "\(smt2.stderr)")
        #expect(smt2.stderr.contains("/proc/iovsim-no-such/dir: cannot write: No such file or directory (/proc/iovsim-no-such)"), "\(smt2.stderr)")

        let model = Repository.model("i82599.toml")
        // The path and the operating system's reason, for each kind of output.
        for option in ["--vcd", "--tlp-log", "--frame-log"] {
            let missingDir = try IOVSimBinary.run(["run", model, "--cycles", "100", option, "/nonexistent-dir/x.out", "--quiet"])
            #expect(missingDir.status == ToolStatus.cannotWrite.rawValue)
            #expect(missingDir.stderr.contains("/nonexistent-dir/x.out: cannot write: No such file or directory"), "\(option): \(missingDir.stderr)")
        }
        let pcaps = try IOVSimBinary.run(["run", model, "--cycles", "10000", "--pcap-out", "/proc/iovsim", "--quiet"])
        #expect(pcaps.status == ToolStatus.cannotWrite.rawValue && pcaps.stderr.contains("/proc/iovsim: cannot write: No such file or directory"), "\(pcaps.stderr)")

        // The VCD opens fine, the TLP log is a directory: nothing is left behind.
        let vcd = temporaryPath("partial.vcd")
        let directory = FileManager.default.temporaryDirectory.path
        let partial = try IOVSimBinary.run(["run", model, "--cycles", "100", "--vcd", vcd, "--tlp-log", directory, "--quiet"])
        #expect(partial.status == ToolStatus.cannotWrite.rawValue)
        #expect(partial.stderr.contains("is a directory"))
        #expect(!FileManager.default.fileExists(atPath: vcd), "the VCD of a failed run was left behind")
    }
}

/// Bad command lines and bad model files get a message and their documented status, never a
/// crash (a crash is status 132 or 134).
@Suite("No crash on bad input", .serialized)
struct BadInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let arguments: [String]
        let status: ToolStatus
        let message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let m = Repository.model("i82599.toml")
    static let cases: [Case] = [
        Case(arguments: ["lspci", m, "--bus=-1"], status: .usage, message: "--bus '-1' is not a number in 0...255"),
        Case(arguments: ["lspci", m, "--vf-enable", "5", "--bus", "0x100"], status: .usage, message: "--bus '0x100'"),
        Case(arguments: ["lspci", m, "--vf-enable", "100"], status: .usage, message: "NumVFs 100 exceeds TotalVFs 64"),
        Case(arguments: ["layout", "--offset=-1", "--stride", "1", "--vfs", "4"], status: .usage, message: "--offset '-1' is not a number"),
        Case(arguments: ["layout", "--offset", "1", "--stride", "1", "--vfs", "4", "--secondary=-3"], status: .usage, message: "--secondary '-3'"),
        Case(arguments: ["layout", "--offset", "1", "--stride", "1", "--vfs", "4", "--secondary", "5", "--subordinate", "3"],
             status: .usage, message: "--secondary 5 is above --subordinate 3"),
        Case(arguments: ["layout", "--pf", "05:00.0", "--offset", "1", "--stride", "1", "--vfs", "4", "--subordinate", "3"],
             status: .usage, message: "secondary bus 5"),
        Case(arguments: ["prove", m, "--timeout", "1e300"], status: .usage, message: "--timeout"),
        Case(arguments: ["prove", m, "--timeout", "inf"], status: .usage, message: "--timeout inf"),
        Case(arguments: ["prove", m, "--timeout", "nan"], status: .usage, message: "--timeout"),
        Case(arguments: ["prove", m, "--timeout=-1"], status: .usage, message: "--timeout"),
        Case(arguments: ["prove", "/nonexistent.toml"], status: .noInput, message: "/nonexistent.toml: no such file"),
        Case(arguments: ["prove", Repository.root.appendingPathComponent("Models").path], status: .noInput, message: "is a directory"),
        Case(arguments: ["topology", Repository.root.appendingPathComponent("Package.swift").path], status: .modelError, message: "Package.swift"),
        Case(arguments: ["run", m, "--cycles=-5"], status: .usage, message: "cycles"),
        Case(arguments: ["run", m, "--write", "nic9.pf0@0x10"], status: .usage, message: "'nic9.pf0' is not a function of"),
        Case(arguments: ["run", m, "--write", "nic9.pf0@0x10@500"], status: .usage, message: "--write nic9.pf0@0x10@500: 'nic9.pf0' is not a function of"),
        Case(arguments: ["run", m, "--write", "nic0.pf0@0x10@soon"], status: .usage, message: "is not FUNCTION@ADDRESS[@CLOCK]"),
        Case(arguments: ["run", m, "--write", "nic0.pf0.vf0"], status: .usage, message: "is not FUNCTION@ADDRESS"),
        Case(arguments: ["run", m, "--write", "nic0.pf0.vf0@0xfee00010=0x100000000"], status: .usage, message: "is not FUNCTION@ADDRESS[@CLOCK][=DATA]"),
        Case(arguments: ["run", m, "--signals", "no.such.signal*", "--vcd", "/tmp/never.vcd"], status: .usage, message: "matches no signal; the closest: "),
        // A glob that matches nothing names the nearest signals: a misspelt VF driver signal.
        Case(arguments: ["run", Repository.model("i82576.toml"), "--signals", "top.nic0.pf0.vf0.driverr*", "--vcd", "/tmp/never.vcd"], status: .usage,
             message: "--signals 'top.nic0.pf0.vf0.driverr*' matches no signal; the closest: top.nic0.pf0.vf0."),
    ]

    @Test("each gets its message and status", arguments: cases)
    func commandLine(_ c: Case) throws {
        let r = try IOVSimBinary.run(c.arguments)
        #expect(r.status == c.status.rawValue, "\(r.stderr)")
        #expect(r.stderr.contains(c.message), "\(r.stderr)")
    }

    @Test("a binary file as the model is refused as not text")
    func binaryModel() throws {
        let binary = try #require(IOVSimBinary.url).path
        let r = try IOVSimBinary.run(["prove", binary])
        #expect(r.status == ToolStatus.noInput.rawValue)
        #expect(r.stderr.contains("not a text file"))
    }

    struct ModelCase: CustomTestStringConvertible, Sendable {
        let model: String
        let old: String
        let new: String
        let key: String
        let message: String
        var testDescription: String { "\(new) -> \(key)" }
    }

    static let modelCases: [ModelCase] = [
        ModelCase(model: "sriov-512vf.toml", old: "ats = { offset = 0x170, invalidate_queue_depth = 0", new: "ats = { offset = 0x170, invalidate_queue_depth = 64",
                  key: "device.pf[0].ats.invalidate_queue_depth", message: "5-bit field"),
        ModelCase(model: "sriov-512vf.toml", old: "capabilities = 0x6c", new: "capabilities = 0xec",
                  key: "device.pf[0].acs.capabilities", message: "sets bits above 6"),
        ModelCase(model: "sriov-512vf.toml", old: "acs = 0x1f", new: "acs = 0x1ff", key: "platform.root_port[0].acs", message: "bits above 6"),
        ModelCase(model: "i82599.toml", old: "table_bar = 4", new: "table_bar = 2", key: "device.pf[0].msix.table_bar", message: "is an I/O BAR"),
        ModelCase(model: "i82599.toml", old: "table_bar = 4", new: "table_bar = 1", key: "device.pf[0].msix.table_bar", message: "BAR 1 is not implemented"),
        ModelCase(model: "i82599.toml", old: "table_bar = 3", new: "table_bar = 1", key: "device.pf[0].sriov.vf.msix.table_bar", message: "BAR 1 is not implemented"),
        ModelCase(model: "i82599.toml", old: "pba_offset = 0x2000", new: "pba_offset = 0x100", key: "device.pf[0].msix.pba_offset", message: "overlaps the table"),
        ModelCase(model: "i82599.toml", old: "table_offset = 0x0", new: "table_offset = 0x3ff0", key: "device.pf[0].msix.table_offset", message: "runs past the end of BAR 4"),
        ModelCase(model: "sriov-512vf.toml", old: "{ index = 0, type = \"mem64\", prefetchable = true, size = 0x20000 }",
                  new: "{ index = 0, type = \"io\", size = 0x20 }", key: "device.pf[0].sriov.vf_bar[0].type", message: "cannot be an I/O BAR"),
        ModelCase(model: "sriov-512vf.toml", old: "size = 0x20000 }", new: "size = 0x0100000000000000 }",
                  key: "device.pf[0].sriov.vf_bar[0].size", message: "x TotalVFs 512 does not fit in 64-bit memory space"),
        ModelCase(model: "i82599.toml", old: "initial_vfs", new: "inital_vfs", key: "device.pf[0].sriov.inital_vfs", message: "unknown key; did you mean initial_vfs?"),
        ModelCase(model: "i82599.toml", old: "vendor_id", new: "vendorId", key: "device.pf[0].vendorId", message: "did you mean vendor_id?"),
        ModelCase(model: "i82599.toml", old: "type = \"mem64\"", new: "type = \"mem128\"", key: "device.pf[0].bar[0].type",
                  message: "'mem128' is not one of \"mem32\", \"mem64\", \"io\""),
        ModelCase(model: "i82599.toml", old: "name = \"vm2\"", new: "name = \"vm1\"", key: "vm[1].name", message: "'vm1' is already used at vm[0].name"),
        ModelCase(model: "i82576.toml", old: "interrupt_pin = 2", new: "interrupt_pin = 9", key: "device.pf[1].interrupt_pin", message: "INTA...INTD"),
    ]

    @Test("model values that do not fit are errors at their key", arguments: modelCases)
    func modelErrors(_ c: ModelCase) throws {
        let model = try ModelVariant(c.model, [(c.old, c.new)])
        defer { model.remove() }
        do {
            _ = try ModelLoader.load(path: model.path)
            Issue.record("\(c.new) was accepted")
        } catch let error as ModelError {
            #expect(error.keyPath == c.key, "\(error)")
            #expect(error.message.contains(c.message), "\(error)")
            #expect(error.status == .modelError)
        }
    }
}

/// What `prove` writes for other tools: SMT-LIB2 any solver runs, JSON with replays.
@Suite("Prover outputs for other tools", .serialized)
struct ProverOutputTests {
    @Test("every --smt2 file runs in the z3 binary (exit 0) and answers unsat where proved, sat where violated")
    func smt2() throws {
        let z3 = try #require(["/usr/bin/z3", "/usr/local/bin/z3"].first { FileManager.default.isExecutableFile(atPath: $0) }, "z3 (Debian package z3) is not installed")
        for model in [Repository.model("i82599.toml"), Repository.root.appendingPathComponent("Models/broken/acs-redirect-off.toml").path] {
            let dir = temporaryPath("smt2")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            _ = try IOVSimBinary.run(["prove", model, "--smt2", dir])
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            #expect(files.count >= 14)
            var verdicts: Set<String> = []
            for file in files {
                let text = try String(contentsOfFile: "\(dir)/\(file)", encoding: .utf8)
                let verdict = text.hasPrefix("; ") ? String(text.prefix { $0 != "\n" }.split(separator: " ").last ?? "") : ""
                let r = try runProgram(z3, ["\(dir)/\(file)"])
                #expect(r.status == 0, "\(file): \(r.stdout)\(r.stderr)")
                let answer = r.stdout.split(separator: "\n").first.map(String.init)
                #expect(answer == (verdict == "proved" ? "unsat" : "sat"), "\(file) (\(verdict)): \(answer ?? "")")
                verdicts.insert(verdict)
            }
            #expect(verdicts.contains("proved"))
        }
    }

    @Test("--json carries each violation's replay command and what each family covered")
    func json() throws {
        let path = Repository.root.appendingPathComponent("Models/broken/acs-redirect-off.toml").path
        let r = try IOVSimBinary.run(["prove", path, "--json"])
        #expect(r.status == ToolStatus.violated.rawValue)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let properties = try #require(json["properties"] as? [[String: Any]])
        let violated = properties.filter { $0["result"] as? String == "violated" }
        #expect(violated.count == 2)
        for v in violated {
            #expect((v["replay"] as? String)?.hasPrefix("iovsim run \(path) --write nic") == true, "\(v)")
        }
        let coverage = try #require(json["coverage"] as? [String: [String]])
        #expect(coverage["routing IDs"] == ["4 VFs of nic0.pf0 (and NumVFs 1...512)", "4 VFs of nic1.pf0 (and NumVFs 1...512)"], "\(coverage)")
        #expect(coverage["peer-to-peer"]?.contains("vm1 at sw0.dp0") == true, "\(coverage)")
        // The table says the same.
        let table = try IOVSimBinary.run(["prove", path])
        #expect(table.stdout.contains("covered: routing IDs: 4 VFs of nic0.pf0 (and NumVFs 1...512), 4 VFs of nic1.pf0 (and NumVFs 1...512)\n"))
        #expect(table.stdout.contains("covered: peer-to-peer: vm1+vm2 at rc.rp0, vm1 at sw0.dp0, vm2 at sw0.dp1\n"))
    }
}

/// Logs, waveforms and listings show everything they promise.
@Suite("Outputs tell the whole truth", .serialized)
struct WholeTruthTests {
    @Test("the TLP log has the root complex's hop of every DMA read completion, and its arrival at the VF")
    func dmaCompletions() throws {
        let log = temporaryPath("dma.log")
        defer { try? FileManager.default.removeItem(atPath: log) }
        let r = try IOVSimBinary.run(["run", Repository.model("i82599.toml"), "--cycles", "60000", "--tlp-log", log, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        let reads = lines.filter { $0.contains(" rc rp0->memory MRd ") }
        let completions = lines.filter { $0.contains(" rc memory->rp0 CplD ") }
        #expect(reads.count > 100)
        // Reads of more than 128 bytes come back in 128-byte completions: the dwords match.
        func dwords(_ lines: [String]) -> Int { lines.compactMap { $0.firstMatch(of: /\slen=(\d+)\s/).map { Int($0.1)! } }.reduce(0, +) }
        #expect(completions.count >= reads.count && dwords(completions) == dwords(reads), "root-complex completion hops carry every dword each DMA read asked for")
        // Each completion reaches its VF: the same requester and tag arrive at nic0.
        for line in completions.prefix(50) {
            let fields = line.split(separator: " ")
            let req = try #require(fields.first { $0.hasPrefix("req=") }), tag = try #require(fields.first { $0.hasPrefix("tag=") })
            #expect(lines.contains { $0.contains(" nic0 link->pf0.vf") && $0.contains(" CplD \(req) ") && $0.contains(" \(tag) ") }, "\(line)")
        }
    }

    @Test("the 82599 VCD traces every function a VM owns (vm2's vf62), with fields named as the spec names them")
    func vcdSignals() throws {
        let vcd = temporaryPath("signals.vcd")
        defer { try? FileManager.default.removeItem(atPath: vcd) }
        let r = try IOVSimBinary.run(["run", Repository.model("i82599.toml"), "--cycles", "3000", "--vcd", vcd, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let file = VCDFile(try String(contentsOfFile: vcd, encoding: .utf8))
        let names = Set(file.paths.values.flatMap { $0 })
        #expect(names.contains("top.nic0.pf0.vf62.rid"))
        #expect(names.contains("top.nic0.pf0.vf62.writes_received"))
        #expect(!names.contains("top.nic0.pf0.vf40.rid"), "host-owned VFs past the first 8 stay out")
        #expect(names.contains("top.nic0.pf0.cfg.sriov_control_.ari_capable_hierarchy"))
        #expect(names.contains("top.nic0.pf0.cfg.sriov_control_.vf_mse"))

        let big = temporaryPath("acs.vcd")
        defer { try? FileManager.default.removeItem(atPath: big) }
        #expect(try IOVSimBinary.run(["run", Repository.model("sriov-512vf.toml"), "--cycles", "100", "--vcd", big, "--signals", "top.sw0.dp0.cfg.acs_control*", "--quiet"]).status == 0)
        let acs = Set(VCDFile(try String(contentsOfFile: big, encoding: .utf8)).paths.values.flatMap { $0 })
        #expect(acs.contains("top.sw0.dp0.cfg.acs_control_.direct_translated_p2p_enable"), "\(acs.sorted())")
        #expect(acs.contains("top.sw0.dp0.cfg.acs_control_.p2p_request_redirect_enable"))
    }

    @Test("topology lists every function a VM owns, --all lists all, unreachable functions are marked")
    func topology() throws {
        let model = Repository.model("sriov-512vf.toml")
        let folded = try IOVSimBinary.run(["topology", model])
        #expect(folded.status == 0)
        let file = try ModelLoader.load(path: model)
        for vm in file.vm ?? [] {
            for function in vm.functions {
                #expect(folded.stdout.contains(" \(function) [\(vm.name)]"), "\(function) of \(vm.name) folded away")
            }
        }
        #expect(folded.stdout.contains("more (host-owned VFs; --all lists them)"))
        #expect(!folded.stdout.contains(" nic0.pf0.vf100 "))
        let all = try IOVSimBinary.run(["topology", model, "--all"])
        #expect(all.stdout.contains(" nic0.pf0.vf100 [host]"))
        #expect(!all.stdout.contains("more (host-owned"))
        #expect(all.stdout.split(separator: "\n").filter { $0.contains(".vf") }.count == 512 + 16)

        let broken = try IOVSimBinary.run(["topology", Repository.root.appendingPathComponent("Models/broken/bus-range-too-small.toml").path])
        #expect(broken.stdout.contains("02:10.0 nic0.pf0.vf0 [host]"))
        #expect(broken.stdout.contains("UNREACHABLE (bus 02 outside [01-01])"), "\(broken.stdout)")
    }

    @Test("lspci marks routing IDs that wrapped past bus ff and two functions at one bus:dev.fn")
    func lspciImpossible() throws {
        // Without ARI the 512-VF NIC puts VF 0 at RID(PF) + 0x100: from bus ff that wraps to 00.
        let r = try IOVSimBinary.run(["lspci", Repository.model("sriov-512vf.toml"), "--bus", "0xff", "--vf-enable", "2", "--ari", "off"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("!! IMPOSSIBLE: VF 0 of PF 0 belongs on bus 0x100, past ff: its routing ID wrapped"), "\(r.stdout)")
        let clean = try IOVSimBinary.run(["lspci", Repository.model("sriov-512vf.toml"), "--vf-enable", "2"])
        #expect(!clean.stdout.contains("IMPOSSIBLE"))
    }

    @Test("layout shows bus numbers past ff as such, never wrapped")
    func layoutPastBusFF() throws {
        let r = try IOVSimBinary.run(["layout", "--pf", "ff:00.0", "--offset", "0x80", "--stride", "2", "--vfs", "200"])
        #expect(r.status == ToolStatus.violated.rawValue)
        #expect(r.stdout.contains("last bus needed 0x101 (past bus ff: impossible)"))
        #expect(r.stdout.contains("VF63 ff:1f.6 (fn 254)"))
        #expect(r.stdout.contains("VF64 bus 0x100!"), "RID 0xff00 + 0x80 + 64 * 2 = 0x10000 needs bus 0x100")
        #expect(!r.stdout.contains("VF64 00:00.0"))
    }

    @Test("both ends of every link report the same trained speed and width: the lower of the two")
    func linkStatus() throws {
        for name in ["i82599.toml", "i82576.toml", "sriov-512vf.toml"] {
            let model = try ModelLoader.load(path: Repository.model(name))
            let platform = try Platform(model: model)
            platform.bringUp()
            for (device, endpoint) in platform.endpoints {
                let path = try #require(platform.paths[device]?.last)
                let node = try #require(platform.elements.first { $0.path == path.element })
                let port = node.ports[path.port].config, pf = endpoint.device.pfs[0].config
                for (field, capability) in [("currentLinkSpeed", "maxLinkSpeed"), ("negotiatedLinkWidth", "maximumLinkWidth")] {
                    let expected = min(port.value(of: capability, in: "Link Capabilities")!, pf.value(of: capability, in: "Link Capabilities")!)
                    #expect(port.value(of: field, in: "Link Status") == expected, "\(name) \(device): port \(field)")
                    #expect(pf.value(of: field, in: "Link Status") == expected, "\(name) \(device): PF \(field)")
                }
            }
        }
    }

    @Test("two iovsim run processes with the same model and seed write the same VCD and TLP log")
    func determinismAcrossProcesses() throws {
        var outputs: [(vcd: String, log: String)] = []
        for _ in 0..<2 {
            let vcd = temporaryPath("det.vcd"), log = temporaryPath("det.log")
            defer {
                try? FileManager.default.removeItem(atPath: vcd)
                try? FileManager.default.removeItem(atPath: log)
            }
            let r = try IOVSimBinary.run(["run", Repository.model("sriov-512vf.toml"), "--cycles", "20000", "--seed", "7", "--vcd", vcd, "--tlp-log", log, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            // $date is the one line allowed to differ.
            let text = try String(contentsOfFile: vcd, encoding: .utf8)
            let dated = try #require(text.range(of: "$date\n"))
            let end = try #require(text.range(of: "$end", range: dated.upperBound..<text.endIndex))
            outputs.append((String(text[..<dated.upperBound] + text[end.lowerBound...]), try String(contentsOfFile: log, encoding: .utf8)))
        }
        #expect(outputs[0].vcd.count > 100_000)
        #expect(outputs[0].vcd == outputs[1].vcd)
        #expect(outputs[0].log == outputs[1].log)
    }
}
