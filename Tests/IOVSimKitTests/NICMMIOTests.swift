import Foundation
import IOVSimKit
import NIC
import PCIe
import RTL
import Testing

/// The NIC's registers reached the way a driver reaches them: memory TLPs from the CPU through
/// the root complex and the root port to the PF's BAR0, on the 82576 platform after bring-up.
@Suite("NIC registers by MMIO", .serialized)
struct NICMMIOTests {
    final class Host {
        let platform: Platform
        let registers: NICRegisters
        let bar0: UInt64
        var tag: UInt8 = 0

        init() throws {
            platform = try Platform(model: try ModelLoader.load(path: Repository.model("i82576.toml")))
            platform.bringUp()
            registers = NICRegisters(map: .i82576, pfs: 2)
            platform.endpoints["nic0"]!.registers = registers
            let pf0 = try #require(platform.state().functions.first { $0.name == "nic0.pf0" })
            bar0 = try #require(pf0.ranges.first { $0.label == "BAR0" }).base
        }

        func offset(_ name: String) -> UInt64 { UInt64(RegisterMap.i82576.register(named: name)!.offset) }

        /// A posted write of one DW; a few clocks for it to land.
        func write(_ name: String, _ value: UInt32, byteEnables: UInt8 = 0xF) {
            platform.rootComplex.submit(TLP(kind: .memoryWrite, requesterID: 0, length: 1, firstBE: byteEnables, address: bar0 + offset(name),
                                            payload: [value]), simulator: platform.simulator)
            platform.simulator.run(clocks: 100)
        }

        /// A read of one DW: its completion.
        func read(_ name: String, byteEnables: UInt8 = 0xF) throws -> TLP {
            tag &+= 1
            platform.rootComplex.cpuInbox.removeAll()
            platform.rootComplex.submit(TLP(kind: .memoryRead, requesterID: 0, tag: tag, length: 1, firstBE: byteEnables, address: bar0 + offset(name)),
                                        simulator: platform.simulator)
            platform.simulator.run(clocks: 200)
            return try #require(platform.rootComplex.cpuInbox.first { $0.tag == tag })
        }
    }

    @Test("writes land in the register file with their byte enables; reads come back as CplD from the PF; read-only registers keep their value")
    func readWrite() throws {
        let host = try Host()
        host.write("RAL[3]", 0x0000_0002)
        host.write("RAH[3]", 0x0300 | 1 << (18 + 3) | 1 << 31)
        let cpl = try host.read("RAH[3]")
        #expect(cpl.kind == .completionWithData && cpl.status == .successful)
        #expect(cpl.payload == [0x0300 | 1 << 21 | 1 << 31])
        #expect(cpl.targetID == host.platform.endpoints["nic0"]!.device.rid(ofPF: 0), "completed by the PF")
        host.write("RLPML", 0x1234_5678, byteEnables: 0b0011)
        #expect(try host.read("RLPML").payload == [0x1678], "bytes 0-1 written; RLPML is 14 bits")
        #expect(try host.read("RLPML", byteEnables: 0b0001).payload == [0x78], "a 1-byte read returns that byte")
        host.write("STATUS", 0xFFFF_FFFF)
        #expect(try host.read("STATUS").payload == [0])
        // The VF is pool 3's MAC 02:00:00:00:00:03 now: the sorter, on what the writes set.
        host.write("VFRE", 0xFF)
        let tables = host.registers.ports[0].filterTables
        let decision = L2Sorter.receive(FrameHeader(destination: Bits(0x02_00_00_00_00_03), source: 0, tagged: 0, vlanID: 0, length: 64), tables)
        #expect(decision.pools.value == 1 << 3)
        // PF 1's registers are its own.
        #expect(host.registers.ports[1].peek("RAH[3]") == 0)
    }

    @Test("a VF's BAR0 reaches its own pool's registers through the VF window: queue 0 of its view is the PF's queue n")
    func vfWindow() throws {
        let host = try Host()
        let vf1 = try #require(host.platform.state().functions.first { $0.name == "nic0.pf0.vf1" })
        let bar0 = try #require(vf1.ranges.first { $0.label == "VF BAR0" }).base
        func send(_ tlp: TLP) {
            host.platform.rootComplex.submit(tlp, simulator: host.platform.simulator)
            host.platform.simulator.run(clocks: 200)
        }
        send(TLP(kind: .memoryWrite, requesterID: 0, length: 1, address: bar0 + 0x2818, payload: [0x40]))   // RDT of its queue 0
        send(TLP(kind: .memoryWrite, requesterID: 0, length: 1, address: bar0 + 0x0C40, payload: [0x1]))    // V2PMAILBOX REQ
        send(TLP(kind: .memoryWrite, requesterID: 0, length: 1, address: bar0 + 0x0008, payload: [0xFFFF]))  // STATUS: read-only
        send(TLP(kind: .memoryWrite, requesterID: 0, length: 1, address: bar0 + 0x5400, payload: [0xFFFF]))  // not in the view
        let port = host.registers.ports[0]
        #expect(port.peek("RDT[1]") == 0x40 && port.peek("RDT[0]") == 0 && port.peek("RDT[9]") == 0)
        #expect(port.peek("MBVFICR", field: "VFREQ") == 1 << 1, "VF 1's REQ reached the PF's cause register, not VF 0's")
        #expect(port.peek("RAL[0]") == 0)
        host.platform.rootComplex.cpuInbox.removeAll()
        send(TLP(kind: .memoryRead, requesterID: 0, tag: 9, length: 1, address: bar0 + 0x2818))
        let cpl = try #require(host.platform.rootComplex.cpuInbox.first { $0.tag == 9 })
        #expect(cpl.payload == [0x40])
        #expect(cpl.targetID == vf1.rid, "completed by the VF")
    }
}
