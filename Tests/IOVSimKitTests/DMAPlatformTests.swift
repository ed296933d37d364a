import Foundation
import IOVSimKit
import NIC
import PCIe
import RTL
import Testing
import Trace

/// The DMA engine on the platform with plain host memory (the root complex's, no IOMMU yet):
/// a VF's driver programs its rings through its own BAR0 by MMIO TLPs, the CPU writes
/// descriptors into host memory, frames come from the wire or go to it.
@Suite("DMA engine on the platform", .serialized)
struct DMAPlatformTests {
    /// A platform brought up from a shipped model, with the helpers a VF driver needs.
    struct Bench {
        let platform: Platform
        let nic: NetworkController
        let family: String
        var memory: [UInt64: UInt32] { platform.rootComplex.hostMemory }

        /// The CPU fills `range` of host memory with `pattern`.
        func fill(_ range: Range<UInt64>, _ pattern: UInt32) {
            for a in stride(from: range.lowerBound, to: range.upperBound, by: 4) { platform.rootComplex.hostMemory[a] = pattern }
        }

        init(_ model: String) throws {
            // Plain host memory and no drivers: the tests play the VF drivers themselves.
            var file = try ModelLoader.load(path: Repository.model(model))
            file.host = nil
            file.traffic = nil
            platform = try Platform(model: file)
            platform.bringUp()
            nic = try #require(platform.nics["nic0"])
            family = nic.registers.ports[0].map.family
        }

        /// VF `vf`'s driver writes ring register `name` of its queue `queue`.
        func write(vf: Int, _ name: String, queue: Int = 0, _ value: UInt32) throws {
            var access = try #require(platform.vfAccess(device: "nic0", pf: 0, vf: vf))
            access.write(offset: try #require(VFRegisterWindow.queueRegisterOffset(name, queue: queue, family: family)), value: value)
        }

        func read(vf: Int, _ name: String, queue: Int = 0) throws -> UInt32 {
            var access = try #require(platform.vfAccess(device: "nic0", pf: 0, vf: vf))
            return access.read(offset: try #require(VFRegisterWindow.queueRegisterOffset(name, queue: queue, family: family)))
        }

        /// VF `vf`'s driver writes or reads one of its own registers by its VF-view name.
        func writeView(vf: Int, _ name: String, _ value: UInt32) throws {
            var access = try #require(platform.vfAccess(device: "nic0", pf: 0, vf: vf))
            access.write(offset: try #require(VFRegisterWindow.viewOffsets(family: family)[name]), value: value)
        }

        func readView(vf: Int, _ name: String) throws -> UInt32 {
            var access = try #require(platform.vfAccess(device: "nic0", pf: 0, vf: vf))
            return access.read(offset: try #require(VFRegisterWindow.viewOffsets(family: family)[name]))
        }

        /// A dword of VF `vf`'s BAR `bar` (its MSI-X table and PBA live in BAR3).
        func writeBAR(vf: Int, bar: Int, offset: UInt64, _ value: UInt32) throws {
            let aperture = try #require(platform.endpoints["nic0"]?.device.pfs[0].vfAperture(vf: vf, bar: bar))
            ConfigAccess(simulator: platform.simulator, rootComplex: platform.rootComplex).memoryWrite(aperture.base + offset, value)
        }

        func readBAR(vf: Int, bar: Int, offset: UInt64) throws -> UInt32? {
            let aperture = try #require(platform.endpoints["nic0"]?.device.pfs[0].vfAperture(vf: vf, bar: bar))
            return ConfigAccess(simulator: platform.simulator, rootComplex: platform.rootComplex).memoryRead(aperture.base + offset)
        }

        /// Writes a field of VF `vf`'s MSI-X Message Control by config write, as the guest's
        /// pci_enable_msix does.
        func msixControl(vf: Int, enable: Bool, functionMask: Bool) throws {
            let rid = try #require(platform.rid(device: "nic0", pf: 0, vf: vf))
            let config = ConfigAccess(simulator: platform.simulator, rootComplex: platform.rootComplex)
            let cap = try #require(config.capability(rid, id: 0x11, extended: false))
            config.write(rid, cap + 2, size: 2, (enable ? 0x8000 : 0) | (functionMask ? 0x4000 : 0))
        }

        /// Posts `count` 2 KiB buffers in a ring at `ring` (descriptor k's buffer at `buffers` + 2 KiB k).
        func post(ring: UInt64, buffers: UInt64, count: Int) {
            for k in 0..<count { store(ring + UInt64(16 * k), AdvancedRxDescriptor(packetAddress: buffers + UInt64(k) * 0x800).dwords) }
        }

        /// A field's value placed in its register, from the map's definition.
        func field(_ register: String, _ field: String, _ value: UInt32) throws -> UInt32 {
            let f = try #require(nic.registers.ports[0].map.register(named: register)?.field(field))
            return f.setting(value, in: 0)
        }

        /// The CPU stores `dwords` at `address` in host memory.
        func store(_ address: UInt64, _ dwords: [UInt32]) {
            for (k, dw) in dwords.enumerated() { platform.rootComplex.hostMemory[address + UInt64(4 * k)] = dw }
        }

        /// The CPU stores a descriptor at `address`.
        func store(_ address: UInt64, _ descriptor: DescriptorDwords) { store(address, descriptor.array) }

        func load(_ address: UInt64, dwords: Int) -> [UInt32] {
            (0..<dwords).map { platform.rootComplex.hostMemory[address + UInt64(4 * $0)] ?? 0 }
        }

        func bytes(_ address: UInt64, count: Int) -> [UInt8] {
            (0..<count).map { k in
                let a = address + UInt64(k)
                return UInt8(truncatingIfNeeded: (platform.rootComplex.hostMemory[a & ~3] ?? 0) >> UInt32(8 * (a & 3)))
            }
        }

        /// Sets up VF `vf`'s Rx queue 0 as igbvf/ixgbevf do: ring base and length, 2 KiB
        /// advanced one-buffer descriptors with drop-enable, head and tail 0, thresholds, enable.
        func setUpReceive(vf: Int, ring: UInt64, descriptors: Int, writeBack: UInt32 = 4) throws {
            try write(vf: vf, "RDBAL", UInt32(truncatingIfNeeded: ring))
            try write(vf: vf, "RDBAH", UInt32(ring >> 32))
            try write(vf: vf, "RDLEN", UInt32(descriptors * 16))
            try write(vf: vf, "SRRCTL", field("SRRCTL[0]", "BSIZEPACKET", 2) | field("SRRCTL[0]", "DESCTYPE", 1) | field("SRRCTL[0]", "DROP_EN", 1))
            try write(vf: vf, "RDH", 0)
            try write(vf: vf, "RDT", 0)
            try write(vf: vf, "RXDCTL", field("RXDCTL[0]", "PTHRESH", 8) | field("RXDCTL[0]", "HTHRESH", 8) | field("RXDCTL[0]", "WTHRESH", writeBack)
                      | field("RXDCTL[0]", "ENABLE", 1))
        }

        func setUpTransmit(vf: Int, ring: UInt64, descriptors: Int, writeBack: UInt32 = 0) throws {
            try write(vf: vf, "TDBAL", UInt32(truncatingIfNeeded: ring))
            try write(vf: vf, "TDBAH", UInt32(ring >> 32))
            try write(vf: vf, "TDLEN", UInt32(descriptors * 16))
            try write(vf: vf, "TDH", 0)
            try write(vf: vf, "TDT", 0)
            try write(vf: vf, "TXDCTL", field("TXDCTL[0]", "PTHRESH", 8) | field("TXDCTL[0]", "HTHRESH", 1) | field("TXDCTL[0]", "WTHRESH", writeBack)
                      | field("TXDCTL[0]", "ENABLE", 1))
        }

        /// Runs the clock until the NIC has nothing left to do (at most `limit` clocks).
        func settle(limit: UInt64 = 50_000_000) {
            let simulator = platform.simulator
            let end = simulator.now + limit
            while let next = simulator.nextEventClock, next < end { simulator.run(clocks: next - simulator.now + 1) }
        }
    }

    /// `count` frames from the wire to VF `vf`'s MAC, then the clock runs until all is done.
    static func receiveFrames(_ bench: Bench, vf: Int, count: Int, length: Int = 60) {
        let port = bench.nic.ports[0], simulator = bench.platform.simulator
        let mac = bench.platform.macAddress(device: "nic0", pf: 0, vf: vf)
        for k in 0..<count { port.receive(frame(to: mac, from: 0x02_99_00_00_00_01, length: length, seed: k), atClock: simulator.now, simulator: simulator) }
        bench.settle()
    }

    /// A frame of `length` bytes (no FCS) to `destination`, its payload numbered by `seed`.
    static func frame(to destination: UInt64, from source: UInt64, length: Int, seed: Int) -> EthernetFrame {
        let header = MACWords.octets(destination) + MACWords.octets(source) + [0x08, 0x00]
        return EthernetFrame(header + (0..<(length - header.count)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ seed &* 13 &+ 1) })
    }

    @Test("Rx: 64 posted buffers, 1,000 frames from the wire: the first 64 land byte-exact, in order, written back with length, DD and EOP; RDH moves; the rest are dropped and counted; nothing else in memory changes",
          arguments: ["i82576.toml", "i82599.toml"])
    func receiveIntoPostedBuffers(_ model: String) throws {
        let bench = try Bench(model)
        let vf = 1
        let ring: UInt64 = 0x10_0000, buffers: UInt64 = 0x20_0000, size: UInt64 = 0x800
        // Memory around everything the NIC may touch holds a pattern: a stray or over-long
        // write (or one ignoring byte enables) shows up as a changed dword.
        bench.fill(ring - 0x1000..<ring + 0x1800, 0xA5A5_A5A5)
        bench.fill(buffers - 0x1000..<buffers + 130 * size, 0x5A5A_5A5A)
        for k in 0..<128 { bench.store(ring + UInt64(16 * k), AdvancedRxDescriptor(packetAddress: buffers + UInt64(k) * size).dwords) }
        let before = bench.memory

        try bench.setUpReceive(vf: vf, ring: ring, descriptors: 128)
        try bench.write(vf: vf, "RDT", 64)
        let mac = bench.platform.macAddress(device: "nic0", pf: 0, vf: vf)
        let frames = (0..<1000).map { Self.frame(to: mac, from: 0x02_99_00_00_00_01, length: 60 + ($0 * 37) % 1455, seed: $0) }
        let port = bench.nic.ports[0], simulator = bench.platform.simulator
        for f in frames { port.receive(f, atClock: simulator.now, simulator: simulator) }
        bench.settle()

        var expected = before
        for k in 0..<64 {
            let f = frames[k].bytes, base = buffers + UInt64(k) * size
            #expect(bench.bytes(base, count: f.count) == f, "frame \(k) in buffer \(k)")
            let wb = bench.load(ring + UInt64(16 * k), dwords: 4)
            #expect(wb[2] & 0x3 == 0x3, "descriptor \(k): DD and EOP")
            #expect(Int(wb[3] & 0xFFFF) == f.count, "descriptor \(k): length")
            for (j, byte) in f.enumerated() {
                let a = base + UInt64(j)
                let old = expected[a & ~3] ?? 0, shift = UInt32(8 * (a & 3))
                expected[a & ~3] = old & ~(0xFF << shift) | UInt32(byte) << shift
            }
            for (j, dw) in AdvancedRxDescriptor.writeBack(length: f.count, endOfPacket: true, vlan: nil).array.enumerated() {
                expected[ring + UInt64(16 * k + 4 * j)] = dw
            }
        }
        let memory = bench.memory
        let differing = Set(memory.keys).union(expected.keys).filter { memory[$0] != expected[$0] }.sorted()
        #expect(differing.isEmpty, "only the 64 buffers' bytes and descriptors changed; differing dwords at \(differing.prefix(8).map { "0x" + String($0, radix: 16) })")
        #expect(try bench.read(vf: vf, "RDH") == 64, "the head moved past the 64 descriptors")
        let counters = bench.nic.dma.counters(port: 0)
        #expect(counters.receivedFrames == 64 && counters.noDescriptor == 936 && counters.missed == 0)
        var pf = try #require(bench.platform.pfDriver(device: "nic0", pf: 0))
        #expect(pf.load("RNBC") == 936, "RNBC counts the frames that found no descriptor")
        #expect(pf.load("RNBC") == 0, "and clears on read")
        if bench.family == "82576" { #expect(try bench.read(vf: vf, "RQDPC") == 936, "the queue's own drop count") }
    }

    @Test("Tx: descriptors for 100 frames of mixed sizes (some in two buffers), one tail bump: the wire pcap holds the same 100 frames byte for byte, in order; RS descriptors written back with DD; TDH at the tail",
          arguments: ["i82576.toml", "i82599.toml"])
    func transmitFromRing(_ model: String) throws {
        let bench = try Bench(model)
        let vf = 2
        let ring: UInt64 = 0x30_0000, buffers: UInt64 = 0x40_0000
        let mac = bench.platform.macAddress(device: "nic0", pf: 0, vf: vf)
        let frames = (0..<100).map { Self.frame(to: 0x02_77_00_00_00_09, from: mac, length: 60 + ($0 * 89) % 1455, seed: $0) }
        var index = 0
        var reportIndices: [Int] = []
        for (k, f) in frames.enumerated() {
            let address = buffers + UInt64(k) * 0x800
            bench.store(address, stride(from: 0, to: f.bytes.count, by: 4).map { i in
                (0..<4).reduce(UInt32(0)) { $0 | UInt32(i + $1 < f.bytes.count ? f.bytes[i + $1] : 0) << UInt32(8 * $1) }
            })
            // Every tenth frame in two buffers (the first 40 bytes, then the rest).
            let pieces = k % 10 == 0 ? [(address, 40), (address + 40, f.bytes.count - 40)] : [(address, f.bytes.count)]
            for (j, piece) in pieces.enumerated() {
                let last = j == pieces.count - 1
                bench.store(ring + UInt64(16 * index), AdvancedTxDescriptor.data(address: piece.0, length: piece.1, endOfPacket: last, reportStatus: last,
                                                                                  payloadLength: f.bytes.count))
                if last { reportIndices.append(index) }
                index += 1
            }
        }
        var wire: [Pcap.Record] = []
        bench.nic.ports[0].wireTransmitted = { frame, clock in wire.append(Pcap.Record(nanoseconds: clock * 4, bytes: frame.bytes)) }
        try bench.setUpTransmit(vf: vf, ring: ring, descriptors: 256)
        try bench.write(vf: vf, "TDT", UInt32(index))
        bench.settle()

        let path = temporaryPath("tx-wire.pcap")
        try Pcap.write(wire, path: path)
        let listing = try runProgram("/usr/bin/tcpdump", ["-r", path, "-nn", "-e"])
        #expect(listing.status == 0 && listing.stdout.split(separator: "\n").count == 100, "tcpdump reads 100 frames")
        let back = try Pcap.read(path: path)
        #expect(back.map(\.bytes) == frames.map(\.bytes), "the wire has the 100 frames, byte for byte, in order")
        for k in reportIndices { #expect(bench.load(ring + UInt64(16 * k), dwords: 4)[3] & 1 == 1, "descriptor \(k): DD") }
        #expect(try bench.read(vf: vf, "TDH") == UInt32(index), "the head reached the tail")
        #expect(bench.nic.dma.counters(port: 0).transmittedFrames == 100)
    }

    @Test("8 VFs receiving and transmitting at once: every DMA request on the link carries the routing ID of the VF that owns the queue")
    func requesterIDs() throws {
        let bench = try Bench("i82599.toml")
        let vfs = 0..<8
        /// VF n's memory: its Rx ring, Tx ring and buffers in its own 16 MiB.
        func region(_ vf: Int) -> UInt64 { UInt64(vf + 1) << 24 }
        var frames: [EthernetFrame] = []
        for vf in vfs {
            let base = region(vf), mac = bench.platform.macAddress(device: "nic0", pf: 0, vf: vf)
            for k in 0..<32 { bench.store(base + UInt64(16 * k), AdvancedRxDescriptor(packetAddress: base + 0x10_0000 + UInt64(k) * 0x800).dwords) }
            try bench.setUpReceive(vf: vf, ring: base, descriptors: 32)
            try bench.write(vf: vf, "RDT", 31)
            for k in 0..<10 {
                let f = Self.frame(to: 0x02_77_00_00_00_09, from: mac, length: 64 + 97 * k, seed: k)
                let buffer = base + 0x20_0000 + UInt64(k) * 0x800
                bench.store(buffer, stride(from: 0, to: f.bytes.count, by: 4).map { i in
                    (0..<4).reduce(UInt32(0)) { $0 | UInt32(i + $1 < f.bytes.count ? f.bytes[i + $1] : 0) << UInt32(8 * $1) }
                })
                bench.store(base + 0x1000 + UInt64(16 * k), AdvancedTxDescriptor.data(address: buffer, length: f.bytes.count, endOfPacket: true,
                                                                                      reportStatus: true, payloadLength: f.bytes.count))
            }
            try bench.setUpTransmit(vf: vf, ring: base + 0x1000, descriptors: 16)
        }
        // 20 frames to each VF, interleaved on the wire.
        for k in 0..<20 {
            for vf in vfs {
                frames.append(Self.frame(to: bench.platform.macAddress(device: "nic0", pf: 0, vf: vf), from: 0x02_99_00_00_00_01, length: 60 + 71 * k, seed: vf * 100 + k))
            }
        }
        var seen: [(TLP, UInt64)] = []
        bench.nic.dma.issued = { tlp, clock in seen.append((tlp, clock)) }
        var atMemory: [TLP] = []
        bench.platform.observer = { hop in if hop.node == "rc" && hop.egress == "memory" { atMemory.append(hop.tlp) } }
        for vf in vfs { try bench.write(vf: vf, "TDT", 10) }
        let port = bench.nic.ports[0], simulator = bench.platform.simulator
        for f in frames { port.receive(f, atClock: simulator.now, simulator: simulator) }
        bench.settle()

        var perVF: [Int: Set<TLP.Kind>] = [:]
        for (tlp, clock) in seen {
            let vf = Int(tlp.address >> 24) - 1
            let rid = try #require(bench.platform.rid(device: "nic0", pf: 0, vf: vf), "a request at 0x\(String(tlp.address, radix: 16)) outside every VF's memory")
            #expect(tlp.requesterID == rid, "clock \(clock): \(tlp) for VF \(vf)'s memory carries RID 0x\(String(tlp.requesterID, radix: 16)), not 0x\(String(rid, radix: 16))")
            perVF[vf, default: []].insert(tlp.kind)
        }
        #expect(perVF.keys.sorted() == Array(vfs) && perVF.values.allSatisfy { $0 == [.memoryRead, .memoryWrite] }, "every VF read and wrote")
        #expect(seen.count > 8 * (10 + 20), "\(seen.count) requests checked")
        #expect(atMemory.map(\.requesterID) == seen.map(\.0.requesterID) && atMemory.map(\.address) == seen.map(\.0.address),
                "the root complex received exactly those requests, with those RIDs")
        #expect(bench.nic.dma.counters(port: 0).receivedFrames == 160 && bench.nic.dma.counters(port: 0).transmittedFrames == 80)
    }

    @Test("Tx rate limit: a VF limited to 1 Gb/s (RTTDQSEL/RTTBCNRC, as ixgbe_set_vf_rate_limit) sends 1 Gb/s within 1 % over 1 ms on the 10 Gb/s port while an unlimited VF fills the rest")
    func rateLimit() throws {
        let bench = try Bench("i82599.toml")
        let limited = 1, unlimited = 2, descriptors = 4096
        let length = 508   // 512 bytes with FCS: 532 bytes of wire time with preamble and gap
        for vf in [limited, unlimited] {
            let base = UInt64(vf) << 24, mac = bench.platform.macAddress(device: "nic0", pf: 0, vf: vf)
            let f = Self.frame(to: 0x02_77_00_00_00_09, from: mac, length: length, seed: vf)
            bench.store(base + 0x10_0000, stride(from: 0, to: f.bytes.count, by: 4).map { i in
                (0..<4).reduce(UInt32(0)) { $0 | UInt32(i + $1 < f.bytes.count ? f.bytes[i + $1] : 0) << UInt32(8 * $1) }
            })
            let descriptor = AdvancedTxDescriptor.data(address: base + 0x10_0000, length: length, endOfPacket: true, reportStatus: true, payloadLength: length)
            for k in 0..<descriptors { bench.store(base + UInt64(16 * k), descriptor) }
            try bench.setUpTransmit(vf: vf, ring: base, descriptors: descriptors, writeBack: 8)
        }
        // The PF driver limits VF 1's queue (2n = 2) to 1 Gb/s: RF = 10 Gb/s / 1 Gb/s = 10.0.
        var pf = try #require(bench.platform.pfDriver(device: "nic0", pf: 0))
        pf.write("RTTDQSEL", 2)
        pf.write("RTTBCNRC", try bench.field("RTTBCNRC", "RS_ENA", 1) | bench.field("RTTBCNRC", "RF", 10 << 14))
        pf.write("RTTDQSEL", 4)
        #expect(pf.load("RTTBCNRC") == 0, "queue 4 has no limit")
        pf.write("RTTDQSEL", 2)
        #expect(pf.load("RTTBCNRC") & 0xFF_FFFF == 10 << 14, "RTTBCNRC reads back the selected queue's factor")

        var sent: [(source: UInt64, clock: UInt64, bits: UInt64)] = []
        bench.nic.ports[0].wireTransmitted = { frame, clock in
            let source = frame.bytes[6..<12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            sent.append((source, clock, UInt64(frame.wireBytes * 8)))
        }
        for vf in [limited, unlimited] { try bench.write(vf: vf, "TDT", UInt32(descriptors - 1)) }
        let simulator = bench.platform.simulator
        let start = simulator.now, millisecond = simulator.clockHz / 1000
        simulator.run(clocks: 2 * millisecond)
        // One millisecond of wire after a quarter millisecond of start-up.
        let window = (start + millisecond / 4)..<(start + millisecond / 4 + millisecond)
        func bits(_ vf: Int) -> Double {
            let mac = bench.platform.macAddress(device: "nic0", pf: 0, vf: vf)
            return Double(sent.filter { $0.source == mac && window.contains($0.clock) }.map(\.bits).reduce(0, +))
        }
        let limitedRate = bits(limited) / 1e-3, unlimitedRate = bits(unlimited) / 1e-3
        #expect(abs(limitedRate - 1e9) <= 0.01e9, "VF 1 sent \(limitedRate / 1e9) Gb/s")
        #expect(limitedRate + unlimitedRate >= 0.98e10, "the wire is full: \((limitedRate + unlimitedRate) / 1e9) Gb/s")
    }
}
