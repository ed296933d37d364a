import Foundation
import IOVSimKit
import LinuxReference
import PCIe
import Testing

/// `iovsim lspci -xxxx` into the real `lspci -F FILE -vvv` (pciutils): lspci's own decode of
/// SR-IOV, ARI, ACS and ATS must give back what the model file says, and lspci must list the
/// VFs where Linux would put them.
@Suite("lspci reads our config-space dumps", .serialized)
struct LspciTests {
    static let lspci = ["/usr/bin/lspci", "/bin/lspci", "/usr/sbin/lspci", "/sbin/lspci"].first { FileManager.default.isExecutableFile(atPath: $0) }

    struct Case: Sendable, CustomTestStringConvertible {
        let model: String
        let numVFs: UInt16
        let ari: Bool
        var testDescription: String { "\(model) --vf-enable \(numVFs) --ari \(ari ? "on" : "off")" }
    }

    static let cases: [Case] = [
        Case(model: "i82599.toml", numVFs: 63, ari: true), Case(model: "i82599.toml", numVFs: 63, ari: false),
        Case(model: "i82576.toml", numVFs: 7, ari: true), Case(model: "i82576.toml", numVFs: 7, ari: false),
        Case(model: "sriov-512vf.toml", numVFs: 256, ari: true), Case(model: "sriov-512vf.toml", numVFs: 200, ari: false),
    ]

    /// The lines of one function's block in `lspci -vvv` output.
    static func block(_ output: String, _ bdf: String) -> [String] {
        var lines: [String] = [], inside = false
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if !line.hasPrefix("\t") && !line.isEmpty { inside = line.hasPrefix(bdf + " ") }
            if inside { lines.append(line.trimmingCharacters(in: .whitespaces)) }
        }
        return lines
    }

    @Test("lspci decodes SR-IOV, ARI, ACS and ATS as the model says and lists VFs where Linux puts them", arguments: cases)
    func decode(_ c: Case) throws {
        let lspci = try #require(Self.lspci, "lspci (pciutils) is not installed; `make test` installs it")
        let (file, _) = try Repository.device(c.model)
        let dump = try IOVSimBinary.run(["lspci", Repository.model(c.model), "--vf-enable", "\(c.numVFs)", "--ari", c.ari ? "on" : "off", "-xxxx"])
        #expect(dump.status == 0, "\(dump.stderr)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("iovsim-\(UUID().uuidString).txt").path
        try dump.stdout.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let listing = try runProgram(lspci, ["-F", path])
        let decoded = try runProgram(lspci, ["-F", path, "-vvv"])
        #expect(listing.status == 0 && decoded.status == 0, "\(decoded.stderr)")

        // Where Linux puts every function: PFs at 03:00.p, VFs by pci_iov_virtfn_bus/devfn.
        var expected: [String] = []
        for (p, pf) in file.device.pf.enumerated() {
            expected.append(Linux.name(bus: 3, devfn: p))
            guard let sriov = pf.sriov else { continue }
            let routing = sriov.routing.first { $0.ari == nil || $0.ari == c.ari }!
            for id in 0..<Int(c.numVFs) {
                let bus = Linux.virtfnBus(pfBus: 3, pfDevfn: p, offset: Int(routing.firstVFOffset), stride: Int(routing.vfStride), id: id)
                let devfn = Linux.virtfnDevfn(pfDevfn: p, offset: Int(routing.firstVFOffset), stride: Int(routing.vfStride), id: id)
                expected.append(Linux.name(bus: bus, devfn: devfn))
            }
        }
        let listed = listing.stdout.split(separator: "\n").map { String($0.prefix(7)) }
        #expect(listed == expected.sorted(), "lspci's list of functions")

        for (p, pf) in file.device.pf.enumerated() {
            let lines = Self.block(decoded.stdout, Linux.name(bus: 3, devfn: p))
            #expect(!lines.isEmpty, "PF \(p) missing from lspci -vvv")
            let text = lines.joined(separator: "\n")
            if let ari = pf.ari {
                #expect(text.contains("Capabilities: [\(String(ari.offset, radix: 16)) v1] Alternative Routing-ID Interpretation (ARI)"))
                #expect(text.contains("Next Function: \(ari.nextFunction)"))
            }
            if let acs = pf.acs {
                #expect(text.contains("Capabilities: [\(String(acs.offset, radix: 16)) v1] Access Control Services"))
                let names = ["SrcValid", "TransBlk", "ReqRedir", "CmpltRedir", "UpstreamFwd", "EgressCtrl", "DirectTrans"]
                let expectedCap = names.enumerated().map { "\($1)\(acs.capabilities & (1 << $0) != 0 ? "+" : "-")" }.joined(separator: " ")
                #expect(text.contains("ACSCap:\t" + expectedCap) || text.contains("ACSCap: " + expectedCap), "ACSCap line")
            }
            if let ats = pf.ats {
                #expect(text.contains("Capabilities: [\(String(ats.offset, radix: 16)) v1] Address Translation Service (ATS)"))
                #expect(text.contains(String(format: "Invalidate Queue Depth: %02x", ats.invalidateQueueDepth)))
            }
            guard let sriov = pf.sriov else { continue }
            let routing = sriov.routing.first { $0.ari == nil || $0.ari == c.ari }!
            #expect(text.contains("Capabilities: [\(String(sriov.offset, radix: 16)) v1] Single Root I/O Virtualization (SR-IOV)"))
            #expect(text.contains("Initial VFs: \(sriov.initialVFs), Total VFs: \(sriov.totalVFs), Number of VFs: \(c.numVFs), Function Dependency Link: 00"))
            #expect(text.contains("VF offset: \(routing.firstVFOffset), stride: \(routing.vfStride), Device ID: \(String(format: "%04x", sriov.vfDeviceID))"))
            #expect(text.contains(String(format: "Supported Page Size: %08x, System Page Size: 00000001", sriov.supportedPageSizes)))
            // ARIHierarchy shows only in the lowest-numbered PF; lspci prints the bit as it reads.
            #expect(text.contains("Enable+ Migration- Interrupt- MSE+ ARIHierarchy\(c.ari && p == 0 ? "+" : "-")"))
            for bar in sriov.vfBAR {
                let kind = bar.type == .memory64 ? "64-bit" : "32-bit"
                let pref = bar.prefetchable == true ? "prefetchable" : "non-prefetchable"
                #expect(lines.contains("Region \(bar.index): Memory at 0000000000000000 (\(kind), \(pref))"), "VF BAR \(bar.index)")
            }
        }
    }

    @Test("without --vf-enable and --ari: the whole platform after bring-up, bridges included, as lspci -tv draws it")
    func platform() throws {
        let lspci = try #require(Self.lspci, "lspci (pciutils) is not installed; `make test` installs it")
        let model = try ModelLoader.load(path: Repository.model("sriov-512vf.toml"))
        let platform = try Platform(model: model)
        platform.bringUp()
        let state = platform.state()
        let dump = try IOVSimBinary.run(["lspci", Repository.model("sriov-512vf.toml"), "-xxxx"])
        #expect(dump.status == 0, "\(dump.stderr)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("iovsim-\(UUID().uuidString).txt").path
        try dump.stdout.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let listing = try runProgram(lspci, ["-F", path])
        #expect(listing.stdout.split(separator: "\n").count == state.functions.count + 4, "functions plus rp0, sw0's upstream port, dp0, dp1")
        let tree = try runProgram(lspci, ["-F", path, "-t"])
        #expect(tree.stdout.contains("-[0000:00]---01.0-[01-08]----00.0-[02-08]--+-00.0-[03-05]"), "\(tree.stdout.prefix(300))")
        for element in state.elements {
            for port in element.ports {
                let bridge = try runProgram(lspci, ["-F", path, "-vv", "-s", BDF(port.rid).description])
                let bus = String(format: "Bus: primary=%02x, secondary=%02x, subordinate=%02x", port.rid >> 8, port.secondaryBus, port.subordinateBus)
                #expect(bridge.stdout.contains(bus), "\(port.name): \(bridge.stdout.prefix(400))")
                let pref = port.prefetchableWindow
                if pref.base <= pref.limit {
                    #expect(bridge.stdout.contains(String(format: "Prefetchable memory behind bridge: %016llx-%016llx", pref.base, pref.limit)), "\(port.name) window")
                }
                #expect(bridge.stdout.contains("I/O behind bridge: [disabled]"), "\(port.name): I/O window closed")
            }
        }
    }
}
