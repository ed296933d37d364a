/// Advanced Error Reporting, extended capability 0x0001, version 1 (PCIe Base 4.0 §7.8.4), endpoint layout (0x2C bytes):
/// status registers RW1C, mask and severity RW, header log RO. Of the errors, the model raises
/// Unsupported Request (bit 20) where a function handles a request as UR.
public struct AERCapability: Capability {
    public var name: String { "AER" }
    public var length: Int { 0x2C }
    public var isExtended: Bool { true }
    public init() {}

    /// Uncorrectable errors by bit (PCIe Base 4.0 §7.8.4.2; bits 6-11 are reserved): each names
    /// one bit of the Status, Mask and Severity registers (`...Status`, `...Mask`, `...Severity`).
    public static let uncorrectableErrors: [(name: String, bit: Int)] = [
        ("dataLinkProtocolError", 4), ("surpriseDownError", 5), ("poisonedTLP", 12),
        ("flowControlProtocolError", 13), ("completionTimeout", 14), ("completerAbort", 15),
        ("unexpectedCompletion", 16), ("receiverOverflow", 17), ("malformedTLP", 18), ("ecrcError", 19),
        ("unsupportedRequestError", 20), ("acsViolation", 21), ("uncorrectableInternalError", 22),
        ("mcBlockedTLP", 23), ("atomicOpEgressBlocked", 24), ("tlpPrefixBlockedError", 25),
    ]

    /// Correctable errors by bit (PCIe Base 4.0 §7.8.4.5), in the Status and Mask registers.
    public static let correctableErrors: [(name: String, bit: Int)] = [
        ("receiverError", 0), ("badTLP", 6), ("badDLLP", 7), ("replayNumRollover", 8),
        ("replayTimerTimeout", 12), ("advisoryNonFatalError", 13), ("correctedInternalError", 14),
        ("headerLogOverflow", 15),
    ]

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        [
            CapabilityHeader.extended(id: 0x0001, version: 1, offset: offset, next: next, name: name),
            ConfigRegister("Uncorrectable Error Status", offset: offset + 0x04, size: 4, fields: Self.uncorrectableErrors.map { name, bit in
                RegisterField(name + "Status", lsb: bit, width: 1, .rw1c)
            }),
            ConfigRegister("Uncorrectable Error Mask", offset: offset + 0x08, size: 4, fields: Self.uncorrectableErrors.map { name, bit in
                RegisterField(name + "Mask", lsb: bit, width: 1, .rw)
            }),
            // Default severities: Data Link Protocol, Surprise Down, Flow Control Protocol,
            // Receiver Overflow and Malformed TLP fatal (0x62030).
            ConfigRegister("Uncorrectable Error Severity", offset: offset + 0x0C, size: 4, fields: Self.uncorrectableErrors.map { name, bit in
                RegisterField(name + "Severity", lsb: bit, width: 1, .rw, reset: UInt32(0x62030 >> bit) & 1)
            }),
            ConfigRegister("Correctable Error Status", offset: offset + 0x10, size: 4, fields: Self.correctableErrors.map { name, bit in
                RegisterField(name + "Status", lsb: bit, width: 1, .rw1c)
            }),
            // Advisory Non-Fatal errors masked by default.
            ConfigRegister("Correctable Error Mask", offset: offset + 0x14, size: 4, fields: Self.correctableErrors.map { name, bit in
                RegisterField(name + "Mask", lsb: bit, width: 1, .rw, reset: bit == 13 ? 1 : 0)
            }),
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
