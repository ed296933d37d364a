import Foundation
import IOVSimKit
import NIC
import PCIe
import RTL
import Testing
import Trace

/// MSI-X on the platform: a VF's receive interrupt is a memory write its MSI-X table entry
/// describes; masking defers it to the PBA; EITR bounds the rate.
@Suite("MSI-X on the platform", .serialized)
struct InterruptPlatformTests {
    typealias Bench = DMAPlatformTests.Bench

    /// VF 1 with an Rx ring of `descriptors` (all but one posted), MSI-X enabled, vector 0 at
    /// 0xFEE0_1000 / 0x4041 for its Rx queue 0 (IVAR0 byte 0), auto-cleared (EIAC) and enabled (EIMS).
    static func setUp(_ model: String, descriptors: Int = 64) throws -> (Bench, Int) {
        let bench = try Bench(model)
        let vf = 1
        bench.post(ring: 0x10_0000, buffers: 0x20_0000, count: descriptors)
        try bench.setUpReceive(vf: vf, ring: 0x10_0000, descriptors: descriptors, writeBack: 1)
        try bench.write(vf: vf, "RDT", UInt32(descriptors - 1))
        try bench.msixControl(vf: vf, enable: true, functionMask: false)
        try bench.writeBAR(vf: vf, bar: 3, offset: 0x0, 0xFEE0_1000)
        try bench.writeBAR(vf: vf, bar: 3, offset: 0x4, 0)
        try bench.writeBAR(vf: vf, bar: 3, offset: 0x8, 0x4041)
        try bench.writeBAR(vf: vf, bar: 3, offset: 0xC, 0)            // unmask
        try bench.writeView(vf: vf, "IVAR0", 0x80)                     // Rx queue 0 -> vector 0, valid
        try bench.writeView(vf: vf, "EIAC", 1)
        try bench.writeView(vf: vf, "EIMS", 1)
        return (bench, vf)
    }

    @Test("a VF's Rx interrupt is a memory write of its table entry's data to its address, with the VF's RID, after the descriptor write-back",
          arguments: ["i82576.toml", "i82599.toml"])
    func receiveInterrupt(_ model: String) throws {
        let (bench, vf) = try Self.setUp(model)
        var order: [String] = []
        bench.platform.observer = { hop in
            if hop.node == "rc" && (hop.egress == "memory" || hop.egress == "interrupt") && hop.tlp.kind == .memoryWrite {
                order.append(hop.egress == "interrupt" ? "interrupt" : hop.tlp.address < 0x20_0000 ? "descriptor" : "data")
            }
        }
        DMAPlatformTests.receiveFrames(bench, vf: vf, count: 1)
        let rid = try #require(bench.platform.rid(device: "nic0", pf: 0, vf: vf))
        let messages = bench.platform.rootComplex.interruptMessages
        #expect(messages.count == 1)
        #expect(messages.first.map { $0.requester == rid && $0.address == 0xFEE0_1000 && $0.data == 0x4041 } == true, "\(messages)")
        #expect(order == ["data", "descriptor", "interrupt"], "data, then its descriptor, then the interrupt")
        #expect(try bench.readView(vf: vf, "EICR") == 0, "EIAC cleared the cause as the vector fired")
    }

    @Test("masked (vector Mask, then Function Mask): the PBA bit is set and nothing is sent; on unmask the vector fires once",
          arguments: ["i82576.toml", "i82599.toml"])
    func maskedVector(_ model: String) throws {
        let (bench, vf) = try Self.setUp(model)
        let rc = bench.platform.rootComplex
        try bench.writeBAR(vf: vf, bar: 3, offset: 0xC, 1)               // mask vector 0
        DMAPlatformTests.receiveFrames(bench, vf: vf, count: 3)
        #expect(rc.interruptMessages.isEmpty)
        #expect(try bench.readBAR(vf: vf, bar: 3, offset: 0x2000) == 1, "PBA bit 0")
        try bench.writeBAR(vf: vf, bar: 3, offset: 0xC, 0)               // unmask
        bench.settle()
        #expect(rc.interruptMessageCount == 1, "one message for the three frames")
        #expect(try bench.readBAR(vf: vf, bar: 3, offset: 0x2000) == 0, "PBA clear")

        try bench.msixControl(vf: vf, enable: true, functionMask: true)
        DMAPlatformTests.receiveFrames(bench, vf: vf, count: 2)
        let held = try bench.readBAR(vf: vf, bar: 3, offset: 0x2000)
        #expect(rc.interruptMessageCount == 1 && held == 1, "held by the Function Mask")
        try bench.msixControl(vf: vf, enable: true, functionMask: false)
        bench.settle()
        let cleared = try bench.readBAR(vf: vf, bar: 3, offset: 0x2000)
        #expect(rc.interruptMessageCount == 2 && cleared == 0)
    }

    @Test("EITR bounds the interrupt rate over a long burst: messages at least the interval apart, no more than the burst's length allows",
          arguments: ["i82576.toml", "i82599.toml"])
    func throttled(_ model: String) throws {
        let (bench, vf) = try Self.setUp(model, descriptors: 1024)
        // 20 µs: the 82576's EITR counts microseconds in bits 14:2, the 82599's VTEITR 2 µs in bits 11:3.
        try bench.writeView(vf: vf, "EITR0", bench.family == "82576" ? 20 << 2 : 10 << 3)
        var clocks: [UInt64] = []
        bench.nic.dma.interrupts.fired = { _, _, clock in clocks.append(clock) }
        bench.platform.rootComplex.interruptHistory = 4      // the root complex keeps the last 4 to 8 messages
        let start = bench.platform.simulator.now
        DMAPlatformTests.receiveFrames(bench, vf: vf, count: 1000, length: 1000)
        let interval: UInt64 = 20 * 250   // 20 µs at 250 MHz
        let gaps = zip(clocks.dropFirst(), clocks).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 >= interval }, "the device sent vector 0 less than 20 µs apart: gaps \(gaps.filter { $0 < interval })")
        let burst = clocks.last.map { $0 - start } ?? 0
        #expect(clocks.count >= 10 && UInt64(clocks.count) <= burst / interval + 2, "\(clocks.count) messages over \(burst) clocks")
        #expect(bench.platform.rootComplex.interruptMessageCount == clocks.count, "every one reached the root complex")
        let kept = bench.platform.rootComplex.interruptMessages
        #expect((4...8).contains(kept.count), "the root complex's list holds the most recent messages only: \(kept.count)")
        #expect(kept.last.map { $0.clock >= clocks.last ?? .max && $0.clock - clocks.last! < interval } == true, "the last message is the last fired")
        #expect(bench.nic.dma.counters(port: 0).receivedFrames == 1000)
        #expect(bench.nic.dma.interrupts.throttled > 0)
    }

    @Test("traces: ring pointers, prefetched descriptors, buffer fill, tags, the interrupt line and the mailbox bits in a VCD vcd2fst reads; DMA requests in the TLP log")
    func traces() throws {
        let (bench, vf) = try Self.setUp("i82576.toml")
        let simulator = bench.platform.simulator
        let vcdPath = temporaryPath("dma.vcd"), fstPath = temporaryPath("dma.fst"), logPath = temporaryPath("dma.tlp.log")
        let vcd = try VCDWriter(path: vcdPath, probes: simulator.probes.probes, clockHz: simulator.clockHz)
        let log = try TLPLog(path: logPath)
        simulator.onClock = { vcd.sample(clock: $0) }
        bench.platform.observer = { log.record($0) }
        let before = bench.platform.rootComplex.interruptMessageCount
        DMAPlatformTests.receiveFrames(bench, vf: vf, count: 30, length: 1000)
        let messages = bench.platform.rootComplex.interruptMessageCount - before
        try bench.writeView(vf: vf, "MAILBOX", 1 << 2)                   // the VF takes its buffer (VFU)
        bench.settle()
        simulator.onClock = nil
        try vcd.close()
        try log.close()

        let converted = try runProgram("/usr/bin/vcd2fst", [vcdPath, fstPath])
        #expect(converted.status == 0, "\(converted.stderr)")
        let file = VCDFile(try String(contentsOfFile: vcdPath, encoding: .utf8))
        func values(_ name: String) throws -> [UInt64] { try #require(file.changes[name], "\(name) not in the VCD").map(\.value) }
        #expect(try values("top.nic0.port0.pool1.rxq.head").last == 30, "RDH after 30 frames")
        #expect(try values("top.nic0.port0.pool1.rxq.tail").last == 63)
        #expect(try values("top.nic0.port0.pool1.rxq.prefetched").contains { $0 > 0 })
        #expect(try values("top.nic0.port0.rxpb.bytes").contains { $0 > 0 })
        #expect(try values("top.nic0.dma.tags").contains { $0 > 0 })
        let pulses = try values("top.nic0.pf0.vf1.irq").filter { $0 == 1 }.count
        #expect(messages > 0 && pulses == messages, "the interrupt line pulses once per message")
        #expect(try values("top.nic0.pf0.vf1.mailbox").last.map { $0 & 0x4 } == 0x4, "VFU")

        let rid = try #require(bench.platform.rid(device: "nic0", pf: 0, vf: vf))
        let dmaLines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n").filter { $0.contains(" nic0 dma->link ") }
        #expect(dmaLines.count > 6 && dmaLines.allSatisfy { $0.contains("req=\(BDF(rid))") }, "\(dmaLines.prefix(3))")
        #expect(dmaLines.contains { $0.contains("MRd") } && dmaLines.contains { $0.contains("addr=0xfee01000") })
    }

    @Test("the PF's own queue (the pool after its VFs) interrupts through IVAR0 / IVAR and its own MSI-X table (82576 BAR3, 82599 BAR4), with the PF's RID",
          arguments: ["i82576.toml", "i82599.toml"])
    func pfReceiveInterrupt(_ model: String) throws {
        let bench = try Bench(model)
        let platform = bench.platform
        var pf = try #require(platform.pfDriver(device: "nic0", pf: 0))
        let pool = try #require(platform.pool(device: "nic0", pf: 0, vf: nil))
        let q = bench.nic.registers.ports[0].map.firstQueue(ofPool: pool)
        bench.post(ring: 0x10_0000, buffers: 0x20_0000, count: 8)
        pf.write("RDBAL[\(q)]", 0x10_0000)
        pf.write("RDLEN[\(q)]", 8 * 16)
        pf.write("SRRCTL[\(q)]", try bench.field("SRRCTL[0]", "BSIZEPACKET", 2) | bench.field("SRRCTL[0]", "DESCTYPE", 1))
        pf.write("RXDCTL[\(q)]", try bench.field("RXDCTL[0]", "ENABLE", 1))
        pf.write("RDT[\(q)]", 7)
        // MSI-X on the PF: vector 1 at 0xFEE0_3000 / 0x4061, in the BAR its capability names.
        let rid = try #require(platform.rid(device: "nic0", pf: 0, vf: nil))
        let config = ConfigAccess(simulator: platform.simulator, rootComplex: platform.rootComplex)
        let cap = try #require(config.capability(rid, id: 0x11, extended: false))
        config.write(rid, cap + 2, size: 2, 0x8000)
        let tableBIR = Int((config.read(rid, cap + 4) ?? 0) & 7)
        let functions = platform.state().functions
        let table = try #require(functions.first { $0.name == "nic0.pf0" }?.ranges.first { $0.label == "BAR\(tableBIR)" }).base
        for (offset, value) in [(0x10, 0xFEE0_3000), (0x14, 0), (0x18, 0x4061), (0x1C, 0)] as [(UInt64, UInt32)] { config.memoryWrite(table + offset, value) }
        // IVAR: 82576 IVAR0[q & 7] byte 0 (q < 8); 82599 IVAR[q / 2] byte 0 (q even).
        pf.write(bench.family == "82576" ? "IVAR0[\(q & 7)]" : "IVAR[\(q / 2)]", 0x81)
        pf.write("EIAC", 1 << 1)
        pf.write("EIMS", 1 << 1)
        let mac = platform.macAddress(device: "nic0", pf: 0)
        let port = bench.nic.ports[0], simulator = platform.simulator
        port.receive(DMAPlatformTests.frame(to: mac, from: 0x02_99_00_00_00_01, length: 100, seed: 1), atClock: simulator.now, simulator: simulator)
        bench.settle()
        let messages = platform.rootComplex.interruptMessages
        #expect(messages.count == 1 && messages.first.map { $0.requester == rid && $0.address == 0xFEE0_3000 && $0.data == 0x4061 } == true, "\(messages)")
        #expect(bench.nic.dma.counters(port: 0).receivedFrames == 1 && pf.load("RDH[\(q)]") == 1)
    }
}
