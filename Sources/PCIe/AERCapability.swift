/// Advanced Error Reporting, extended capability 0x0001, version 1 (PCIe Base 4.0 §7.8.4), endpoint layout (0x2C bytes):
/// status registers RW1C, mask and severity RW, header log RO. Of the errors, the model raises
/// Unsupported Request (bit 20) where a function handles a request as UR.
public struct AERCapability: Capability {
    public var name: String { "AER" }
    public var length: Int { 0x2C }
    public var isExtended: Bool { true }
    public init() {}

    /// Uncorrectable Error Status bits (PCIe Base 4.0 §7.8.4.2); 6-11 are reserved.
    public static let uncorrectableErrors: [(name: String, bit: Int)] = [
        ("dataLinkProtocolErrorStatus", 4), ("surpriseDownErrorStatus", 5), ("poisonedTLPStatus", 12),
        ("flowControlProtocolErrorStatus", 13), ("completionTimeoutStatus", 14), ("completerAbortStatus", 15),
        ("unexpectedCompletionStatus", 16), ("receiverOverflowStatus", 17), ("malformedTLPStatus", 18), ("ecrcErrorStatus", 19),
        ("unsupportedRequestErrorStatus", 20), ("acsViolationStatus", 21), ("uncorrectableInternalErrorStatus", 22),
        ("mcBlockedTLPStatus", 23), ("atomicOpEgressBlockedStatus", 24), ("tlpPrefixBlockedErrorStatus", 25),
    ]

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        [
            CapabilityHeader.extended(id: 0x0001, version: 1, offset: offset, next: next, name: name),
            ConfigRegister("Uncorrectable Error Status", offset: offset + 0x04, size: 4, fields: Self.uncorrectableErrors.map { name, bit in
                RegisterField(name, lsb: bit, width: 1, .rw1c)
            }),
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
