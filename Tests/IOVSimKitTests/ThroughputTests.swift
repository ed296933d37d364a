import Foundation
import IOVSimKit
import Testing
import Trace

/// Issue 12: the throughput sweep (`iovsim run --sweep-frame-sizes`) and the whole-pipeline
/// model's reflecting VMs (`[[vm]] forward = "macswap"`, `[[generator]] size`).
@Suite("Throughput", .serialized)
struct ThroughputTests {
    @Test("the 82599 sustains the line rate at 64 and 1518 bytes: the wire limits, PCIe has room")
    func lineRate() throws {
        let report = try ThroughputSweep.run(file: Repository.model("i82599.toml"), window: 30_000, sizes: [64, 1518])
        #expect(report.receivers["nic0.port0"] == ["nic0.pf0.vf0", "nic0.pf0.vf1", "nic0.pf0.vf2", "nic0.pf0.vf62"])
        #expect(report.rows.map(\.size) == [64, 1518])
        for row in report.rows {
            #expect(abs(row.mpps - row.lineMpps) / row.lineMpps < 0.02, "\(row)")
            #expect(row.limit.hasPrefix("wire (PCIe upstream"), "\(row.limit)")
            #expect(abs(row.gbps - row.mpps * Double(8 * row.size) / 1000) < 0.01)
        }
        // 10 GbE at 64 bytes: 10e9 / (8 * (64 + 20)) frames per second.
        #expect(abs(report.rows[0].lineMpps - 14.881) < 0.001)
    }

    @Test("a link of one byte per clock cannot carry two 1 GbE ports of 64-byte frames: PCIe limits, the packet buffer fills, then misses")
    func pcieLimited() throws {
        let variant = try ModelVariant("i82576.toml", [("link = { latency = 4, bytes_per_clock = 4 }", "link = { latency = 4, bytes_per_clock = 1 }")])
        defer { variant.remove() }
        let report = try ThroughputSweep.run(file: variant.path, window: 30_000, sizes: [64])
        #expect(report.rows.count == 2)
        for row in report.rows {
            #expect(row.mpps < 0.9 * row.lineMpps, "\(row)")
            #expect(row.limit.hasPrefix("PCIe link bandwidth and TLP overhead (PCIe upstream"), "\(row.limit)")
            #expect(row.limit.contains("the packet buffer filling"), "\(row.limit)")
        }
        // With a 16 KiB packet buffer it overflows within the window: frames are missed (MPC).
        let small = try ModelVariant("i82576.toml", [("link = { latency = 4, bytes_per_clock = 4 }", "link = { latency = 4, bytes_per_clock = 1 }"),
                                                     ("rx_packet_buffer = 0x10000", "rx_packet_buffer = 0x4000")])
        defer { small.remove() }
        let long = try ThroughputSweep.run(file: small.path, window: 300_000, sizes: [64])
        #expect(long.rows.allSatisfy { $0.limit.hasPrefix("PCIe link bandwidth") && $0.limit.contains("missed: packet buffer full") }, "\(long.rows)")
    }

    @Test("--sweep-frame-sizes prints the table; with an output option it is a usage error")
    func commandLine() throws {
        let run = try IOVSimBinary.run(["run", Repository.model("i82576.toml"), "--sweep-frame-sizes", "--cycles", "20000"])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = run.stdout.split(separator: "\n").filter { $0.first?.isNumber == true }
        #expect(rows.count == 12, "\(run.stdout)")   // 6 sizes x 2 ports
        #expect(rows.first?.hasPrefix("64     nic0.port0  1.488") == true, "\(run.stdout)")
        // 20,000 clocks hold 6 frames of 1518 bytes per 1 GbE port: the report says how coarse that is.
        #expect(run.stdout.contains("note: nic0.port0 took 6 frames of 1518 bytes in the window: a rate is good to one frame (16.7%)"), "\(run.stdout)")
        let bad = try IOVSimBinary.run(["run", Repository.model("i82576.toml"), "--sweep-frame-sizes", "--vcd", temporaryPath("x.vcd")])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--sweep-frame-sizes runs its own traffic, one platform per frame size: it takes no --vcd"), "\(bad.stderr)")
    }

    @Test("reflecting VMs: every frame a VF receives goes back to the wire from it, MACs swapped, byte for byte otherwise")
    func macswap() throws {
        var options = Runner.Options()
        options.cycles = 60_000
        options.progress = false
        let pcaps = temporaryPath("pcaps")
        defer { try? FileManager.default.removeItem(atPath: pcaps) }
        options.pcapOut = pcaps
        let summary = try Runner.run(file: Repository.model("scale/i82599-64vf-forward.toml"), options: options)
        #expect(summary.guardViolations == 0)
        let accounts = summary.accounts
        #expect(accounts.count == 63)
        #expect(accounts.values.allSatisfy { $0.delivered > 0 && $0.leaked == 0 && $0.corrupted == 0 })
        for line in summary.vms {
            // vmN: received R frames (...), sent S (..., W to the wire); ... forwarding (macswap): 0 dropped
            let numbers = line.split(separator: " ")
            let received = try #require(Int(numbers[2])), sent = try #require(Int(numbers[7]))
            #expect(sent <= received && received - sent <= 16, "\(line)")   // at most one batch per VF still being posted
            #expect(line.contains("forwarding (macswap): 0 dropped with the Tx ring full"), "\(line)")
        }
        // On the wire out: frames from VF MACs back to the generator's station.
        let out = try Pcap.read(path: (pcaps as NSString).appendingPathComponent("nic0.port0.wire-out.pcap"))
        #expect(out.count > 1000)
        #expect(out.allSatisfy { Array($0.bytes[0..<6]) == [0x02, 0x10, 0, 0, 0, 0x01] && $0.bytes[6] == 0x02 })
        // Each went out from a VF whose MAC frames from the wire were addressed to, the rest of
        // the frame as it came in.
        let wireIn = try Pcap.read(path: (pcaps as NSString).appendingPathComponent("nic0.port0.wire-in.pcap"))
        let addressed = Set(wireIn.map { Array($0.bytes[0..<6]) })
        let body = Set(wireIn.map { Array($0.bytes[12...]) })
        #expect(out.allSatisfy { addressed.contains(Array($0.bytes[6..<12])) && body.contains(Array($0.bytes[12...])) })
    }

    @Test("a device's link without bytes_per_clock carries its Link Capabilities' data rate; a stated one stays")
    func linkRate() throws {
        func upstream(_ model: ModelFile) throws -> Int? {
            let platform = try Platform(model: model)
            return try #require(platform.links.first { $0.path.hasSuffix("rp0") }).up.bytesPerClock
        }
        // 82599: 5 GT/s x8 with 8b/10b = 4 GB/s, 16 bytes per 250 MHz clock.
        #expect(try upstream(ModelLoader.load(path: Repository.model("i82599.toml"))) == 16)
        // The 82576 model states 4 bytes per clock (its Gen1 x4).
        #expect(try upstream(ModelLoader.load(path: Repository.model("i82576.toml"))) == 4)
        // 2.5 GT/s x1: 250 MB/s, 1 byte per clock.
        let narrow = try String(contentsOfFile: Repository.model("i82599.toml"), encoding: .utf8)
            .replacingOccurrences(of: "link_speed = 2, link_width = 8", with: "link_speed = 1, link_width = 1")
        #expect(try upstream(ModelLoader.parse(narrow, file: "narrow.toml")) == 1)
    }

    @Test("a model without VMs has nobody to receive: a usage error, after one size, not six")
    func noReceivers() throws {
        let text = try String(contentsOfFile: Repository.model("i82599.toml"), encoding: .utf8)
        let path = temporaryPath("no-vms.toml")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try String(text[..<text.range(of: "[[vm]]")!.lowerBound]).write(toFile: path, atomically: true, encoding: .utf8)
        let run = try IOVSimBinary.run(["run", path, "--sweep-frame-sizes", "--cycles", "1000"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--sweep-frame-sizes: no VM of i82599 has a VF driver up to receive frames ([[vm]] functions)"), "\(run.stderr)")
    }

    @Test("forward and generator size are checked: a model error names the key")
    func badKeys() throws {
        let text = try String(contentsOfFile: Repository.model("scale/i82599-64vf-forward.toml"), encoding: .utf8)
        expectModelError(text.replacingOccurrences(of: "forward = \"macswap\"\nfunctions = [\"nic0.pf0.vf0\"", with: "forward = \"echo\"\nfunctions = [\"nic0.pf0.vf0\""),
                         key: "vm[0].forward", message: "expected one of: none, macswap")
        expectModelError(text.replacingOccurrences(of: "size = 64", with: "size = 20"), key: "generator[0].size", message: "64...9018")
    }
}
