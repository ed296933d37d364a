/// MSI capability, ID 0x05, 64-bit with per-vector masking (PCI Local Bus 3.0 §6.8.1).
public struct MSICapability: Capability {
    public var name: String { "MSI" }
    public var length: Int { 0x18 }
    public var isExtended: Bool { false }
    public init() {}

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        CapabilityHeader.standard(id: 0x05, offset: offset, next: next, name: name) + [
            ConfigRegister("MSI Message Control", offset: offset + 2, size: 2, fields: [
                RegisterField("msiEnable", lsb: 0, width: 1, .rw),
                RegisterField("multipleMessageCapable", lsb: 1, width: 3, .ro),
                RegisterField("multipleMessageEnable", lsb: 4, width: 3, .rw),
                RegisterField("address64Capable", lsb: 7, width: 1, .ro, reset: 1),
                RegisterField("perVectorMaskingCapable", lsb: 8, width: 1, .ro, reset: 1),
            ]),
            ConfigRegister("MSI Message Address", offset: offset + 4, size: 4, fields: [RegisterField("address", lsb: 2, width: 30, .rw)]),
            ConfigRegister("MSI Message Upper Address", offset: offset + 8, size: 4, .rw),
            ConfigRegister("MSI Message Data", offset: offset + 0x0C, size: 2, .rw),
            ConfigRegister("MSI Mask Bits", offset: offset + 0x10, size: 4, fields: [RegisterField("mask", lsb: 0, width: 1, .rw)]),
            ConfigRegister("MSI Pending Bits", offset: offset + 0x14, size: 4, .ro),
        ]
    }
}
