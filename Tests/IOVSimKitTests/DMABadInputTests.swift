import Foundation
import IOVSimKit
import NIC
import PCIe
import RTL
import Testing

/// Bad register contents, descriptors and host answers get the hardware's answer: the queue
/// stops with its enable bit cleared and the error readable and counted, or the frame is
/// dropped and counted; the simulator keeps running and a good queue still works.
@Suite("DMA engine: bad input", .serialized)
struct DMABadInputTests {
    typealias Bench = DMAPlatformTests.Bench

    enum Case: String, CaseIterable, Sendable {
        case zeroRingLength, ringLengthNotMultipleOf128, tailBeyondRing, rxBufferAtZero, rxBufferWraps, txBufferAtZero, txBufferWraps
        case unsupportedRequest, oversizeTransmit
    }

    static let ring: UInt64 = 0x10_0000, buffers: UInt64 = 0x20_0000

    /// VF 1's driver after the bad step: does VF 3's queue still receive?
    static func stillWorks(_ bench: Bench) throws {
        bench.post(ring: 0x50_0000, buffers: 0x60_0000, count: 8)
        try bench.setUpReceive(vf: 3, ring: 0x50_0000, descriptors: 8)
        try bench.write(vf: 3, "RDT", 4)
        let before = bench.nic.dma.counters(port: 0).receivedFrames
        DMAPlatformTests.receiveFrames(bench, vf: 3, count: 2)
        #expect(bench.nic.dma.counters(port: 0).receivedFrames == before + 2, "another VF's queue still works")
    }

    @Test("each bad input: the error state or counter, and the simulator keeps running", arguments: Case.allCases)
    func badInput(_ c: Case) throws {
        let bench = try Bench("i82576.toml")
        let vf = 1
        let enable = try bench.field("RXDCTL[0]", "ENABLE", 1)
        let dma = bench.nic.dma
        let errorsBefore = dma.counters(port: 0).queueErrors
        switch c {
        case .zeroRingLength, .ringLengthNotMultipleOf128:
            bench.post(ring: Self.ring, buffers: Self.buffers, count: 8)
            try bench.setUpReceive(vf: vf, ring: Self.ring, descriptors: 8)   // 128 bytes: fine
            try bench.write(vf: vf, "RXDCTL", 0)
            try bench.write(vf: vf, "RDLEN", c == .zeroRingLength ? 0 : 200)
            try bench.write(vf: vf, "RXDCTL", enable)
            bench.settle()
            #expect(dma.receiveRing(port: 0, queue: vf).failure == .badRingLength)
            #expect(try bench.read(vf: vf, "RXDCTL") & enable == 0, "the enable bit reads 0")
        case .tailBeyondRing:
            bench.post(ring: Self.ring, buffers: Self.buffers, count: 8)
            try bench.setUpReceive(vf: vf, ring: Self.ring, descriptors: 8)
            try bench.write(vf: vf, "RDT", 8)                                    // descriptors 0-7: 8 is beyond
            bench.settle()
            #expect(dma.receiveRing(port: 0, queue: vf).failure == .tailBeyondRing)
            #expect(try bench.read(vf: vf, "RXDCTL") & enable == 0)
        case .rxBufferAtZero, .rxBufferWraps:
            bench.store(Self.ring, AdvancedRxDescriptor(packetAddress: c == .rxBufferAtZero ? 0 : UInt64.max - 40).dwords)
            try bench.setUpReceive(vf: vf, ring: Self.ring, descriptors: 8)
            try bench.write(vf: vf, "RDT", 1)
            DMAPlatformTests.receiveFrames(bench, vf: vf, count: 1)
            #expect(dma.receiveRing(port: 0, queue: vf).failure == .badDescriptor)
            #expect(try bench.read(vf: vf, "RXDCTL") & enable == 0)
            #expect(bench.memory[0] == nil, "nothing was written at address 0")
        case .txBufferAtZero, .txBufferWraps:
            bench.store(Self.ring, AdvancedTxDescriptor.data(address: c == .txBufferAtZero ? 0 : UInt64.max - 40, length: 100, endOfPacket: true,
                                                             reportStatus: true, payloadLength: 100))
            try bench.setUpTransmit(vf: vf, ring: Self.ring, descriptors: 8)
            try bench.write(vf: vf, "TDT", 1)
            bench.settle()
            #expect(dma.transmitRing(port: 0, queue: vf).failure == .badDescriptor)
            #expect(try bench.read(vf: vf, "TXDCTL") & enable == 0)
            #expect(dma.counters(port: 0).transmittedFrames == 0)
        case .unsupportedRequest:
            // The ring lies above host memory: the descriptor fetch completes with UR.
            try bench.setUpReceive(vf: vf, ring: 0x9000_0000, descriptors: 8)
            try bench.write(vf: vf, "RDT", 4)
            bench.settle()
            #expect(dma.receiveRing(port: 0, queue: vf).failure == .unsupportedRequest)
            #expect(try bench.read(vf: vf, "RXDCTL") & enable == 0)
            let rid = try #require(bench.platform.rid(device: "nic0", pf: 0, vf: vf))
            let status = ConfigAccess(simulator: bench.platform.simulator, rootComplex: bench.platform.rootComplex).read(rid, 0x06, size: 2) ?? 0
            #expect(status & 0x2000 != 0, "the VF's Status: Received Master Abort")
        case .oversizeTransmit:
            // 3 x 4000 bytes = 12,000 bytes, beyond the 82576's 9,728: dropped, its descriptors
            // given back; the next frame goes.
            let mac = bench.platform.macAddress(device: "nic0", pf: 0, vf: vf)
            let good = DMAPlatformTests.frame(to: 0x02_77_00_00_00_09, from: mac, length: 100, seed: 1)
            bench.store(Self.buffers, stride(from: 0, to: good.bytes.count, by: 4).map { i in
                (0..<4).reduce(UInt32(0)) { $0 | UInt32(i + $1 < good.bytes.count ? good.bytes[i + $1] : 0) << UInt32(8 * $1) }
            })
            for k in 0..<3 {
                bench.store(Self.ring + UInt64(16 * k), AdvancedTxDescriptor.data(address: Self.buffers, length: 4000, endOfPacket: k == 2, reportStatus: k == 2,
                                                                                   payloadLength: 12000))
            }
            bench.store(Self.ring + 48, AdvancedTxDescriptor.data(address: Self.buffers, length: 100, endOfPacket: true, reportStatus: true, payloadLength: 100))
            var wire: [EthernetFrame] = []
            bench.nic.ports[0].wireTransmitted = { frame, _ in wire.append(frame) }
            try bench.setUpTransmit(vf: vf, ring: Self.ring, descriptors: 8)
            try bench.write(vf: vf, "TDT", 4)
            bench.settle()
            #expect(dma.counters(port: 0).transmitOversize == 1 && wire.map(\.bytes) == [good.bytes])
            #expect(bench.load(Self.ring + 32, dwords: 4)[3] & 1 == 1, "the oversize frame's RS descriptor is written back")
            #expect(try bench.read(vf: vf, "TDH") == 4 && dma.transmitRing(port: 0, queue: vf).enabled)
        }
        if c != .oversizeTransmit { #expect(dma.counters(port: 0).queueErrors == errorsBefore + 1, "the error is counted once") }
        try Self.stillWorks(bench)
    }
}
