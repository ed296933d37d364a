import PCIe

/// The NIC's registers behind its BARs: one register file per PF (a port each, as on the
/// 82576 and 82599), reached through the PF's BAR0 by memory TLPs. A VF's BAR0 shows its own
/// window of its pool's registers once the VF view is modelled; until then it reads zeros and
/// ignores writes, like an unimplemented offset.
public final class NICRegisters: MemoryMappedRegisters {
    public private(set) var ports: [RegisterFile]

    public init(map: RegisterMap, pfs: Int) {
        ports = Array(repeating: RegisterFile(map: map), count: pfs)
    }

    public func read(_ function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64, byteEnables: UInt8) -> UInt32 {
        guard case .pf(let p) = function, bar == 0, p < ports.count, offset <= UInt64(Int.max) else { return 0 }
        let value = ports[p].read(offset: Int(offset))
        var mask: UInt32 = 0
        for byte in 0..<4 where byteEnables >> UInt8(byte) & 1 == 1 { mask |= 0xFF << UInt32(8 * byte) }
        return value & mask
    }

    public func write(_ function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64, value: UInt32, byteEnables: UInt8) {
        guard case .pf(let p) = function, bar == 0, p < ports.count, offset <= UInt64(Int.max) else { return }
        ports[p].write(offset: Int(offset), value: value, byteEnables: byteEnables)
    }
}
