/// The Type 0 configuration header of an endpoint function (PCI Local Bus 3.0 §6.1, PCIe
/// Base 4.0 §7.5.1.2): IDs, Command and Status, class, header type, six BARs, subsystem IDs,
/// expansion ROM, capability pointer and interrupt pin.
public struct Type0Header: Sendable, Equatable {
    public var vendorID: UInt16
    public var deviceID: UInt16
    public var revisionID: UInt8
    /// Base class, sub-class, programming interface: 0x020000 is an Ethernet controller.
    public var classCode: UInt32
    public var subsystemVendorID: UInt16
    public var subsystemID: UInt16
    public var multiFunction: Bool
    public var bars: [BARDefinition]
    /// Expansion ROM size, or nil for none.
    public var expansionROMSize: UInt64?
    public var capabilitiesPointer: UInt8
    /// 1 = INTA#, ... 0 = none.
    public var interruptPin: UInt8
    /// A VF's header: Memory and I/O Space Enable and Interrupt Disable are RsvdP in its
    /// Command register, because the PF's VF MSE governs its memory decode and VFs have no
    /// INTx (SR-IOV 1.1 §3.4.1.3).
    public var virtualFunction = false

    public init(vendorID: UInt16, deviceID: UInt16, revisionID: UInt8, classCode: UInt32, subsystemVendorID: UInt16,
                subsystemID: UInt16, multiFunction: Bool, bars: [BARDefinition], expansionROMSize: UInt64? = nil,
                capabilitiesPointer: UInt8, interruptPin: UInt8) {
        self.vendorID = vendorID
        self.deviceID = deviceID
        self.revisionID = revisionID
        self.classCode = classCode
        self.subsystemVendorID = subsystemVendorID
        self.subsystemID = subsystemID
        self.multiFunction = multiFunction
        self.bars = bars
        self.expansionROMSize = expansionROMSize
        self.capabilitiesPointer = capabilitiesPointer
        self.interruptPin = interruptPin
    }

    public static let commandOffset = 0x04
    public static let barOffset = 0x10

    public var registers: [ConfigRegister] {
        let hasIO = bars.contains { $0.kind == .io }
        var registers = Self.identity(vendorID: vendorID, deviceID: deviceID, revisionID: revisionID, classCode: classCode,
                                      headerType: multiFunction ? 0x80 : 0x00) + [
            ConfigRegister("Command", offset: 0x04, size: 2, fields: [
                RegisterField("ioSpaceEnable", lsb: 0, width: 1, virtualFunction ? .rsvdP : hasIO ? .rw : .ro),
                RegisterField("memorySpaceEnable", lsb: 1, width: 1, virtualFunction ? .rsvdP : .rw),
                RegisterField("busMasterEnable", lsb: 2, width: 1, .rw),
                RegisterField("parityErrorResponse", lsb: 6, width: 1, .rw),
                RegisterField("serrEnable", lsb: 8, width: 1, .rw),
                RegisterField("interruptDisable", lsb: 10, width: 1, virtualFunction ? .rsvdP : interruptPin == 0 ? .ro : .rw),
            ]),
            Self.status(interruptPin: interruptPin),
            ConfigRegister("Cardbus CIS Pointer", offset: 0x28, size: 4, .ro),
            ConfigRegister("Subsystem Vendor ID", offset: 0x2C, size: 2, .ro, reset: UInt32(subsystemVendorID)),
            ConfigRegister("Subsystem ID", offset: 0x2E, size: 2, .ro, reset: UInt32(subsystemID)),
            Self.expansionROM(size: expansionROMSize, offset: 0x30),
            ConfigRegister("Capabilities Pointer", offset: 0x34, size: 1, .ro, reset: UInt32(capabilitiesPointer)),
            ConfigRegister("Interrupt Line", offset: 0x3C, size: 1, .rw),
            ConfigRegister("Interrupt Pin", offset: 0x3D, size: 1, .ro, reset: UInt32(interruptPin)),
            ConfigRegister("Min_Gnt", offset: 0x3E, size: 1, .ro),
            ConfigRegister("Max_Lat", offset: 0x3F, size: 1, .ro),
        ]
        var used = Set<Int>()
        for bar in bars {
            registers += bar.registers(at: Self.barOffset + 4 * bar.index)
            for slot in 0..<bar.slots { used.insert(bar.index + slot) }
        }
        for index in 0..<6 where !used.contains(index) {
            registers.append(ConfigRegister("BAR\(index)", offset: Self.barOffset + 4 * index, size: 4, .ro))
        }
        return registers
    }

    /// The registers both header types share (PCIe Base 4.0 §7.5.1.1): IDs, revision, class
    /// code, cache line size, latency timer, header type, BIST.
    static func identity(vendorID: UInt16, deviceID: UInt16, revisionID: UInt8, classCode: UInt32, headerType: UInt32) -> [ConfigRegister] {
        [
            ConfigRegister("Vendor ID", offset: 0x00, size: 2, .ro, reset: UInt32(vendorID)),
            ConfigRegister("Device ID", offset: 0x02, size: 2, .ro, reset: UInt32(deviceID)),
            ConfigRegister("Revision ID", offset: 0x08, size: 1, .ro, reset: UInt32(revisionID)),
            ConfigRegister("Programming Interface", offset: 0x09, size: 1, .ro, reset: classCode & 0xFF),
            ConfigRegister("Class Code", offset: 0x0A, size: 2, .ro, reset: classCode >> 8),
            ConfigRegister("Cache Line Size", offset: 0x0C, size: 1, .rw),
            ConfigRegister("Latency Timer", offset: 0x0D, size: 1, .ro),
            ConfigRegister("Header Type", offset: 0x0E, size: 1, .ro, reset: headerType),
            ConfigRegister("BIST", offset: 0x0F, size: 1, .ro),
        ]
    }

    /// Status: Capabilities List set; error bits RW1C (PCIe Base 4.0 §7.5.1.1.4).
    static func status(interruptPin: UInt8) -> ConfigRegister {
        ConfigRegister("Status", offset: 0x06, size: 2, fields: [
            RegisterField("interruptStatus", lsb: 3, width: 1, .ro),
            RegisterField("capabilitiesList", lsb: 4, width: 1, .ro, reset: 1),
            RegisterField("masterDataParityError", lsb: 8, width: 1, .rw1c),
            RegisterField("signaledTargetAbort", lsb: 11, width: 1, .rw1c),
            RegisterField("receivedTargetAbort", lsb: 12, width: 1, .rw1c),
            RegisterField("receivedMasterAbort", lsb: 13, width: 1, .rw1c),
            RegisterField("signaledSystemError", lsb: 14, width: 1, .rw1c),
            RegisterField("detectedParityError", lsb: 15, width: 1, .rw1c),
        ])
    }

    /// Expansion ROM BAR: enable bit 0, address bits 31:11 above the size (PCI 3.0 §6.2.5.2).
    static func expansionROM(size: UInt64?, offset: Int) -> ConfigRegister {
        guard let size else { return ConfigRegister("Expansion ROM Base Address", offset: offset, size: 4, .ro) }
        let bits = max(11, size.trailingZeroBitCount)
        var fields = [RegisterField("romEnable", lsb: 0, width: 1, .rw)]
        if bits > 11 { fields.append(RegisterField("sizeMask", lsb: 11, width: bits - 11, .ro)) }
        fields.append(RegisterField("address", lsb: bits, width: 32 - bits, .rw))
        return ConfigRegister("Expansion ROM Base Address", offset: offset, size: 4, fields: fields)
    }
}
