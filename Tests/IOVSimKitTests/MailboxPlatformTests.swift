import Foundation
import Host
import IOVSimKit
import NIC
import PCIe
import RTL
import Testing

/// The PF/VF mailbox on the platform, by the register protocol of Linux's e1000_mbx.c /
/// ixgbe_mbx.c: the PF through its BAR0, each VF through its own, every access an MMIO TLP.
@Suite("Mailbox on the platform", .serialized)
struct MailboxPlatformTests {
    typealias Bench = DMAPlatformTests.Bench

    /// The two ends of VF `n`'s mailbox, with the bits from the register map's fields.
    struct Ends {
        let bench: Bench
        let n: Int
        var i82576: Bool { bench.family == "82576" }
        var pf: PFDriver<MMIOAccess>
        var vfMailbox: String { "MAILBOX" }
        var pfMailbox: String { i82576 ? "P2VMAILBOX[\(n)]" : "PFMAILBOX[\(n)]" }
        var cause: String { i82576 ? "MBVFICR" : "PFMBICR[0]" }
        var reset: String { i82576 ? "VFLRE" : "VFLREC[0]" }
        func memory(_ k: Int) -> String { i82576 ? "VMBMEM[\(16 * n + k)]" : "PFMBMEM[\(16 * n + k)]" }
        func bit(_ register: String, _ field: String) throws -> UInt32 {
            try #require(bench.nic.registers.ports[0].map.register(named: register)?.field(field)).mask
        }
        func vfBit(_ field: String) throws -> UInt32 { try bit(i82576 ? "V2PMAILBOX[0]" : "VFMAILBOX[0]", field) }
        func pfBit(_ field: String) throws -> UInt32 { try bit(pfMailbox, field) }
        /// VFREQ / VFACK of this VF in the PF's cause register.
        var requestBit: UInt32 { 1 << UInt32(n % 16) }
        var ackBit: UInt32 { 1 << UInt32(16 + n % 16) }

        init(_ bench: Bench, vf n: Int) throws {
            self.bench = bench
            self.n = n
            pf = try #require(bench.platform.pfDriver(device: "nic0", pf: 0))
        }

        /// The VF sends `words` (e1000_write_mbx_vf): take VFU, check it, copy, write REQ (which drops VFU).
        func vfSend(_ words: [UInt32]) throws {
            try bench.writeView(vf: n, vfMailbox, try vfBit("VFU"))
            #expect(try bench.readView(vf: n, vfMailbox) & vfBit("VFU") != 0, "VF \(n) holds the buffer")
            let base = try #require(VFRegisterWindow.viewOffsets(family: bench.family)["MBMEM"])
            var access = try #require(bench.platform.vfAccess(device: "nic0", pf: 0, vf: n))
            for (k, word) in words.enumerated() { access.write(offset: base + 4 * k, value: word) }
            try bench.writeView(vf: n, vfMailbox, try vfBit("REQ"))
        }

        /// The PF reads VF `n`'s message (e1000_read_mbx_pf): take PFU, copy, write ACK (dropping PFU).
        mutating func pfReceive(words: Int) async throws -> [UInt32] {
            #expect(await pf.read(cause) & requestBit != 0, "VFREQ for VF \(n)")
            pf.write(cause, requestBit)                                  // write 1 to clear
            pf.write(pfMailbox, try pfBit("PFU"))
            #expect(await pf.read(pfMailbox) & (try pfBit("PFU")) != 0, "the PF holds the buffer")
            var message: [UInt32] = []
            for k in 0..<words { message.append(await pf.read(memory(k))) }
            pf.write(pfMailbox, try pfBit("ACK"))
            return message
        }

        /// The PF replies (e1000_write_mbx_pf): take PFU, copy, write STS.
        mutating func pfSend(_ words: [UInt32]) throws {
            pf.write(pfMailbox, try pfBit("PFU"))
            for (k, word) in words.enumerated() { pf.write(memory(k), word) }
            pf.write(pfMailbox, try pfBit("STS"))
        }

        /// The VF reads the reply: PFSTS is set (and clears on the read), take VFU, copy, ACK.
        func vfReceive(words: Int) throws -> [UInt32] {
            let status = try bench.readView(vf: n, vfMailbox)
            #expect(status & (try vfBit("PFSTS")) != 0, "PFSTS")
            #expect(try bench.readView(vf: n, vfMailbox) & (try vfBit("PFSTS")) == 0, "PFSTS clears on read")
            try bench.writeView(vf: n, vfMailbox, try vfBit("VFU"))
            let base = try #require(VFRegisterWindow.viewOffsets(family: bench.family)["MBMEM"])
            var access = try #require(bench.platform.vfAccess(device: "nic0", pf: 0, vf: n))
            let words = (0..<words).map { access.read(offset: base + 4 * $0) }
            try bench.writeView(vf: n, vfMailbox, try vfBit("ACK"))
            return words
        }
    }

    @Test("reset and set-MAC messages between the PF and two VFs by the register protocol: REQ/ACK/STS, VFU/PFU never both, read-to-clear PFSTS/PFACK/RSTD, VFLRE after a VF FLR, the VF's mailbox interrupt",
          arguments: ["i82576.toml", "i82599.toml"])
    func exchange(_ model: String) async throws {
        let bench = try Bench(model)
        let rc = bench.platform.rootComplex
        // VF 1's mailbox interrupt: vector 2 (IVAR_MISC), as igbvf/ixgbevf set it up.
        try bench.msixControl(vf: 1, enable: true, functionMask: false)
        try bench.writeBAR(vf: 1, bar: 3, offset: 0x20, 0xFEE0_2000)
        try bench.writeBAR(vf: 1, bar: 3, offset: 0x28, 0x4052)
        try bench.writeBAR(vf: 1, bar: 3, offset: 0x2C, 0)
        try bench.writeView(vf: 1, "IVAR_MISC", 0x82)
        try bench.writeView(vf: 1, "EIMS", 1 << 2)

        for (vf, mac) in [(1, 0x02_00_00_00_00_01 as UInt64), (2, 0x02_00_00_00_00_02)] {
            var ends = try Ends(bench, vf: vf)
            // The PF driver said it is up (CTRL_EXT.PFRSTD at set-up): RSTI is clear.
            #expect(try bench.readView(vf: vf, "MAILBOX") & ends.vfBit("RSTI") == 0)
            // VF reset (igbvf e1000_reset_hw_vf): CTRL.RST, then RSTD says the reset is done;
            // RSTD clears on read. The PF sees the VF's reset in VFLRE and clears it.
            try bench.writeView(vf: vf, "CTRL", ends.bit(ends.i82576 ? "PVTCTRL[0]" : "VFCTRL[0]", "RST"))
            #expect(try bench.readView(vf: vf, "MAILBOX") & ends.vfBit("RSTD") != 0, "RSTD after the VF's reset")
            #expect(try bench.readView(vf: vf, "MAILBOX") & ends.vfBit("RSTD") == 0, "RSTD clears on read")
            #expect(await ends.pf.read(ends.reset) & 1 << UInt32(vf) != 0, "the PF sees VF \(vf)'s reset")
            ends.pf.write(ends.reset, 1 << UInt32(vf))
            #expect(await ends.pf.read(ends.reset) & 1 << UInt32(vf) == 0)

            // VF_RESET (0x01): the PF answers VF_RESET|ACK with the VF's MAC in words 1-2.
            try ends.vfSend([0x0000_0001])
            #expect(try await ends.pfReceive(words: 1) == [0x1])
            let ackRead = try bench.readView(vf: vf, "MAILBOX")
            #expect(try ackRead & ends.vfBit("PFACK") != 0, "PFACK after the PF read the message")
            #expect(try bench.readView(vf: vf, "MAILBOX") & ends.vfBit("PFACK") == 0, "PFACK clears on read")
            let macLow = UInt32(truncatingIfNeeded: mac >> 16).byteSwapped, macHigh = UInt32(mac & 0xFFFF).byteSwapped >> 16
            try ends.pfSend([0x8000_0001, macLow, macHigh])
            #expect(try ends.vfReceive(words: 3) == [0x8000_0001, macLow, macHigh])
            #expect(await ends.pf.read(ends.cause) & ends.ackBit != 0, "VFACK: the VF took the reply")
            ends.pf.write(ends.cause, ends.ackBit)

            // SET_MAC_ADDR (0x02) with a new MAC, answered with ACK (and CTS).
            try ends.vfSend([0x0000_0002, 0x1100_0002, 0x0000_5544])
            #expect(try await ends.pfReceive(words: 3) == [0x2, 0x1100_0002, 0x5544])
            try ends.pfSend([0xA000_0002])
            #expect(try ends.vfReceive(words: 1) == [0xA000_0002])

            // VFU and PFU are never both granted.
            try bench.writeView(vf: vf, "MAILBOX", ends.vfBit("VFU"))
            ends.pf.write(ends.pfMailbox, try ends.pfBit("PFU"))
            #expect(await ends.pf.read(ends.pfMailbox) & (try ends.pfBit("PFU")) == 0, "PFU refused while the VF holds the buffer")
            #expect(await ends.pf.read(ends.pfMailbox) & (try ends.pfBit("VFU")) != 0)
            ends.pf.write(ends.pfMailbox, try ends.pfBit("RVFU"))               // the PF takes it back from a stuck VF
            #expect(try bench.readView(vf: vf, "MAILBOX") & ends.vfBit("VFU") == 0)
        }
        bench.settle()
        let rid1 = try #require(bench.platform.rid(device: "nic0", pf: 0, vf: 1))
        let vf1Interrupts = rc.interruptMessages.filter { $0.requester == rid1 && $0.address == 0xFEE0_2000 && $0.data == 0x4052 }
        #expect(vf1Interrupts.count >= 2, "VF 1's mailbox vector fired for the PF's ACK and STS")

        // A Function Level Reset of VF 2 (config write, Initiate FLR) tells the PF in VFLRE and
        // stops its queues.
        try bench.setUpReceive(vf: 2, ring: 0x10_0000, descriptors: 8)
        #expect(try bench.read(vf: 2, "RXDCTL") & bench.field("RXDCTL[0]", "ENABLE", 1) != 0)
        let rid2 = try #require(bench.platform.rid(device: "nic0", pf: 0, vf: 2))
        let config = ConfigAccess(simulator: bench.platform.simulator, rootComplex: rc)
        let pcie = try #require(config.capability(rid2, id: 0x10, extended: false))
        config.write(rid2, pcie + 8, size: 2, 0x8000)
        bench.settle()
        var pf = try #require(bench.platform.pfDriver(device: "nic0", pf: 0))
        #expect(await pf.read(bench.family == "82576" ? "VFLRE" : "VFLREC[0]") & 1 << 2 != 0, "VFLRE after VF 2's FLR")
        #expect(bench.nic.dma.receiveRing(port: 0, queue: bench.family == "82576" ? 2 : 4).enabled == false)
        let enable = try bench.field("RXDCTL[0]", "ENABLE", 1)
        #expect(await pf.read(bench.family == "82576" ? "RXDCTL[2]" : "RXDCTL[4]") & enable == 0, "its queue's enable bit cleared")
    }

    @Test("no offset of a VF's BAR0 reaches another VF's mailbox memory or mailbox register (every VF, every dword offset, both parts)",
          arguments: ["82576", "82599"])
    func mailboxIsolation(_ family: String) throws {
        let map = family == "82576" ? RegisterMap.i82576 : RegisterMap.i82599
        var reached = Array(repeating: Set<String>(), count: map.pools)
        for vf in 0..<map.pools {
            for offset in stride(from: 0, to: 0x4000, by: 4) {
                let t = family == "82576" ? VFRegisterWindow.i82576(vf: Bits<Concrete, 3>(UInt64(vf)), offset: Bits(UInt64(offset)))
                    : VFRegisterWindow.i82599(vf: Bits<Concrete, 6>(UInt64(vf)), offset: Bits(UInt64(offset)))
                guard t.hit.isSet, let name = map.register(at: Int(t.pfOffset.value))?.name else { continue }
                for prefix in ["VMBMEM[", "PFMBMEM["] where name.hasPrefix(prefix) {
                    let index = Int(name.dropFirst(prefix.count).dropLast())!
                    #expect(index / 16 == vf, "VF \(vf) offset 0x\(String(offset, radix: 16)) reaches \(name)")
                    reached[vf].insert(name)
                }
                for prefix in ["V2PMAILBOX[", "VFMAILBOX[", "P2VMAILBOX[", "PFMAILBOX["] where name.hasPrefix(prefix) {
                    #expect(name == "\(prefix)\(vf)]" && !prefix.hasPrefix("P"), "VF \(vf) offset 0x\(String(offset, radix: 16)) reaches \(name)")
                    reached[vf].insert(name)
                }
            }
        }
        #expect(reached.allSatisfy { $0.count == 17 }, "each VF reaches its 16 mailbox dwords and its mailbox register")
    }

    @Test("the PF driver's mailbox service and its policy: nothing before VF_RESET, the VF's MAC in the reset reply, an untrusted VF may not take another function's MAC nor go promiscuous, a trusted one may; an accepted SET_MAC_ADDR moves the VF's receive address",
          arguments: ["i82576.toml", "i82599.toml"])
    func policy(_ model: String) async throws {
        let bench = try Bench(model)
        let platform = bench.platform
        let vfs = try #require(platform.pool(device: "nic0", pf: 0, vf: nil))
        var service = PFMailboxService(driver: try #require(platform.pfDriver(device: "nic0", pf: 0)), pfMAC: platform.macAddress(device: "nic0", pf: 0),
                                       vfMACs: (0..<vfs).map { platform.macAddress(device: "nic0", pf: 0, vf: $0) })
        service.trusted = [2]
        typealias S = PFMailboxService<MMIOAccess>
        let nack = S.nack, ack = S.ack, cts = S.clearToSend
        /// VF `vf` sends `words`, the PF services its mailbox, the VF reads `count` reply words.
        func exchange(_ vf: Int, _ words: [UInt32], reply count: Int = 1) async throws -> [UInt32] {
            let ends = try Ends(bench, vf: vf)
            try ends.vfSend(words)
            #expect(await service.service() == 1)
            return try ends.vfReceive(words: count)
        }
        func macWords(_ mac: UInt64) -> [UInt32] {
            let b = (0..<6).map { UInt32(mac >> UInt64(40 - 8 * $0) & 0xFF) }
            return [b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24, b[4] | b[5] << 8]
        }
        let vf1MAC = platform.macAddress(device: "nic0", pf: 0, vf: 1), vf2MAC = platform.macAddress(device: "nic0", pf: 0, vf: 2)
        #expect(try await exchange(1, [0x02] + macWords(0x02_00_00_00_00_77)) == [0x02 | nack], "not clear to send before VF_RESET")
        #expect(try await exchange(1, [0x01], reply: 3) == [0x01 | ack | cts] + macWords(vf1MAC), "VF_RESET: ACK, CTS and the VF's MAC")
        #expect(try await exchange(1, [0x02] + macWords(vf2MAC)) == [0x02 | nack | cts], "an untrusted VF may not take VF 2's MAC")
        #expect(try await exchange(1, [0x02] + macWords(platform.macAddress(device: "nic0", pf: 0))) == [0x02 | nack | cts], "nor the PF's")
        #expect(try await exchange(1, [0x06]) == [0x06 | nack | cts], "nor go promiscuous")
        #expect(try await exchange(1, [0x02] + macWords(0x02_00_00_00_00_77)) == [0x02 | ack | cts], "a MAC nobody has")
        // The sorter follows: frames to the new MAC reach pool 1.
        let port = bench.nic.ports[0], before = port.poolFrames[1]
        port.receive(DMAPlatformTests.frame(to: 0x02_00_00_00_00_77, from: 0x02_99_00_00_00_01, length: 60, seed: 1), atClock: platform.simulator.now,
                     simulator: platform.simulator)
        bench.settle()
        #expect(port.poolFrames[1] == before + 1, "the VF's receive address moved")
        // VF 2 is trusted.
        #expect(try await exchange(2, [0x01], reply: 3) == [0x01 | ack | cts] + macWords(vf2MAC))
        #expect(try await exchange(2, [0x06]) == [0x06 | ack | cts], "a trusted VF may go promiscuous")
        #expect(bench.nic.registers.ports[0].peek("VMOLR[2]", field: "ROPE") == 1)
    }
}
