/// The Type 1 configuration header of a bridge: a root port or a switch port (PCI-to-PCI
/// Bridge 1.2 §3.2, PCIe Base 4.0 §7.5.1.3): bus numbers, I/O, memory and prefetchable
/// windows (with upper 32 bits), bridge control.
public struct Type1Header: Sendable, Equatable {
    public var vendorID: UInt16
    public var deviceID: UInt16
    public var revisionID: UInt8
    public var capabilitiesPointer: UInt8

    public init(vendorID: UInt16, deviceID: UInt16, revisionID: UInt8, capabilitiesPointer: UInt8) {
        self.vendorID = vendorID
        self.deviceID = deviceID
        self.revisionID = revisionID
        self.capabilitiesPointer = capabilitiesPointer
    }

    public static let primaryBusOffset = 0x18
    public static let secondaryBusOffset = 0x19
    public static let subordinateBusOffset = 0x1A
    public static let memoryBaseOffset = 0x20
    public static let prefetchableBaseOffset = 0x24

    public var registers: [ConfigRegister] {
        // Class 0x060400: PCI-to-PCI bridge; Header Type 1.
        Type0Header.identity(vendorID: vendorID, deviceID: deviceID, revisionID: revisionID, classCode: 0x06_0400, headerType: 0x01) + [
            ConfigRegister("Command", offset: 0x04, size: 2, fields: [
                RegisterField("ioSpaceEnable", lsb: 0, width: 1, .rw),
                RegisterField("memorySpaceEnable", lsb: 1, width: 1, .rw),
                RegisterField("busMasterEnable", lsb: 2, width: 1, .rw),
                RegisterField("parityErrorResponse", lsb: 6, width: 1, .rw),
                RegisterField("serrEnable", lsb: 8, width: 1, .rw),
                RegisterField("interruptDisable", lsb: 10, width: 1, .rw),
            ]),
            Type0Header.status(interruptPin: 0),
            ConfigRegister("BAR0", offset: 0x10, size: 4, .ro),
            ConfigRegister("BAR1", offset: 0x14, size: 4, .ro),
            ConfigRegister("Primary Bus Number", offset: 0x18, size: 1, .rw),
            ConfigRegister("Secondary Bus Number", offset: 0x19, size: 1, .rw),
            ConfigRegister("Subordinate Bus Number", offset: 0x1A, size: 1, .rw),
            ConfigRegister("Secondary Latency Timer", offset: 0x1B, size: 1, .ro),
            ConfigRegister("I/O Base", offset: 0x1C, size: 1, fields: [
                RegisterField("addressingCapability", lsb: 0, width: 4, .ro, reset: 0x1),
                RegisterField("ioBase", lsb: 4, width: 4, .rw, reset: 0xF),
            ]),
            ConfigRegister("I/O Limit", offset: 0x1D, size: 1, fields: [
                RegisterField("addressingCapability", lsb: 0, width: 4, .ro, reset: 0x1),
                RegisterField("ioLimit", lsb: 4, width: 4, .rw),
            ]),
            ConfigRegister("Secondary Status", offset: 0x1E, size: 2, fields: [
                RegisterField("masterDataParityError", lsb: 8, width: 1, .rw1c),
                RegisterField("signaledTargetAbort", lsb: 11, width: 1, .rw1c),
                RegisterField("receivedTargetAbort", lsb: 12, width: 1, .rw1c),
                RegisterField("receivedMasterAbort", lsb: 13, width: 1, .rw1c),
                RegisterField("receivedSystemError", lsb: 14, width: 1, .rw1c),
                RegisterField("detectedParityError", lsb: 15, width: 1, .rw1c),
            ]),
            // Memory window: address bits 31:20 in bits 15:4, 1 MiB granularity. The reset values
            // of the windows are implementation specific; ours put base above limit (I/O too), a
            // closed window, so a port claims nothing before firmware opens it.
            ConfigRegister("Memory Base", offset: 0x20, size: 2, fields: [RegisterField("memoryBase", lsb: 4, width: 12, .rw, reset: 0xFFF)]),
            ConfigRegister("Memory Limit", offset: 0x22, size: 2, fields: [RegisterField("memoryLimit", lsb: 4, width: 12, .rw)]),
            ConfigRegister("Prefetchable Memory Base", offset: 0x24, size: 2, fields: [
                RegisterField("addressingCapability", lsb: 0, width: 4, .ro, reset: 0x1),
                RegisterField("prefetchableBase", lsb: 4, width: 12, .rw, reset: 0xFFF),
            ]),
            ConfigRegister("Prefetchable Memory Limit", offset: 0x26, size: 2, fields: [
                RegisterField("addressingCapability", lsb: 0, width: 4, .ro, reset: 0x1),
                RegisterField("prefetchableLimit", lsb: 4, width: 12, .rw),
            ]),
            ConfigRegister("Prefetchable Base Upper 32 Bits", offset: 0x28, size: 4, .rw),
            ConfigRegister("Prefetchable Limit Upper 32 Bits", offset: 0x2C, size: 4, .rw),
            ConfigRegister("I/O Base Upper 16 Bits", offset: 0x30, size: 2, .rw),
            ConfigRegister("I/O Limit Upper 16 Bits", offset: 0x32, size: 2, .rw),
            ConfigRegister("Capabilities Pointer", offset: 0x34, size: 1, .ro, reset: UInt32(capabilitiesPointer)),
            ConfigRegister("Expansion ROM Base Address", offset: 0x38, size: 4, .ro),
            ConfigRegister("Interrupt Line", offset: 0x3C, size: 1, .rw),
            ConfigRegister("Interrupt Pin", offset: 0x3D, size: 1, .ro),
            ConfigRegister("Bridge Control", offset: 0x3E, size: 2, fields: [
                RegisterField("parityErrorResponse", lsb: 0, width: 1, .rw),
                RegisterField("serrEnable", lsb: 1, width: 1, .rw),
                RegisterField("isaEnable", lsb: 2, width: 1, .rw),
                RegisterField("vgaEnable", lsb: 3, width: 1, .rw),
                RegisterField("secondaryBusReset", lsb: 6, width: 1, .rw),
            ]),
        ]
    }
}
