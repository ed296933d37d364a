import NIC
import PCIe

/// The PF driver's mailbox work as a program on the host CPU (igb_msg_task run from the
/// "other causes" interrupt; ixgbe_msg_task likewise): the PF's MSI-X entry 0 takes its
/// mailbox cause (IVAR_MISC) and interrupts the host; on each interrupt, or each watchdog
/// period, one pass of `PFMailboxService` answers what the VFs asked.
public final class PFMailboxProgram {
    public var service: PFMailboxService<ProgramRegisters>
    let cpu: HostCPU
    public let vector: UInt8
    /// The watchdog period (clocks): the service also runs this often without an interrupt.
    public var watchdogClocks: UInt64 = 25_000
    public var stopped = false
    public private(set) var passes: UInt64 = 0, interrupts: UInt64 = 0, answered: UInt64 = 0

    public init(service: PFMailboxService<ProgramRegisters>, cpu: HostCPU, vector: UInt8) {
        self.service = service
        self.cpu = cpu
        self.vector = vector
    }

    /// MSI-X: the host's remapped entry for `vector` in table entry 0 at `msixTable`, MSI-X
    /// enabled at the PF's capability `msixCapability` (nil entry: the service polls only).
    public func run(rid: UInt16, msixTable: UInt64?, msixCapability: Int?, entry: (address: UInt64, data: UInt32)?) async {
        if let msixTable, let msixCapability, let entry {
            cpu.store(msixTable, UInt32(truncatingIfNeeded: entry.address))
            cpu.store(msixTable + 4, UInt32(entry.address >> 32))
            cpu.store(msixTable + 8, entry.data)
            cpu.store(msixTable + 12, 0)
            await cpu.configWrite(rid, msixCapability + 2, size: 2, 0x8000)
            let valid: UInt32 = 0x80
            service.driver.write("IVAR_MISC", (valid | 0) << 8)                    // other causes -> entry 0
            service.driver.write("EIAC", 1)
            service.driver.write("EIMS", 1)
        }
        while !stopped {
            let taken = await cpu.interrupt(destination: VMM.hostDestination, vectors: [vector], timeout: watchdogClocks)
            if stopped || cpu.halted { break }
            if taken != nil { interrupts += 1 }
            passes += 1
            answered += UInt64(await service.service())
        }
    }
}
