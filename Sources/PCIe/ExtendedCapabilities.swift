/// Advanced Error Reporting, extended capability 0x0001, version 1 (PCIe Base 4.0 §7.8.4), endpoint layout (0x2C bytes):
/// status registers RW1C, mask and severity RW, header log RO. Errors are not yet raised by
/// the model; the structure is there so software sees what the real parts show.
public struct AERCapability: Capability {
    public var name: String { "AER" }
    public var length: Int { 0x2C }
    public var isExtended: Bool { true }
    public init() {}

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        [
            CapabilityHeader.extended(id: 0x0001, version: 1, offset: offset, next: next, name: name),
            ConfigRegister("Uncorrectable Error Status", offset: offset + 0x04, size: 4, fields: [RegisterField("status", lsb: 4, width: 22, .rw1c)]),
            ConfigRegister("Uncorrectable Error Mask", offset: offset + 0x08, size: 4, fields: [RegisterField("mask", lsb: 4, width: 22, .rw)]),
            ConfigRegister("Uncorrectable Error Severity", offset: offset + 0x0C, size: 4, fields: [RegisterField("severity", lsb: 4, width: 22, .rw, reset: 0x62030 >> 4)]),
            ConfigRegister("Correctable Error Status", offset: offset + 0x10, size: 4, fields: [RegisterField("status", lsb: 0, width: 16, .rw1c)]),
            ConfigRegister("Correctable Error Mask", offset: offset + 0x14, size: 4, fields: [RegisterField("mask", lsb: 0, width: 16, .rw, reset: 0x2000)]),
            ConfigRegister("Advanced Error Capabilities and Control", offset: offset + 0x18, size: 4, fields: [
                RegisterField("firstErrorPointer", lsb: 0, width: 5, .ro),
                RegisterField("ecrcGenerationCapable", lsb: 5, width: 1, .ro, reset: 1),
                RegisterField("ecrcGenerationEnable", lsb: 6, width: 1, .rw),
                RegisterField("ecrcCheckCapable", lsb: 7, width: 1, .ro, reset: 1),
                RegisterField("ecrcCheckEnable", lsb: 8, width: 1, .rw),
            ]),
            ConfigRegister("Header Log", offset: offset + 0x1C, size: 4, .ro),
            ConfigRegister("Header Log 1", offset: offset + 0x20, size: 4, .ro),
            ConfigRegister("Header Log 2", offset: offset + 0x24, size: 4, .ro),
            ConfigRegister("Header Log 3", offset: offset + 0x28, size: 4, .ro),
        ]
    }
}

/// Device Serial Number, extended capability 0x0003 (PCIe Base 4.0 §7.9.3).
public struct DeviceSerialNumberCapability: Capability {
    public var name: String { "Device Serial Number" }
    public var length: Int { 12 }
    public var isExtended: Bool { true }
    public var serialNumber: UInt64
    public init(serialNumber: UInt64) { self.serialNumber = serialNumber }

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        [
            CapabilityHeader.extended(id: 0x0003, version: 1, offset: offset, next: next, name: name),
            ConfigRegister("Serial Number Lower", offset: offset + 4, size: 4, .ro, reset: UInt32(truncatingIfNeeded: serialNumber)),
            ConfigRegister("Serial Number Upper", offset: offset + 8, size: 4, .ro, reset: UInt32(truncatingIfNeeded: serialNumber >> 32)),
        ]
    }
}

/// Alternative Routing-ID Interpretation, extended capability 0x000E (PCIe Base 4.0 §7.8.8):
/// Next Function Number chains the functions of an ARI device.
public struct ARICapability: Capability {
    public var name: String { "ARI" }
    public var length: Int { 8 }
    public var isExtended: Bool { true }
    public var nextFunctionNumber: UInt8
    public init(nextFunctionNumber: UInt8) { self.nextFunctionNumber = nextFunctionNumber }

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        [
            CapabilityHeader.extended(id: 0x000E, version: 1, offset: offset, next: next, name: name),
            ConfigRegister("ARI Capability", offset: offset + 4, size: 2, fields: [
                RegisterField("mfvcFunctionGroupsCapability", lsb: 0, width: 1, .ro),
                RegisterField("acsFunctionGroupsCapability", lsb: 1, width: 1, .ro),
                RegisterField("nextFunctionNumber", lsb: 8, width: 8, .ro, reset: UInt32(nextFunctionNumber)),
            ]),
            ConfigRegister("ARI Control", offset: offset + 6, size: 2, .ro),
        ]
    }
}

/// Access Control Services, extended capability 0x000D (PCIe Base 4.0 §7.7.7; sriov-facts
/// §4.4): the capability bits say which controls exist, and only those are writable.
public struct ACSCapability: Capability {
    public var name: String { "ACS" }
    public var length: Int { 8 }
    public var isExtended: Bool { true }
    /// Bits 6:0: SV, TB, RR, CR, UF, EC, DT.
    public var capabilities: UInt16
    public init(capabilities: UInt16) { self.capabilities = capabilities & 0x7F }

    public static let controlOffset = 6
    public static let bitNames = ["sourceValidation", "translationBlocking", "p2pRequestRedirect",
                                  "p2pCompletionRedirect", "upstreamForwarding", "p2pEgressControl", "directTranslatedP2P"]

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        let control = Self.bitNames.enumerated().map { bit, name in
            RegisterField(name + "Enable", lsb: bit, width: 1, capabilities & (1 << bit) != 0 ? .rw : .ro)
        }
        return [
            CapabilityHeader.extended(id: 0x000D, version: 1, offset: offset, next: next, name: name),
            ConfigRegister("ACS Capability", offset: offset + 4, size: 2, .ro, reset: UInt32(capabilities)),
            ConfigRegister("ACS Control", offset: offset + 6, size: 2, fields: control),
        ]
    }
}

/// Address Translation Services, extended capability 0x000F (PCIe ATS 1.1 §5.1): Invalidate
/// Queue Depth and Page Aligned Request; control has Smallest Translation Unit and Enable.
public struct ATSCapability: Capability {
    public var name: String { "ATS" }
    public var length: Int { 8 }
    public var isExtended: Bool { true }
    /// 0 means 32.
    public var invalidateQueueDepth: UInt8
    public var pageAlignedRequest: Bool
    /// VFs share the PF's STU: their field is read-only (Linux ats.c).
    public var stuWritable: Bool
    public init(invalidateQueueDepth: UInt8, pageAlignedRequest: Bool, stuWritable: Bool = true) {
        self.invalidateQueueDepth = invalidateQueueDepth & 0x1F
        self.pageAlignedRequest = pageAlignedRequest
        self.stuWritable = stuWritable
    }

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        [
            CapabilityHeader.extended(id: 0x000F, version: 1, offset: offset, next: next, name: name),
            ConfigRegister("ATS Capability", offset: offset + 4, size: 2, fields: [
                RegisterField("invalidateQueueDepth", lsb: 0, width: 5, .ro, reset: UInt32(invalidateQueueDepth)),
                RegisterField("pageAlignedRequest", lsb: 5, width: 1, .ro, reset: pageAlignedRequest ? 1 : 0),
            ]),
            ConfigRegister("ATS Control", offset: offset + 6, size: 2, fields: [
                RegisterField("smallestTranslationUnit", lsb: 0, width: 5, stuWritable ? .rw : .ro),
                RegisterField("enable", lsb: 15, width: 1, .rw),
            ]),
        ]
    }
}
