import NIC
import RTL
import Testing

/// The transmit checks and VM-to-VM switching of one port: VF n is pool n with MAC
/// 02:00:00:00:00:0n and VLAN 100 + n.
@Suite("Transmit switch")
struct TransmitSwitchTests {
    static func port(pools: Int) -> (FilterTables<C>, TransmitSwitch.Settings<C>) {
        var t = Port.empty(pools: pools)
        t.receiveAddresses = (0..<4).map { .init(address: Bits(0x02_00_00_00_00_00 | UInt64($0)), valid: 1, pools: Port.bit($0)) }
        t.vlanFilters = (0..<4).map { .init(vlanID: Bits(100 + UInt64($0)), valid: 1, pools: Port.bit($0)) }
        t.vlanFilterEnable = 1
        t.acceptUntagged = Bits(0xF)
        t.acceptBroadcast = Port.bit(1) | Port.bit(2) | Port.bit(3)
        t.disableDefaultPool = 1
        let settings = TransmitSwitch.Settings<C>(transmitEnable: Bits(0xF), macAntiSpoof: 0, vlanAntiSpoof: 0, loopbackEnable: 0,
                                                  vlanInsert: Array(repeating: 0, count: pools))
        return (t, settings)
    }

    static func mac(_ vf: Int) -> UInt64 { 0x02_00_00_00_00_00 | UInt64(vf) }

    static func send(_ frame: FrameHeader<C>, from pool: Int, _ t: FilterTables<C>, _ s: TransmitSwitch.Settings<C>)
        -> (wire: Bool, local: [Int], reason: TransmitSwitch.DropReason, spoofed: Bool) {
        let d = TransmitSwitch.transmit(frame, pool: Bits(UInt64(pool)), t, s)
        return (d.toWire.isSet, Port.pools(d.localPools), TransmitSwitch.DropReason(rawValue: d.dropReason.value)!, d.spoofed.isSet)
    }

    @Test("a VF sending with another VF's source MAC: dropped with the event when MAC anti-spoofing is on, sent when off", arguments: [8, 64])
    func macSpoof(pools: Int) {
        var (t, s) = Self.port(pools: pools)
        let spoofed = Port.frame(to: 0x02_aa_00_00_00_01, from: Self.mac(2))
        #expect(Self.send(spoofed, from: 1, t, s) == (true, [], .sent, false), "checking off")
        s.macAntiSpoof = Port.bit(1)
        #expect(Self.send(spoofed, from: 1, t, s) == (false, [], .macSpoof, true))
        #expect(Self.send(Port.frame(to: 0x02_aa_00_00_00_01, from: Self.mac(1)), from: 1, t, s) == (true, [], .sent, false), "its own MAC")
        // The check follows the pool bitmaps: give VF 1 a second address and it may use it.
        t.receiveAddresses.append(.init(address: Bits(0x02_bb_00_00_00_01), valid: 1, pools: Port.bit(1)))
        #expect(Self.send(Port.frame(to: 0x02_aa_00_00_00_01, from: 0x02_bb_00_00_00_01), from: 1, t, s).reason == .sent)
    }

    @Test("a VF sending in a VLAN not its own: dropped with the event when VLAN anti-spoofing is on, sent when off", arguments: [8, 64])
    func vlanSpoof(pools: Int) {
        var (t, s) = Self.port(pools: pools)
        let foreign = Port.frame(to: 0x02_aa_00_00_00_01, from: Self.mac(1), vlan: 102)
        #expect(Self.send(foreign, from: 1, t, s).reason == .sent)
        s.vlanAntiSpoof = Port.bit(1)
        #expect(Self.send(foreign, from: 1, t, s) == (false, [], .vlanSpoof, true))
        #expect(Self.send(Port.frame(to: 0x02_aa_00_00_00_01, from: Self.mac(1), vlan: 101), from: 1, t, s).reason == .sent)
        // Port VLAN: VMVIR VLANA_DEFAULT tags every frame with VLAN 101, whatever the VF sent.
        s.vlanInsert[1] = Bits(1 << 30 | 101)
        let untagged = TransmitSwitch.transmit(Port.frame(to: 0x02_aa_00_00_00_01, from: Self.mac(1), length: 100), pool: 1, t, s)
        #expect(untagged.frame.tagged.isSet && untagged.frame.vlanID.value == 101 && untagged.frame.length.value == 104)
        #expect(untagged.dropReason.value == 0)
        t.vlanFilters[1].valid = 0
        #expect(Self.send(Port.frame(to: 0x02_aa_00_00_00_01, from: Self.mac(1)), from: 1, t, s).reason == .vlanSpoof)
        // Transmit disabled (VFTE) stops everything first.
        s.transmitEnable = s.transmitEnable & ~Port.bit(1)
        #expect(Self.send(foreign, from: 1, t, s) == (false, [], .transmitDisabled, false))
    }

    @Test("VM-to-VM: unicast to a local VF stays inside, broadcast goes out and to every accepting pool but the sender's", arguments: [8, 64])
    func loopback(pools: Int) {
        var (t, s) = Self.port(pools: pools)
        let unicast = Port.frame(to: Self.mac(2), from: Self.mac(1))
        let broadcast = Port.frame(to: 0xFFFF_FFFF_FFFF, from: Self.mac(1))
        #expect(Self.send(unicast, from: 1, t, s) == (true, [], .sent, false), "switching off: everything to the wire")
        s.loopbackEnable = 1
        #expect(Self.send(unicast, from: 1, t, s) == (false, [2], .sent, false), "to VF 2's pool, not the wire")
        #expect(Self.send(broadcast, from: 1, t, s) == (true, [2, 3], .sent, false), "pools with BAM except the sender's")
        #expect(Self.send(Port.frame(to: 0x02_aa_bb_cc_dd_ee, from: Self.mac(1)), from: 1, t, s) == (true, [], .sent, false),
                "unknown unicast goes out, not to the default pool")
        // A tagged unicast to VF 2 in VF 1's VLAN: VF 2 is not in VLAN 101, so nobody local takes it,
        // but it matched a local address and still does not go out.
        #expect(Self.send(Port.frame(to: Self.mac(2), from: Self.mac(1), vlan: 101), from: 1, t, s) == (false, [], .sent, false))
        // A spoofed frame is dropped before the switch: no local copy either.
        s.macAntiSpoof = Port.bit(1)
        #expect(Self.send(Port.frame(to: Self.mac(2), from: Self.mac(3)), from: 1, t, s) == (false, [], .macSpoof, true))
    }
}
