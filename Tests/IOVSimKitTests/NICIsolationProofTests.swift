import Foundation
import IOVSimKit
import NIC
import Proofs
import SMT
import Testing
import Trace

/// The NIC's isolation families of `iovsim prove`: L2 isolation through the sorter, anti-spoofing
/// through the transmit switch, register windows through the VF BAR decode.
@Suite("NIC isolation proofs", .serialized)
struct NICIsolationProofTests {
    static let families = ["L2 isolation", "anti-spoofing", "register windows"]
    static func broken(_ name: String) -> String { Repository.root.appendingPathComponent("Models/broken/\(name)").path }
    static func family(_ report: ProveReport, _ name: String) -> [PropertyResult] { report.results.filter { $0.family == name } }

    @Test("every VM's L2 isolation, every VF's anti-spoofing and register window is proved on both shipped models", arguments: ["i82576.toml", "i82599.toml"])
    func shipped(_ model: String) throws {
        let report = try ProveReport.run(file: Repository.model(model), limits: SolverLimits(recordQueries: false))
        let file = try ModelLoader.load(path: Repository.model(model))
        let vfs = (file.vm ?? []).flatMap(\.functions).filter { $0.contains(".vf") }.sorted()
        let ports = Set(vfs.map { $0.split(separator: ".").prefix(2).joined(separator: ".") }).count
        #expect(Self.family(report, "L2 isolation").count == 2 * 2 * ports, "two properties per VM per port")
        #expect(Self.family(report, "anti-spoofing").map(\.subject).sorted() == (vfs + vfs).sorted(), "MAC and VLAN per VF")
        #expect(Self.family(report, "register windows").map(\.subject).sorted() == vfs)
        for r in report.results where Self.families.contains(r.family) { #expect(r.outcome.result == .proved, "\(r.subject) \(r.property): \(r.explanation ?? "")") }
    }

    @Test("two VMs' VFs with one MAC: unicast L2 isolation violated for both VMs with that frame, nothing else; the replay's frame is in the victim's pool pcap")
    func sameMAC() throws {
        let report = try ProveReport.run(file: Self.broken("two-vms-same-mac.toml"), limits: SolverLimits(recordQueries: false))
        #expect(report.exitCode == 1)
        #expect(report.violated.map(\.subject).sorted() == ["vm1 at nic0.port0", "vm2 at nic0.port0"])
        #expect(report.violated.allSatisfy { $0.family == "L2 isolation" && $0.property.hasPrefix("unicast to ") })
        let vm1 = try #require(report.violated.first { $0.subject.hasPrefix("vm1") })
        #expect(vm1.explanation == "a frame to 02:00:00:00:00:00 (nic0.pf0.vf0's address, vm1) reaches pool 2 (nic0.pf0.vf2, vm2)")
        let frame = try #require(vm1.frame)
        #expect(frame.from == "nic0.port0" && frame.destination == 0x02_00_00_00_00_00)

        let directory = temporaryPath("replay")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let replay = try #require(report.replayCommand(vm1)).replacingOccurrences(of: "--pcap-out replay", with: "--pcap-out \(directory)")
        let run = try IOVSimBinary.run(Array(replay.split(separator: " ").dropFirst().map(String.init)) + ["--cycles", "10000", "--quiet"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let victim = try Pcap.read(path: "\(directory)/nic0.port0.pool2.pcap")
        #expect(victim.contains { $0.bytes == frame.frame.bytes }, "vm2's pool received the frame for vm1's address")
        let owner = try Pcap.read(path: "\(directory)/nic0.port0.pool0.pcap")
        #expect(owner.contains { $0.bytes == frame.frame.bytes })
    }

    @Test("spoof checking off: every VF of a VM violates MAC and VLAN anti-spoofing, the MAC witness another VM's address; the replay sends it and the wire carries it")
    func spoofCheckOff() throws {
        let report = try ProveReport.run(file: Self.broken("spoof-check-off.toml"), limits: SolverLimits(recordQueries: false))
        #expect(report.exitCode == 1)
        let violated = report.violated
        #expect(violated.allSatisfy { $0.family == "anti-spoofing" })
        #expect(violated.map(\.subject).sorted() == ["nic0.pf0.vf0", "nic0.pf0.vf0", "nic0.pf0.vf1", "nic0.pf0.vf1", "nic0.pf0.vf2", "nic0.pf0.vf2", "nic0.pf0.vf62", "nic0.pf0.vf62"])
        let mac = try #require(violated.first { $0.subject == "nic0.pf0.vf0" && $0.property.hasSuffix("source MAC") })
        let explanation = try #require(mac.explanation)
        #expect(explanation.hasPrefix("nic0.pf0.vf0 (vm1) sends a frame from 02:00:00:00:00:") && explanation.contains("'s address, vm2)")
                && explanation.hasSuffix("(MAC anti-spoofing off for pool 0)"), "\(explanation)")
        let frame = try #require(mac.frame)
        #expect(frame.from == "nic0.pf0.vf0" && frame.length == 64 && frame.vlan == nil)

        let directory = temporaryPath("replay")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let replay = try #require(report.replayCommand(mac)).replacingOccurrences(of: "--pcap-out replay", with: "--pcap-out \(directory)")
        let run = try IOVSimBinary.run(Array(replay.split(separator: " ").dropFirst().map(String.init)) + ["--cycles", "10000", "--quiet"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let sent = frame.frame.bytes
        let seen = (try Pcap.read(path: "\(directory)/nic0.port0.wire-out.pcap")) + (try Pcap.read(path: "\(directory)/nic0.port0.pool2.pcap"))
        #expect(seen.contains { $0.bytes == sent }, "the spoofed frame left vm1's VF")
        // With spoof checking on (the shipped model) the same frame is dropped at the pool.
        let shipped = try IOVSimBinary.run(["run", Repository.model("i82599.toml"), "--frame", frame.description, "--pcap-out", directory + "-on", "--cycles", "10000", "--quiet"])
        defer { try? FileManager.default.removeItem(atPath: directory + "-on") }
        #expect(shipped.status == 0)
        let wire = (try? Pcap.read(path: "\(directory)-on/nic0.port0.wire-out.pcap")) ?? []
        #expect(!wire.contains { $0.bytes == sent }, "anti-spoofing drops it")
    }

    @Test("test hooks in the sorter, the anti-spoof check and the VF window each turn their family violated on a shipped model, and only it",
          arguments: [("sorter", "L2 isolation"), ("transmit", "anti-spoofing"), ("window", "register windows")])
    func hooks(_ c: (String, String)) throws {
        var hooks = ProofHooks()
        switch c.0 {
        case "sorter": hooks.sorter = SorterHooks(exactMatchSelectsEveryPool: true)
        case "transmit": hooks.transmit = TransmitHooks(sourceCheckIgnoresPool: true)
        default: hooks.window = WindowHooks(mailboxOfNextVF: true)
        }
        let report = try ProveReport.run(file: Repository.model("i82599.toml"), limits: SolverLimits(recordQueries: false), hooks: hooks)
        #expect(!report.violated.isEmpty && report.violated.allSatisfy { $0.family == c.1 }, "\(report.violated.map { "\($0.family) \($0.subject)" })")
        let first = try #require(report.violated.first)
        let explanation = first.explanation ?? ""
        switch c.0 {
        case "sorter":
            #expect(explanation.hasPrefix("a frame to 02:00:00:00:00:0") && explanation.contains("reaches pool"), "\(explanation)")
        case "transmit":
            #expect(report.violated.allSatisfy { $0.property.hasSuffix("source MAC") })
            #expect(explanation.contains("'s address, vm") && explanation.hasSuffix("(MAC anti-spoofing on for pool 0)"), "\(explanation)")
        default:
            #expect(report.violated.count == 4)
            // VF 0's mailbox memory (its view's 0x200-0x23C) lands in VF 1's PFMBMEM(16 ... 31).
            let dword = try #require(explanation.firstMatch(of: /offset 0x2[0-3][0-9a-f] of its BAR0: it reaches PFMBMEM\[(\d+)\]/)).1
            #expect((16...31).contains(Int(dword) ?? 0) && explanation.hasSuffix("which is VF 1's (nic0.pf0.vf1, vm1)"), "\(explanation)")
        }
    }

    @Test("--frame that cannot be is a usage error; mac entries that cannot be are model errors naming the key")
    func badInput() throws {
        for bad in ["from=nic0.port0", "from=nic0.port0,dst=02:00:00:00:00", "from=nic0.port0,dst=02:00:00:00:00:01,len=10", "from=nic0.port0,dst=02:00:00:00:00:01,vlan=4095",
                    "from=nic0.port0,dst=02:00:00:00:00:01,colour=red"] {
            let r = try IOVSimBinary.run(["run", Repository.model("i82599.toml"), "--frame", bad])
            #expect(r.status == 64 && r.stderr.contains("is not from=PORT|FUNCTION,dst=MAC"), "\(bad): \(r.status) \(r.stderr)")
        }
        let unknown = try IOVSimBinary.run(["run", Repository.model("i82599.toml"), "--frame", "from=nic0.port7,dst=02:00:00:00:00:01", "--cycles", "10"])
        #expect(unknown.status == 64 && unknown.stderr.contains("'nic0.port7' is not a port or function"), "\(unknown.stderr)")
        let text = try String(contentsOfFile: Self.broken("two-vms-same-mac.toml"), encoding: .utf8)
        for (replacement, value, key, message) in [("address = \"02:00:00:00:00:00\"", "address = \"01:00:5e:00:00:01\"", "address", "is a group address"),
                                                   ("address = \"02:00:00:00:00:00\"", "address = \"02:00:00\"", "address", "is not a MAC"),
                                                   ("function = \"nic0.pf0.vf2\"", "function = \"nic0.pf0.vf0\"", "function", "is not one of vm2's VFs")] {
            expectModelError(text.replacingOccurrences(of: replacement, with: value), key: "vm[1].mac[0].\(key)", message: message)
        }
    }
}
