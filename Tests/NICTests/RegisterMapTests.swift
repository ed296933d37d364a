import NIC
import RTL
import Testing

extension PFDriver where Access == RegisterFile {
    /// A driver on a bare register file (no bus): the unit tests' set-up.
    init(_ map: RegisterMap) { self.init(RegisterFile(map: map)) }
    var file: RegisterFile { access }
}

@Suite("NIC register maps")
struct RegisterMapTests {
    @Test("both maps build (no two registers share an offset or a name) with the parts' offsets")
    func offsets() {
        let a = RegisterMap.i82576, b = RegisterMap.i82599
        // sriov-facts §1.3, §4.7 and the Linux headers.
        for (map, name, offset) in [(a, "RCTL", 0x0100), (a, "VFRE", 0x0C8C), (a, "VFTE", 0x0C90), (a, "DTXSWC", 0x3500), (a, "VMVIR[0]", 0x3700),
                                    (a, "RAL[16]", 0x54E0), (a, "VT_CTL", 0x581C), (a, "VMOLR[0]", 0x5AD0), (a, "VLVF[31]", 0x5D7C),
                                    (a, "VMBMEM[16]", 0x0840), (a, "P2VMAILBOX[7]", 0x0C1C),
                                    (b, "VT_CTL", 0x51B0), (b, "VFRE[1]", 0x51E4), (b, "VFTE[0]", 0x8110), (b, "PFVFSPOOF[7]", 0x821C),
                                    (b, "PFDTXGSWC", 0x8220), (b, "RAL[127]", 0xA200 + 8 * 127), (b, "MPSAR_HI[0]", 0xA604),
                                    (b, "VMOLR[63]", 0xF0FC), (b, "VLVF[0]", 0xF100), (b, "VLVFB[127]", 0xF3FC), (b, "UTA[0]", 0xF400),
                                    (b, "PFMBMEM[16]", 0x13040), (b, "PFMAILBOX[63]", 0x4BFC)] {
            #expect(map.register(named: name)?.offset == offset, "\(map.family) \(name)")
        }
        #expect(a.registers.filter { $0.name.hasPrefix("RAL[") }.count == 24)
        #expect(b.registers.filter { $0.name.hasPrefix("RAL[") && $0.writeAction == .store }.count == 128)
        #expect(b.registers.filter { $0.name.hasPrefix("RAL[") && $0.writeAction != .store }.count == 16, "aliases at 0x5400")
        #expect(a.pools == 8 && b.pools == 64)
    }

    @Test("access kinds: RW, RO ignores writes, RW1C clears by ones, read-to-clear, EIMS/EIMC and EICS act on their target, byte enables")
    func access() {
        var f = RegisterFile(map: .i82576)
        func at(_ name: String) -> Int { f.map.register(named: name)!.offset }
        f.write(offset: at("STATUS"), value: 0xFFFF_FFFF)
        #expect(f.read(offset: at("STATUS")) == 0, "RO")
        f.write(offset: at("VT_CTL"), value: 0xFFFF_FFFF)
        #expect(f.read(offset: at("VT_CTL")) == 0x7000_0380, "only the defined fields hold bits")
        f.write(offset: at("EIMS"), value: 0b1010)
        f.write(offset: at("EIMS"), value: 0b0100)
        #expect(f.read(offset: at("EIMS")) == 0b1110, "EIMS sets, reads the mask")
        f.write(offset: at("EIMC"), value: 0b0010)
        #expect(f.read(offset: at("EIMS")) == 0b1100 && f.read(offset: at("EIMC")) == 0, "EIMC clears, reads 0")
        f.write(offset: at("EICS"), value: 0x30)
        #expect(f.peek("EICR") == 0x30, "EICS sets causes in EICR")
        f.write(offset: at("EICR"), value: 0x10)
        #expect(f.peek("EICR") == 0x20, "EICR: write 1 to clear")
        f.hardwareStore(index: f.map.index(named: "WVBR")!, 0x0101)
        #expect(f.read(offset: at("WVBR")) == 0x0101 && f.read(offset: at("WVBR")) == 0, "WVBR clears on read")
        f.write(offset: at("RLPML"), value: 0x1234, byteEnables: 0b0001)
        #expect(f.peek("RLPML") == 0x34, "only byte 0 written")
        #expect(f.read(offset: 0x7FFC) == 0, "no register there")
        // The 82599's first 16 receive addresses answer at 0x5400 too (IXGBE_RAL(i), i <= 15).
        var x = RegisterFile(map: .i82599)
        x.write(offset: 0x5404 + 8 * 3, value: 0x8000_0102)
        #expect(x.peek("RAH[3]") == 0x8000_0102)
        #expect(x.read(offset: 0xA204 + 8 * 3) == 0x8000_0102 && x.read(offset: 0x5404 + 8 * 3) == 0x8000_0102)
        x.write(offset: 0x5404 + 8 * 3, value: 0x7FFF_0000)
        #expect(x.peek("RAH[3]") == 0, "the alias applies the target's fields: bits 30:16 are not RAH's")
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let family: String
        let name: String
        var testDescription: String { "\(family): \(name)" }
    }

    static let cases = ["unicast", "unknown unicast", "broadcast", "multicast", "vlan", "untagged", "vfre", "oversize"]
        .flatMap { name in ["82576", "82599"].map { Case(family: $0, name: name) } }

    /// VF n's MAC 02:00:00:00:00:0n selects pool n; the PF is the last pool and the default.
    @Test("the sorter's case table, set up by register writes at each part's offsets", arguments: cases)
    func sortingThroughRegisters(_ c: Case) async {
        let map = c.family == "82576" ? RegisterMap.i82576 : RegisterMap.i82599
        var d = PFDriver(map)
        let pf = map.pools - 1
        for vf in 0..<7 { d.receiveAddress(vf, mac: 0x02_00_00_00_00_00 | UInt64(vf), pools: 1 << UInt64(vf)) }
        d.receiveAddress(7, mac: 0x00_1b_21_4c_8a_10, pools: 1 << UInt64(pf))
        await d.set("VT_CTL", "DEF_PL", UInt32(pf))
        d.receiveEnable(map.pools == 64 ? ~0 : 0xFF)
        if map.family == "82599" { await d.set("MAXFRS", "MFS", 1518) }
        func sort(_ frame: FrameHeader<Concrete>) -> ([Int], L2Sorter.DropReason) {
            let decision = L2Sorter.receive(frame, d.file.filterTables)
            return (Port.pools(decision.pools), L2Sorter.DropReason(rawValue: decision.dropReason.value)!)
        }
        let vf = { (n: Int) in UInt64(0x02_00_00_00_00_00 | n) }
        switch c.name {
        case "unicast":
            #expect(sort(Port.frame(to: vf(3))) == ([3], .delivered))
        case "unknown unicast":
            #expect(sort(Port.frame(to: 0x02_aa_bb_cc_dd_ee)) == ([pf], .delivered))
            await d.set("VT_CTL", "DIS_DEF_POOL", 1)
            #expect(sort(Port.frame(to: 0x02_aa_bb_cc_dd_ee)) == ([], .noMatch))
        case "broadcast":
            await d.poolOption(1, "BAM")
            await d.poolOption(4, "BAM")
            #expect(sort(Port.frame(to: 0xFFFF_FFFF_FFFF)) == ([1, 4], .delivered))
        case "multicast":
            await d.poolOption(2, "ROMPE")
            await d.poolOption(5, "MPME")
            #expect(sort(Port.frame(to: 0x01_00_5e_00_00_fb)) == ([5], .delivered))
            await d.multicastHash(0xfb0)
            #expect(sort(Port.frame(to: 0x01_00_5e_00_00_fb)) == ([2, 5], .delivered))
        case "vlan":
            await d.vlanFiltering(true)
            d.vlanFilter(0, vlan: 100, pools: 1 << 3)
            d.vlanFilter(1, vlan: 200, pools: 1 << 4)
            #expect(sort(Port.frame(to: vf(3), vlan: 100)) == ([3], .delivered))
            #expect(sort(Port.frame(to: vf(3), vlan: 200)) == ([pf], .delivered))
            await d.set("VT_CTL", "DIS_DEF_POOL", 1)
            #expect(sort(Port.frame(to: vf(3), vlan: 200)) == ([], .vlanFilter))
        case "untagged":
            await d.vlanFiltering(true)
            await d.set("VT_CTL", "DIS_DEF_POOL", 1)
            #expect(sort(Port.frame(to: vf(2))) == ([], .vlanFilter))
            await d.poolOption(2, "AUPE")
            #expect(sort(Port.frame(to: vf(2))) == ([2], .delivered))
        case "vfre":
            d.receiveEnable((map.pools == 64 ? ~0 : 0xFF) & ~(1 << 6))
            #expect(sort(Port.frame(to: vf(6))) == ([], .receiveDisabled))
        default:  // oversize
            #expect(sort(Port.frame(to: vf(1), length: 1518)) == ([1], .delivered))
            #expect(sort(Port.frame(to: vf(1), length: 1519)) == ([], .oversize))
            if map.family == "82576" {
                // RCTL.LPE with RLPML for the port, VMOLR.LPE with its RLPML for the pool.
                await d.set("RCTL", "LPE", 1)
                await d.set("RLPML", "RLPML", 9018)
                #expect(sort(Port.frame(to: vf(1), length: 9000)) == ([], .poolSizeLimit))
                await d.set("VMOLR[1]", "LPE", 1)
                await d.set("VMOLR[1]", "RLPML", 9018)
            } else {
                // HLREG0.JUMBOEN with MAXFRS.MFS: one limit for the port and every pool.
                await d.set("HLREG0", "JUMBOEN", 1)
                await d.set("MAXFRS", "MFS", 9018)
            }
            #expect(sort(Port.frame(to: vf(1), length: 9000)) == ([1], .delivered))
            #expect(sort(Port.frame(to: vf(1), length: 9019)) == ([], .oversize))
        }
    }

    @Test("anti-spoofing and VM-to-VM switching set up by register writes (DTXSWC; PFVFSPOOF, PFDTXGSWC)", arguments: ["82576", "82599"])
    func transmitThroughRegisters(family: String) async {
        let map = family == "82576" ? RegisterMap.i82576 : RegisterMap.i82599
        var d = PFDriver(map)
        for vf in 0..<3 { d.receiveAddress(vf, mac: 0x02_00_00_00_00_00 | UInt64(vf), pools: 1 << UInt64(vf)) }
        d.receiveEnable(0x7)
        if family == "82576" { d.write("VFTE", 0x7) } else { d.write("VFTE[0]", 0x7) }
        await d.set("VT_CTL", "DIS_DEF_POOL", 1)
        if family == "82599" { await d.set("MAXFRS", "MFS", 1518) }
        func send(_ frame: FrameHeader<Concrete>, from pool: Int) -> (Bool, [Int], TransmitSwitch.DropReason) {
            let decision = TransmitSwitch.transmit(frame, pool: Bits(UInt64(pool)), d.file.filterTables, d.file.transmitSettings)
            return (decision.toWire.isSet, Port.pools(decision.localPools), TransmitSwitch.DropReason(rawValue: decision.dropReason.value)!)
        }
        let spoofed = Port.frame(to: 0x02_00_00_00_00_02, from: 0x02_00_00_00_00_00)
        #expect(send(spoofed, from: 1) == (true, [], .sent))
        if family == "82576" { await d.set("DTXSWC", "MAC_SPOOF", 0b10) } else { await d.set("PFVFSPOOF[0]", "MACAS", 0b10) }
        #expect(send(spoofed, from: 1) == (false, [], .macSpoof))
        let honest = Port.frame(to: 0x02_00_00_00_00_02, from: 0x02_00_00_00_00_01)
        #expect(send(honest, from: 1) == (true, [], .sent))
        if family == "82576" { await d.set("DTXSWC", "VMDQ_LOOPBACK_EN", 1) } else { await d.set("PFDTXGSWC", "VT_LBEN", 1) }
        #expect(send(honest, from: 1) == (false, [2], .sent), "VF 1 to VF 2 stays inside the port")
    }
}
