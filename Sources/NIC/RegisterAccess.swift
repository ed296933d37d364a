/// How a driver reaches a port's registers: dword reads and writes at offsets of the PF's
/// BAR0. The register file itself answers directly (unit tests); the simulated platform answers
/// through memory TLPs from the CPU (a driver program's loads and stores on the host CPU), as a
/// real driver's `rd32`/`wr32`. A read may wait for the clock (a load stalls for its completion).
public protocol RegisterAccess {
    var map: RegisterMap { get }
    mutating func read(offset: Int) async -> UInt32
    mutating func write(offset: Int, value: UInt32)
}

extension RegisterFile: RegisterAccess {
    public mutating func write(offset: Int, value: UInt32) { write(offset: offset, value: value, byteEnables: 0xF) }
}
