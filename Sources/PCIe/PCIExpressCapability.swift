/// PCI Express capability, ID 0x10, version 2 (PCIe Base 4.0 §7.5.3).
public struct PCIExpressCapability: Capability {
    /// Device/Port Type (PCIe Capabilities register bits 7:4).
    public enum PortType: UInt32, Sendable {
        case endpoint = 0x0, rootPort = 0x4, upstreamSwitchPort = 0x5, downstreamSwitchPort = 0x6
    }

    public var name: String { "PCI Express" }
    public var length: Int { 0x3C }
    public var isExtended: Bool { false }
    public var portType: PortType
    /// Max_Payload_Size Supported encoding (0 = 128 bytes ... 5 = 4096).
    public var maxPayloadSupported: UInt32 = 2
    public var flrCapable: Bool
    /// Link speed encoding (1 = 2.5 GT/s, 2 = 5 GT/s, 3 = 8 GT/s) and width (lanes).
    public var linkSpeed: UInt32
    public var linkWidth: UInt32
    /// Downstream ports: ARI Forwarding Supported (Device Capabilities 2 bit 5).
    public var ariForwardingSupported: Bool
    public var portNumber: UInt32 = 0

    public init(portType: PortType, flrCapable: Bool, linkSpeed: UInt32, linkWidth: UInt32, ariForwardingSupported: Bool = false) {
        self.portType = portType
        self.flrCapable = flrCapable
        self.linkSpeed = linkSpeed
        self.linkWidth = linkWidth
        self.ariForwardingSupported = ariForwardingSupported
    }

    public static let deviceControlOffset = 0x08
    public static let deviceControl2Offset = 0x28
    /// Device Control bit 15: Initiate Function Level Reset (reads 0).
    public static let initiateFLRBit: UInt32 = 1 << 15
    /// Device Control 2 bit 5: ARI Forwarding Enable.
    public static let ariForwardingEnableBit: UInt32 = 1 << 5

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        let isPort = portType != .endpoint
        let slot = portType == .rootPort || portType == .downstreamSwitchPort
        return CapabilityHeader.standard(id: 0x10, offset: offset, next: next, name: name) + [
            ConfigRegister("PCI Express Capabilities", offset: offset + 2, size: 2, fields: [
                RegisterField("capabilityVersion", lsb: 0, width: 4, .ro, reset: 2),
                RegisterField("devicePortType", lsb: 4, width: 4, .ro, reset: portType.rawValue),
                RegisterField("slotImplemented", lsb: 8, width: 1, .hwInit, reset: slot ? 1 : 0),
            ]),
            ConfigRegister("Device Capabilities", offset: offset + 4, size: 4, fields: [
                RegisterField("maxPayloadSizeSupported", lsb: 0, width: 3, .ro, reset: maxPayloadSupported),
                RegisterField("extendedTagSupported", lsb: 5, width: 1, .ro, reset: 1),
                RegisterField("roleBasedErrorReporting", lsb: 15, width: 1, .ro, reset: 1),
                RegisterField("functionLevelResetCapability", lsb: 28, width: 1, .ro, reset: flrCapable && !isPort ? 1 : 0),
            ]),
            ConfigRegister("Device Control", offset: offset + 8, size: 2, fields: [
                RegisterField("correctableErrorReportingEnable", lsb: 0, width: 1, .rw),
                RegisterField("nonFatalErrorReportingEnable", lsb: 1, width: 1, .rw),
                RegisterField("fatalErrorReportingEnable", lsb: 2, width: 1, .rw),
                RegisterField("unsupportedRequestReportingEnable", lsb: 3, width: 1, .rw),
                RegisterField("enableRelaxedOrdering", lsb: 4, width: 1, .rw, reset: 1),
                RegisterField("maxPayloadSize", lsb: 5, width: 3, .rw),
                RegisterField("extendedTagFieldEnable", lsb: 8, width: 1, .rw),
                RegisterField("enableNoSnoop", lsb: 11, width: 1, .rw, reset: 1),
                RegisterField("maxReadRequestSize", lsb: 12, width: 3, .rw, reset: 2),
                // Bit 15, Initiate Function Level Reset, always reads 0; the function acts on a
                // write of 1 (see PCIFunction).
            ]),
            ConfigRegister("Device Status", offset: offset + 0x0A, size: 2, fields: [
                RegisterField("correctableErrorDetected", lsb: 0, width: 1, .rw1c),
                RegisterField("nonFatalErrorDetected", lsb: 1, width: 1, .rw1c),
                RegisterField("fatalErrorDetected", lsb: 2, width: 1, .rw1c),
                RegisterField("unsupportedRequestDetected", lsb: 3, width: 1, .rw1c),
                RegisterField("transactionsPending", lsb: 5, width: 1, .ro),
            ]),
            ConfigRegister("Link Capabilities", offset: offset + 0x0C, size: 4, fields: [
                RegisterField("maxLinkSpeed", lsb: 0, width: 4, .ro, reset: linkSpeed),
                RegisterField("maximumLinkWidth", lsb: 4, width: 6, .ro, reset: linkWidth),
                RegisterField("aspmSupport", lsb: 10, width: 2, .ro),
                RegisterField("portNumber", lsb: 24, width: 8, .hwInit, reset: portNumber),
            ]),
            ConfigRegister("Link Control", offset: offset + 0x10, size: 2, fields: [
                RegisterField("aspmControl", lsb: 0, width: 2, .rw),
                RegisterField("readCompletionBoundary", lsb: 3, width: 1, isPort ? .ro : .rw),
                RegisterField("linkDisable", lsb: 4, width: 1, isPort ? .rw : .ro),
                RegisterField("commonClockConfiguration", lsb: 6, width: 1, .rw),
                RegisterField("extendedSynch", lsb: 7, width: 1, .rw),
            ]),
            ConfigRegister("Link Status", offset: offset + 0x12, size: 2, fields: [
                RegisterField("currentLinkSpeed", lsb: 0, width: 4, .ro, reset: linkSpeed),
                RegisterField("negotiatedLinkWidth", lsb: 4, width: 6, .ro, reset: linkWidth),
                RegisterField("slotClockConfiguration", lsb: 12, width: 1, .hwInit, reset: 1),
                RegisterField("linkBandwidthManagementStatus", lsb: 14, width: 1, isPort ? .rw1c : .ro),
                RegisterField("linkAutonomousBandwidthStatus", lsb: 15, width: 1, isPort ? .rw1c : .ro),
            ]),
            ConfigRegister("Slot Capabilities", offset: offset + 0x14, size: 4, .hwInit),
            ConfigRegister("Slot Control", offset: offset + 0x18, size: 2, fields: slot ? [RegisterField("slotControl", lsb: 0, width: 13, .rw)] : []),
            ConfigRegister("Slot Status", offset: offset + 0x1A, size: 2, .ro),
            ConfigRegister("Root Control", offset: offset + 0x1C, size: 2, fields: portType == .rootPort ? [RegisterField("rootControl", lsb: 0, width: 5, .rw)] : []),
            ConfigRegister("Root Capabilities", offset: offset + 0x1E, size: 2, .ro),
            ConfigRegister("Root Status", offset: offset + 0x20, size: 4, .ro),
            ConfigRegister("Device Capabilities 2", offset: offset + 0x24, size: 4, fields: [
                RegisterField("completionTimeoutRangesSupported", lsb: 0, width: 4, .ro, reset: isPort ? 0 : 0xF),
                RegisterField("completionTimeoutDisableSupported", lsb: 4, width: 1, .ro, reset: isPort ? 0 : 1),
                RegisterField("ariForwardingSupported", lsb: 5, width: 1, .ro, reset: ariForwardingSupported ? 1 : 0),
            ]),
            ConfigRegister("Device Control 2", offset: offset + 0x28, size: 2, fields: [
                RegisterField("completionTimeoutValue", lsb: 0, width: 4, isPort ? .ro : .rw),
                RegisterField("completionTimeoutDisable", lsb: 4, width: 1, isPort ? .ro : .rw),
                RegisterField("ariForwardingEnable", lsb: 5, width: 1, ariForwardingSupported ? .rw : .ro),
            ]),
            ConfigRegister("Device Status 2", offset: offset + 0x2A, size: 2, .ro),
            ConfigRegister("Link Capabilities 2", offset: offset + 0x2C, size: 4, fields: [
                RegisterField("supportedLinkSpeedsVector", lsb: 1, width: 7, .ro, reset: (1 << linkSpeed) - 1),
            ]),
            ConfigRegister("Link Control 2", offset: offset + 0x30, size: 2, fields: [
                RegisterField("targetLinkSpeed", lsb: 0, width: 4, .rw, reset: linkSpeed),
            ]),
            ConfigRegister("Link Status 2", offset: offset + 0x32, size: 2, .ro),
            ConfigRegister("Slot Capabilities 2", offset: offset + 0x34, size: 4, .ro),
            ConfigRegister("Slot Control 2", offset: offset + 0x38, size: 2, .ro),
            ConfigRegister("Slot Status 2", offset: offset + 0x3A, size: 2, .ro),
        ]
    }
}
