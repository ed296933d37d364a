import RTL

/// A concrete SR-IOV routing layout: where a PF sits and how its VFs are placed
/// (SR-IOV 1.1 §3.3.10 First VF Offset, §3.3.11 VF Stride, §3.3.7 NumVFs).
/// The simulator-side view; every number comes from `RoutingID`'s generic functions.
public struct SRIOVLayout: Sendable, Equatable, CustomStringConvertible {
    /// PF routing ID (bus << 8 | devfn).
    public var pfRID: UInt16
    public var firstVFOffset: UInt16
    public var vfStride: UInt16
    public var numVFs: UInt16
    /// ARI Capable Hierarchy: decides how the low 8 RID bits read as device and function.
    public var ari: Bool

    public init(pfRID: UInt16, firstVFOffset: UInt16, vfStride: UInt16, numVFs: UInt16, ari: Bool) {
        self.pfRID = pfRID
        self.firstVFOffset = firstVFOffset
        self.vfStride = vfStride
        self.numVFs = numVFs
        self.ari = ari
    }

    /// RID of VF `index` (0-based).
    public func vfRID(_ index: Int) -> UInt16 {
        UInt16(RoutingID.vf(
            pf: Bits<Concrete, 16>(UInt64(pfRID)), firstVFOffset: Bits(UInt64(firstVFOffset)),
            vfStride: Bits(UInt64(vfStride)), vfIndex: Bits(UInt64(index))).value)
    }

    /// RID(PF) + First VF Offset + index * VF Stride without the 16-bit wrap: above 0xFFFF the
    /// VF's RID wrapped and the layout is impossible (its bus would be past ff).
    public func unwrappedVFRID(_ index: Int) -> Int { Int(pfRID) + Int(firstVFOffset) + index * Int(vfStride) }

    /// Every VF's RID, VF 0 first.
    public var vfRIDs: [UInt16] { (0..<Int(numVFs)).map(vfRID) }

    /// The last bus the layout needs (may exceed 255 for an impossible layout).
    public var lastBus: UInt32 {
        UInt32(RoutingID.lastBus(
            pf: Bits<Concrete, 16>(UInt64(pfRID)), firstVFOffset: Bits(UInt64(firstVFOffset)),
            vfStride: Bits(UInt64(vfStride)), numVFs: Bits(UInt64(numVFs))).value)
    }

    public var description: String {
        "PF \(BDF(pfRID, ari: ari)) offset 0x\(String(firstVFOffset, radix: 16)) stride \(vfStride) NumVFs \(numVFs) ARI \(ari ? "on" : "off")"
    }
}

/// A routing ID printed as lspci prints it: `bb:dd.f` (Linux always splits devfn into slot and
/// function, ARI or not); `ariFunction` gives the ARI reading.
public struct BDF: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let rid: UInt16
    public let ari: Bool
    public init(_ rid: UInt16, ari: Bool = false) {
        self.rid = rid
        self.ari = ari
    }
    public init(bus: UInt8, device: UInt8, function: UInt8) {
        self.init(UInt16(bus) << 8 | UInt16(device & 0x1f) << 3 | UInt16(function & 7))
    }

    private var concrete: Bits<Concrete, 16> { Bits(UInt64(rid)) }
    public var bus: UInt8 { UInt8(RoutingID.bus(concrete).value) }
    public var devfn: UInt8 { UInt8(RoutingID.devfn(concrete).value) }
    /// Device and function outside ARI (what lspci prints).
    public var device: UInt8 { UInt8(RoutingID.device(concrete, ari: Bit(false)).value) }
    public var function: UInt8 { UInt8(RoutingID.function(concrete, ari: Bit(false)).value) }
    /// The 8-bit ARI Function Number.
    public var ariFunction: UInt8 { UInt8(RoutingID.function(concrete, ari: Bit(true)).value) }

    public var description: String {
        String(format2(bus)) + ":" + format2(device) + "." + String(function)
    }

    /// Parses `bb:dd.f` (hex bus and device, decimal function, as lspci writes them).
    public init?(parsing text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let bus = UInt8(parts[0], radix: 16) else { return nil }
        let df = parts[1].split(separator: ".")
        guard df.count == 2, let device = UInt8(df[0], radix: 16), device < 32,
              let function = UInt8(df[1]), function < 8 else { return nil }
        self.init(bus: bus, device: device, function: function)
    }
}

private func format2(_ value: UInt8) -> String {
    let s = String(value, radix: 16)
    return s.count == 1 ? "0" + s : s
}
