/// How a driver reaches a port's registers: dword reads and writes at offsets of the PF's
/// BAR0. The register file itself answers directly (unit tests); the simulated platform answers
/// through memory TLPs from the CPU (IOVSimKit's MMIO access), as a real driver's `rd32`/`wr32`.
public protocol RegisterAccess {
    var map: RegisterMap { get }
    mutating func read(offset: Int) -> UInt32
    mutating func write(offset: Int, value: UInt32)
}

extension RegisterFile: RegisterAccess {
    public mutating func write(offset: Int, value: UInt32) { write(offset: offset, value: value, byteEnables: 0xF) }
}
