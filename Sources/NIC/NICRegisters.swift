import PCIe
import RTL

/// The NIC's registers behind its BARs: one register file per PF (a port each, as on the
/// 82576 and 82599), reached through the PF's BAR0 by memory TLPs. A VF's BAR0 shows its own
/// window of its pool's registers (`VFRegisterWindow`); an offset outside it reads zeros and
/// ignores writes, like an unimplemented offset.
public final class NICRegisters: MemoryMappedRegisters {
    public private(set) var ports: [RegisterFile]

    public init(map: RegisterMap, pfs: Int) {
        ports = Array(repeating: RegisterFile(map: map), count: pfs)
    }

    /// The port and PF register offset an access reaches, and whether a write may change it.
    func route(_ function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64) -> (port: Int, offset: Int, writable: Bool)? {
        guard bar == 0 else { return nil }
        switch function {
        case .pf(let p):
            return p < ports.count && offset < ports[p].map.pfWindow ? (p, Int(offset), true) : nil
        case .vf(let p, let i):
            guard p < ports.count, i < ports[p].map.pools, offset < 0x4000 else { return nil }
            let t = ports[p].map.family == "82576"
                ? VFRegisterWindow.i82576(vf: Bits<Concrete, 3>(UInt64(i)), offset: Bits(offset))
                : VFRegisterWindow.i82599(vf: Bits<Concrete, 6>(UInt64(i)), offset: Bits(offset))
            return t.hit.isSet ? (p, Int(t.pfOffset.value), t.writable.isSet) : nil
        }
    }

    public func read(_ function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64, byteEnables: UInt8) -> UInt32 {
        guard let (p, pfOffset, _) = route(function, bar: bar, offset: offset) else { return 0 }
        let value = ports[p].read(offset: pfOffset)
        var mask: UInt32 = 0
        for byte in 0..<4 where byteEnables >> UInt8(byte) & 1 == 1 { mask |= 0xFF << UInt32(8 * byte) }
        return value & mask
    }

    public func write(_ function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64, value: UInt32, byteEnables: UInt8) {
        guard let (p, pfOffset, writable) = route(function, bar: bar, offset: offset), writable else { return }
        ports[p].write(offset: pfOffset, value: value, byteEnables: byteEnables)
    }
}
