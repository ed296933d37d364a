import RTL

/// The configuration write rule, generic so the simulator and the prover share it
/// (PCIe Base 4.0 §7.4): a write touches only the enabled bytes; within them RW bits take
/// the written value, RW1C bits clear where a 1 is written, every other bit keeps its value.
public enum ConfigWrite {
    /// One dword of config space after a write. `byteEnables` bit k enables byte k.
    @inlinable
    public static func merge<A>(
        old: Bits<A, 32>, data: Bits<A, 32>, byteEnables: Bits<A, 4>,
        writable: Bits<A, 32>, clearable: Bits<A, 32>
    ) -> Bits<A, 32> {
        let enabled = byteMask(byteEnables)
        let set = writable & enabled
        let clear = clearable & enabled & data
        return ((old & ~set) | (data & set)) & ~clear
    }

    /// Expands 4 byte enables into a 32-bit mask.
    @inlinable
    public static func byteMask<A>(_ byteEnables: Bits<A, 4>) -> Bits<A, 32> {
        var mask: Bits<A, 32> = 0
        for k in 0..<4 {
            let lane = Bits<A, 32>(0xFF << UInt64(8 * k))
            mask = mask | mux(byteEnables[bit: k], lane, 0)
        }
        return mask
    }

    /// The same mask for a concrete access's byte enables (memory and register writes).
    public static func byteMask(_ byteEnables: UInt8) -> UInt32 {
        UInt32(byteMask(Bits<Concrete, 4>(UInt64(byteEnables & 0xF))).value)
    }

    /// Byte enables of a naturally aligned access of `size` bytes at `offset`, or nil if the
    /// access is not 1, 2 or 4 bytes naturally aligned.
    public static func byteEnables(offset: Int, size: Int) -> UInt64? {
        guard [1, 2, 4].contains(size), offset % size == 0 else { return nil }
        return ((1 << UInt64(size)) - 1) << UInt64(offset & 3)
    }

    /// A config TLP's First DW Byte Enables as naturally aligned accesses within the DW:
    /// one for 0xF, 0x3, 0xC or a single byte, else one per enabled byte.
    public static func accesses(byteEnables: UInt8) -> [(offset: Int, size: Int)] {
        switch byteEnables & 0xF {
        case 0xF: [(0, 4)]
        case 0x3: [(0, 2)]
        case 0xC: [(2, 2)]
        default: (0..<4).filter { byteEnables & (1 << $0) != 0 }.map { ($0, 1) }
        }
    }
}
