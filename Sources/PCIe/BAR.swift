import RTL

/// A Base Address Register as the device implements it: kind, prefetchability and size,
/// which fix its read-only low bits and its writable address bits (PCI Local Bus 3.0 §6.2.5.1;
/// SR-IOV 1.1 §3.3.14 uses the same encoding for VF BAR0-5).
public struct BARDefinition: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, Codable, CaseIterable {
        case memory32 = "mem32", memory64 = "mem64", io
    }

    public let index: Int
    public let kind: Kind
    public let prefetchable: Bool
    /// Bytes; a power of two, at least 16 for memory and 4 for I/O.
    public let size: UInt64

    public init(index: Int, kind: Kind, prefetchable: Bool = false, size: UInt64) {
        self.index = index
        self.kind = kind
        self.prefetchable = prefetchable
        self.size = size
    }

    /// Registers (dwords) this BAR takes: 2 for a 64-bit memory BAR.
    public var slots: Int { kind == .memory64 ? 2 : 1 }

    /// The read-only type bits of the low dword.
    public var typeBits: UInt32 {
        switch kind {
        case .io: 0x1
        case .memory32: prefetchable ? 0x8 : 0x0
        case .memory64: 0x4 | (prefetchable ? 0x8 : 0x0)
        }
    }

    /// The BAR's registers at `offset` (its low dword), named `prefix` + index.
    public func registers(at offset: Int, prefix: String = "BAR") -> [ConfigRegister] {
        let sizeBits = size.trailingZeroBitCount
        let low = kind == .io ? 2 : 4
        var fields = [
            RegisterField("type", lsb: 0, width: low, .ro, reset: typeBits),
        ]
        // Address bits below the size are hard-wired to zero: what BAR sizing reads back.
        let zeroTop = min(sizeBits, 32)
        if zeroTop > low { fields.append(RegisterField("sizeMask", lsb: low, width: zeroTop - low, .ro)) }
        if zeroTop < 32 { fields.append(RegisterField("address", lsb: zeroTop, width: 32 - zeroTop, .rw)) }
        var registers = [ConfigRegister("\(prefix)\(index)", offset: offset, size: 4, fields: fields)]
        if kind == .memory64 {
            let upperZero = max(0, sizeBits - 32)
            var upper: [RegisterField] = []
            if upperZero > 0 { upper.append(RegisterField("sizeMask", lsb: 0, width: upperZero, .ro)) }
            if upperZero < 32 { upper.append(RegisterField("addressUpper", lsb: upperZero, width: 32 - upperZero, .rw)) }
            registers.append(ConfigRegister("\(prefix)\(index + 1)", offset: offset + 4, size: 4, fields: upper))
        }
        return registers
    }

    /// The base address programmed in `space` for the BAR at `offset` (64 bits wide).
    public func base(in space: ConfigSpace, at offset: Int) -> UInt64 {
        let low = UInt64(space.read(offset: offset, size: 4)! & (kind == .io ? ~0x3 : ~0xF))
        let high = kind == .memory64 ? UInt64(space.read(offset: offset + 4, size: 4)!) << 32 : 0
        return high | low
    }
}

/// Where the VFs' BARs land: VF `index`'s aperture of VF BARn starts at the VF BARn base plus
/// index times the per-VF size (SR-IOV 1.1 §3.3.14; Linux `pci_iov_resource` layout).
public enum VFAperture {
    @inlinable
    public static func base<A>(vfBARBase: Bits<A, 64>, perVFSize: Bits<A, 64>, vfIndex: Bits<A, 64>) -> Bits<A, 64> {
        vfBARBase + vfIndex * perVFSize
    }
}
