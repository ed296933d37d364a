import NIC
import RTL
import SMT
import Testing

typealias C = Concrete

/// Builders for concrete filter tables: a port with `pools` pools, nothing set.
enum Port {
    static func empty(pools: Int) -> FilterTables<C> { FilterTables(pools: pools) }

    static func bit(_ pool: Int) -> Bits<C, 64> { Bits(1 << UInt64(pool)) }

    static func frame(to destination: UInt64, from source: UInt64 = 0x02_00_00_00_00_99, vlan: UInt64? = nil, length: UInt64 = 64) -> FrameHeader<C> {
        FrameHeader(destination: Bits(destination), source: Bits(source), tagged: Bit(vlan != nil), vlanID: Bits(vlan ?? 0), length: Bits(length))
    }

    /// Pool numbers set in a bitmap.
    static func pools(_ map: Bits<C, 64>) -> [Int] { (0..<64).filter { map.value >> UInt64($0) & 1 == 1 } }
}

/// Which pools get a copy, case by case as the datasheets describe the sorter, on an 8-pool
/// (82576) and a 64-pool (82599) port: VF n owns pool n, the PF the default pool.
@Suite("L2 sorter")
struct L2SorterTests {
    static let vfMAC: [UInt64] = (0..<8).map { 0x02_00_00_00_00_00 | UInt64($0) }
    static let broadcast: UInt64 = 0xFFFF_FFFF_FFFF

    /// VF n's MAC selects pool n; the PF is pool `pf` and the default pool.
    static func port(pools: Int) -> (FilterTables<C>, pf: Int) {
        var t = Port.empty(pools: pools)
        let pf = pools == 8 ? 7 : 63
        t.receiveAddresses = vfMAC.prefix(7).enumerated().map { .init(address: Bits($1), valid: 1, pools: Bits(1 << UInt64($0))) }
        t.receiveAddresses.append(.init(address: Bits(0x00_1b_21_4c_8a_10), valid: 1, pools: Bits(1 << UInt64(pf))))
        t.defaultPool = Bits(UInt64(pf))
        return (t, pf)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let pools: Int
        var testDescription: String { "\(name) (\(pools) pools)" }
    }

    static let cases = ["unicast", "unknown unicast", "broadcast", "multicast", "vlan", "untagged", "vfre", "oversize"]
        .flatMap { name in [8, 64].map { Case(name: name, pools: $0) } }

    @Test("pools per case", arguments: cases)
    func sorting(_ c: Case) {
        var (t, pf) = Self.port(pools: c.pools)
        func sort(_ frame: FrameHeader<C>) -> ([Int], L2Sorter.DropReason) {
            let d = L2Sorter.receive(frame, t)
            return (Port.pools(d.pools), L2Sorter.DropReason(rawValue: d.dropReason.value)!)
        }
        switch c.name {
        case "unicast":
            #expect(sort(Port.frame(to: Self.vfMAC[3])) == ([3], .delivered), "VF 3's MAC reaches pool 3 only")
        case "unknown unicast":
            #expect(sort(Port.frame(to: 0x02_aa_bb_cc_dd_ee)) == ([pf], .delivered), "to the default pool")
            t.disableDefaultPool = 1
            #expect(sort(Port.frame(to: 0x02_aa_bb_cc_dd_ee)) == ([], .noMatch))
        case "broadcast":
            t.acceptBroadcast = Port.bit(1) | Port.bit(4)
            #expect(sort(Port.frame(to: Self.broadcast)) == ([1, 4], .delivered), "one copy per pool with BAM")
        case "multicast":
            // 01:00:5e:00:00:fb (mDNS): MO 0 hashes octets 4-5 to (0x00 >> 4) | (0xfb << 4) = 0xfb0.
            let mdns: UInt64 = 0x01_00_5e_00_00_fb
            t.acceptHashedMulticast = Port.bit(2)
            t.multicastPromiscuous = Port.bit(5)
            #expect(sort(Port.frame(to: mdns)) == ([5], .delivered), "no MTA bit: only the promiscuous pool")
            t.multicastTable[0xfb0 >> 5] = Bits(1 << (0xfb0 & 31))
            #expect(sort(Port.frame(to: mdns)) == ([2, 5], .delivered), "MTA hit: the ROMPE pool too")
        case "vlan":
            t.vlanFilterEnable = 1
            t.vlanFilters = [.init(vlanID: 100, valid: 1, pools: Bits(1 << 3)), .init(vlanID: 200, valid: 1, pools: Bits(1 << 4))]
            #expect(sort(Port.frame(to: Self.vfMAC[3], vlan: 100)) == ([3], .delivered))
            #expect(sort(Port.frame(to: Self.vfMAC[3], vlan: 200)) == ([pf], .delivered), "VF 3 is not in VLAN 200: default pool")
            t.disableDefaultPool = 1
            #expect(sort(Port.frame(to: Self.vfMAC[3], vlan: 200)) == ([], .vlanFilter))
        case "untagged":
            t.vlanFilterEnable = 1
            t.disableDefaultPool = 1
            #expect(sort(Port.frame(to: Self.vfMAC[2])) == ([], .vlanFilter), "no AUPE")
            t.acceptUntagged = Port.bit(2)
            #expect(sort(Port.frame(to: Self.vfMAC[2])) == ([2], .delivered))
        case "vfre":
            t.receiveEnable = t.receiveEnable & ~Bits(1 << 6)
            #expect(sort(Port.frame(to: Self.vfMAC[6])) == ([], .receiveDisabled))
        default:  // oversize
            #expect(sort(Port.frame(to: Self.vfMAC[1], length: 1518)) == ([1], .delivered))
            #expect(sort(Port.frame(to: Self.vfMAC[1], length: 1519)) == ([], .oversize), "port limit without LPE")
            #expect(sort(Port.frame(to: Self.vfMAC[1], vlan: 5, length: 1522)) == ([1], .delivered), "tagged: 1522")
            t.longPacketEnable = 1
            t.maxLength = 9018
            #expect(sort(Port.frame(to: Self.vfMAC[1], length: 9000)) == ([], .poolSizeLimit), "the pool's own limit")
            t.poolLongPacketEnable = Port.bit(1)
            t.poolMaxLength[1] = 9018
            #expect(sort(Port.frame(to: Self.vfMAC[1], length: 9000)) == ([1], .delivered))
            #expect(sort(Port.frame(to: Self.vfMAC[1], length: 9019)) == ([], .oversize))
        }
    }
}
