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
