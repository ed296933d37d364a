import Foundation
import IOVSimKit
import NIC
import RTL
import Testing
import Trace

/// The NIC on the simulated platform: a PF driver programs it with MMIO write TLPs from the CPU
/// (after bring-up, whose PF driver set-up gives each VF a pool and a MAC), frames go onto the
/// port's wire at line rate, and the clocked sorter's copies per pool are what is asserted.
@Suite("NIC on the platform", .serialized)
struct NICPlatformTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let model: String
        let name: String
        var testDescription: String { "\(model): \(name)" }
    }

    static let cases = ["unicast", "unknown unicast", "broadcast", "multicast", "vlan", "untagged", "vfre", "oversize"]
        .flatMap { name in ["i82576.toml", "i82599.toml"].map { Case(model: $0, name: name) } }

    /// A frame of `size` bytes on the wire (FCS included) to `destination`.
    static func frame(to destination: UInt64, from source: UInt64 = 0x02_10_00_00_00_01, vlan: UInt16? = nil, size: Int = 64) -> EthernetFrame {
        var bytes = MACWords.octets(destination) + MACWords.octets(source)
        if let vlan { bytes += [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xFF)] }
        bytes += [0x08, 0x00]
        return EthernetFrame(bytes + Array(repeating: 0, count: max(0, size - 4 - bytes.count)))
    }

    @Test("the sorter's case table, programmed by MMIO write TLPs at each part's offsets; the pools that get a copy on the clocked port",
          arguments: cases)
    func caseTable(_ c: Case) async throws {
        let platform = try Platform(model: try ModelLoader.load(path: Repository.model(c.model)))
        platform.bringUp()
        let simulator = platform.simulator
        var d = try #require(platform.pfDriver(device: "nic0", pf: 0))
        let port = try #require(platform.nics["nic0"]).ports[0]
        let pf = try #require(platform.pool(device: "nic0", pf: 0, vf: nil))
        let pools = port.pools, all: UInt64 = pools == 64 ? ~0 : (1 << UInt64(pools)) - 1
        #expect(pf == (c.model == "i82576.toml" ? 7 : 63), "the PF is the pool after its VFs")
        let vf = { (n: Int) in platform.macAddress(device: "nic0", pf: 0, vf: n) }
        #expect(vf(3) == 0x02_00_00_00_00_03)

        /// The pools that got a copy of `frame`, after the MAC and the sorter took it.
        func send(_ frame: EthernetFrame) async -> [Int] {
            _ = await d.read("STATUS")   // the driver's writes have landed
            let before = port.poolFrames
            let arrival = port.receive(frame, atClock: simulator.now, simulator: simulator)
            simulator.run(clocks: arrival - simulator.now + 10)
            return (0..<pools).filter { port.poolFrames[$0] > before[$0] }
        }
        /// Every pool but `keep` loses VMOLR option `option`.
        func only(_ keep: Set<Int>, _ option: String) async {
            for pool in 0...pf where !keep.contains(pool) { await d.poolOption(pool, option, false) }
        }

        switch c.name {
        case "unicast":
            #expect(await send(Self.frame(to: vf(3))) == [3])
            #expect(await send(Self.frame(to: platform.macAddress(device: "nic0", pf: 0))) == [pf], "the PF's MAC")
            // The pool's statistics count it: the PF reads the 82576's PVFGPRC(3); on the 82599
            // VF 3 reads its own VFGPRC through its BAR0.
            if c.model == "i82576.toml" {
                let counts = (await d.read("PVFGPRC[3]"), await d.read("PVFGPRC[2]"))
                #expect(counts == (1, 0))
            } else {
                let vf3 = try #require(platform.state().functions.first { $0.name == "nic0.pf0.vf3" })
                let bar0 = try #require(vf3.ranges.first { $0.label == "VF BAR0" }).base
                #expect(d.access.cpu.memoryRead(bar0 + 0x101C) == 1, "VFGPRC in VF 3's view")
            }
        case "unknown unicast":
            #expect(await send(Self.frame(to: 0x02_aa_bb_cc_dd_ee)) == [pf], "the default pool")
            await d.disableDefaultPool(true)
            #expect(await send(Self.frame(to: 0x02_aa_bb_cc_dd_ee)) == [])
        case "broadcast":
            #expect(await send(Self.frame(to: 0xFFFF_FFFF_FFFF)) == Array(0...pf), "the driver sets BAM on every pool")
            await only([1, 4], "BAM")
            #expect(await send(Self.frame(to: 0xFFFF_FFFF_FFFF)) == [1, 4])
        case "multicast":
            await only([2], "ROMPE")
            await d.poolOption(5, "MPME")
            #expect(await send(Self.frame(to: 0x01_00_5e_00_00_fb)) == [5], "no MTA bit: only the promiscuous pool")
            await d.multicastHash(0xfb0)
            #expect(await send(Self.frame(to: 0x01_00_5e_00_00_fb)) == [2, 5], "MTA hit: the ROMPE pool too")
        case "vlan":
            await d.vlanFiltering(true)
            d.vlanFilter(0, vlan: 100, pools: 1 << 3)
            d.vlanFilter(1, vlan: 200, pools: 1 << 4)
            #expect(await send(Self.frame(to: vf(3), vlan: 100)) == [3])
            #expect(await send(Self.frame(to: vf(3), vlan: 200)) == [pf], "VLAN 200 is pool 4's: the default pool")
            await d.disableDefaultPool(true)
            #expect(await send(Self.frame(to: vf(3), vlan: 200)) == [])
        case "untagged":
            await d.vlanFiltering(true)
            await d.disableDefaultPool(true)
            #expect(await send(Self.frame(to: vf(2))) == [2], "the driver sets AUPE")
            await d.poolOption(2, "AUPE", false)
            #expect(await send(Self.frame(to: vf(2))) == [])
        case "vfre":
            d.receiveEnable(all & ~(1 << 6))
            #expect(await send(Self.frame(to: vf(6))) == [])
            #expect(await send(Self.frame(to: vf(5))) == [5])
        default:  // oversize
            #expect(await send(Self.frame(to: vf(1), size: 1518)) == [1])
            #expect(await send(Self.frame(to: vf(1), size: 1519)) == [])
            if c.model == "i82576.toml" {
                await d.maxFrame(9018)
                #expect(await send(Self.frame(to: vf(1), size: 9000)) == [], "RCTL.LPE with RLPML; the pool's own limit is still 1518")
                await d.set("VMOLR[1]", "LPE", 1)
                await d.set("VMOLR[1]", "RLPML", 9018)
            } else {
                await d.maxFrame(9018)
            }
            #expect(await send(Self.frame(to: vf(1), size: 9000)) == [1])
            #expect(await send(Self.frame(to: vf(1), size: 9019)) == [])
        }
    }

    /// text2pcap's input: each frame's bytes as offset-prefixed hex lines.
    static func hexdump(_ frames: [EthernetFrame]) -> String {
        frames.map { frame in
            stride(from: 0, to: frame.bytes.count, by: 16).map { offset in
                String(format: "%04x  ", offset) + frame.bytes[offset..<min(offset + 16, frame.bytes.count)].map { String(format: "%02x", $0) }.joined(separator: " ")
            }.joined(separator: "\n") + "\n"
        }.joined(separator: "\n")
    }

    static func pcap(_ frames: [EthernetFrame], _ name: String) throws -> String {
        let text = temporaryPath("\(name).txt"), path = temporaryPath("\(name).pcap")
        try hexdump(frames).write(toFile: text, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: text) }
        let result = try runProgram("/usr/bin/text2pcap", ["-q", "-F", "pcap", text, path])
        #expect(result.status == 0, "\(result.stderr)")
        return path
    }

    /// Runs the 82576 model with a wire pcap and a pcap VF 1 sends; tcpdump reads every file.
    func run(spoofCheck: Bool) throws -> (summary: Runner.Summary, files: [String: [String]], wvbr: UInt32) {
        let mac = { (n: UInt64) in 0x02_00_00_00_00_00 | n }
        let wire = try Self.pcap([Self.frame(to: mac(1)), Self.frame(to: 0xFFFF_FFFF_FFFF, size: 128), Self.frame(to: 0x02_aa_00_00_00_01, size: 1518)], "wire")
        let sent = try Self.pcap([
            Self.frame(to: mac(2), from: mac(1), size: 100),               // VM-to-VM: pool 2 only
            Self.frame(to: 0xFFFF_FFFF_FFFF, from: mac(1), size: 200),     // broadcast: wire and every other pool
            Self.frame(to: mac(2), from: mac(0), size: 300),               // VF 0's source MAC
            Self.frame(to: mac(2), from: mac(1), vlan: 55, size: 400),     // a VLAN that is not VF 1's
        ], "vf1")
        // The model's own generator off: these frames only.
        let model = try ModelVariant("i82576.toml", [("frames = 200", "frames = 0")] + (spoofCheck ? [] : [("vlan_filters = 32", "vlan_filters = 32\nspoof_check = false")]),
                                     withoutTraffic: true).path
        let directory = temporaryPath("pcaps")
        defer { for f in [wire, sent, directory] { try? FileManager.default.removeItem(atPath: f) } }
        var options = Runner.Options()
        options.cycles = 60_000
        options.pcapIn = [(wire, nil), (sent, "nic0.pf0.vf1")]
        options.pcapOut = directory
        var seen: Platform?
        options.clockObserver = { platform, _ in seen = platform }
        let summary = try Runner.run(file: model, options: options)
        var files: [String: [String]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".pcap") {
            let listing = try runProgram("/usr/bin/tcpdump", ["-r", (directory as NSString).appendingPathComponent(name), "-nn", "-e", "-tt", "--nano"])
            #expect(listing.status == 0, "\(listing.stderr)")
            files[String(name.dropLast(5))] = listing.stdout.split(separator: "\n").map(String.init)
        }
        let wvbr = try #require(seen?.nics["nic0"]).registers.ports[0].peek("WVBR")
        return (summary, files, wvbr)
    }

    /// (frames, bytes) of a tcpdump listing: "length N:" per line.
    static func count(_ lines: [String]) -> (Int, Int) {
        (lines.count, lines.compactMap { $0.firstMatch(of: /length (\d+):/).map { Int($0.1)! } }.reduce(0, +))
    }

    @Test("pcaps in (made by text2pcap), pcaps out: tcpdump reads every file the run wrote with the summary's counts; anti-spoofing drops and records, VM-to-VM stays off the wire")
    func pcapRun() throws {
        let (summary, files, wvbr) = try run(spoofCheck: true)
        // Every file: tcpdump's frame count and bytes are the summary's.
        let reported = summary.nic.filter { $0.hasPrefix("pcap ") }
        #expect(reported.count == files.count && files.count >= 4, "\(summary.nic)")
        for line in reported {
            let m = try #require(line.firstMatch(of: /pcap .*\/([^\/]+)\.pcap: (\d+) frames, (\d+) bytes/))
            let (frames, bytes) = Self.count(files[String(m.1)] ?? [])
            #expect(frames == Int(m.2)! && bytes == Int(m.3)!, "\(line) vs tcpdump \(frames) frames \(bytes) bytes")
        }
        let pool = { (n: Int) in files["nic0.port0.pool\(n)"] ?? [] }
        // The wire's frames: to VF 1, broadcast to all 8 pools, unknown unicast to the PF (7).
        #expect(Self.count(files["nic0.port0.wire-in"] ?? []) == (3, 60 + 124 + 1514))
        // VF 1's: 100 bytes to VF 2 (looped, not on the wire), the broadcast on the wire and in
        // every pool but 1; the spoofed MAC and the foreign VLAN dropped, WVBR bit 1 set.
        #expect(pool(2).filter { $0.contains("length 96:") }.count == 1, "VM-to-VM copy in pool 2")
        #expect(Self.count(files["nic0.port0.wire-out"] ?? []) == (1, 196), "only the broadcast goes out")
        for n in [0, 2, 3, 4, 5, 6, 7] { #expect(pool(n).filter { $0.contains("length 196:") }.count == 1, "pool \(n) gets VF 1's broadcast") }
        #expect(pool(1).filter { $0.contains("length 196:") }.isEmpty, "not back to the sender")
        #expect(pool(1).count == 2, "from the wire: the unicast and the broadcast")
        #expect(files.values.joined().filter { $0.contains("length 296:") || $0.contains("length 396:") }.isEmpty, "spoofed frames go nowhere")
        #expect(wvbr == 1 << 1, "the malicious-driver event: WVBR bit of VF 1's queue")
        let port0 = try #require(summary.nic.first { $0.hasPrefix("nic0.port0:") })
        #expect(port0.contains("2 dropped: 1 source MAC is not the pool's (anti-spoofing); 1 VLAN is not the pool's (anti-spoofing)"), "\(port0)")

        // Spoof checking off (spoof_check = false): both are sent; the one to VF 2 stays local.
        let (off, offFiles, offWVBR) = try run(spoofCheck: false)
        #expect(offWVBR == 0)
        #expect((offFiles["nic0.port0.pool2"] ?? []).filter { $0.contains("length 296:") || $0.contains("length 396:") }.count == 2)
        #expect(off.nic.first { $0.hasPrefix("nic0.port0:") }?.contains("0 dropped") == true)
    }
}
