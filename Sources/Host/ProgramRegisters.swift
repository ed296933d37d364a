import NIC

/// A function's registers as a driver program on the host CPU reaches them: dword loads and
/// stores at the function's BAR0, each a memory TLP (`HostCPU`); a load stalls the program
/// until its completion, as `rd32` does.
public struct ProgramRegisters: RegisterAccess {
    public let cpu: HostCPU
    public let bar0: UInt64
    public let map: RegisterMap

    public init(cpu: HostCPU, bar0: UInt64, map: RegisterMap) {
        self.cpu = cpu
        self.bar0 = bar0
        self.map = map
    }

    public func read(offset: Int) async -> UInt32 { await cpu.load(bar0 + UInt64(offset)) }
    public func write(offset: Int, value: UInt32) { cpu.store(bar0 + UInt64(offset), value) }
}
