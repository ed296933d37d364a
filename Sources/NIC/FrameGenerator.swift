import RTL

/// A seeded source of Ethernet frames for a port's wire: unicast to the MACs the drivers put in
/// the receive address table, unknown unicast, broadcast, IPv4 multicast, VLAN-tagged unicast,
/// runts and oversize frames, drawn by weight. The same seed and tables give the same frames.
public struct FrameGenerator {
    public enum Kind: String, CaseIterable, Sendable {
        case unicast, unknownUnicast = "unknown_unicast", broadcast, multicast, vlan, runt, oversize
    }

    var rng: DeterministicRNG
    let weights: [(Kind, Int)]
    let total: Int
    /// Valid receive addresses (unicast ones) and VLAN IDs of valid VLVF entries.
    let addresses: [UInt64]
    let vlans: [UInt16]
    /// Frames longer than this (FCS included) are oversize.
    let maxFrame: Int
    let source: UInt64
    /// Every frame's size (FCS included), or nil for the mix of 64 to 1518.
    let size: Int?

    /// The generator's station: a locally administered MAC outside the port.
    public static let station: UInt64 = 0x02_10_00_00_00_01

    public init(seed: UInt64, weights: [Kind: Int], tables: FilterTables<Concrete>, size: Int? = nil) {
        self.size = size
        rng = DeterministicRNG(seed: seed)
        self.weights = Kind.allCases.compactMap { k in weights[k].flatMap { $0 > 0 ? (k, $0) : nil } }
        total = self.weights.reduce(0) { $0 + $1.1 }
        addresses = tables.receiveAddresses.filter { $0.valid.isSet && $0.address.value >> 40 & 1 == 0 }.map { $0.address.value }
        vlans = tables.vlanFilters.filter { $0.valid.isSet }.map { UInt16($0.vlanID.value) }
        maxFrame = Int(tables.longPacketEnable.isSet ? tables.maxLength.value : 1518)
        source = Self.station
    }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(rng.next() % UInt64(n)) }


    /// A frame of `size` bytes (FCS included) from the generator's station to `destination`.
    func frame(to destination: UInt64, size: Int, vlan: UInt16? = nil) -> EthernetFrame {
        EthernetFrame(destination: destination, source: source, size: size, vlan: vlan)
    }

    /// The next frame and its kind.
    public mutating func next() -> (Kind, EthernetFrame) {
        var pick = below(total), kind = weights.first?.0 ?? .unicast
        for (k, w) in weights {
            if pick < w { kind = k; break }
            pick -= w
        }
        let size = self.size ?? [64, 64, 128, 256, 512, 1024, 1518][below(7)]
        let known = addresses.isEmpty ? 0x02_ff_00_00_00_01 : addresses[below(addresses.count)]
        switch kind {
        case .unicast: return (kind, frame(to: known, size: size))
        case .unknownUnicast: return (kind, frame(to: 0x02_20_00_00_00_00 | UInt64(below(1 << 24)), size: size))
        case .broadcast: return (kind, frame(to: 0xFFFF_FFFF_FFFF, size: size))
        case .multicast: return (kind, frame(to: 0x01_00_5e_00_00_00 | UInt64(below(1 << 23)), size: size))
        case .vlan: return (kind, frame(to: known, size: size, vlan: vlans.isEmpty ? UInt16(1 + below(4094)) : vlans[below(vlans.count)]))
        case .runt: return (kind, EthernetFrame(Array(frame(to: known, size: 64).bytes.prefix(1 + below(13)))))
        case .oversize: return (kind, frame(to: known, size: maxFrame + 1 + below(64)))
        }
    }
}
