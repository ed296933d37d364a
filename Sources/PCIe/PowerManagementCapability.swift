/// Power Management capability, ID 0x01 (PCI Bus Power Management 1.2 §3.2).
public struct PowerManagementCapability: Capability {
    public var name: String { "Power Management" }
    public var length: Int { 8 }
    public var isExtended: Bool { false }
    /// PMC: version 3, D3hot/D3cold PME, DSI as on Intel NICs.
    public var capabilities: UInt16 = 0xC823
    public init() {}

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        CapabilityHeader.standard(id: 0x01, offset: offset, next: next, name: name) + [
            ConfigRegister("Power Management Capabilities", offset: offset + 2, size: 2, .ro, reset: UInt32(capabilities)),
            ConfigRegister("Power Management Control/Status", offset: offset + 4, size: 2, fields: [
                RegisterField("powerState", lsb: 0, width: 2, .rw),
                RegisterField("noSoftReset", lsb: 3, width: 1, .ro),
                RegisterField("pmeEnable", lsb: 8, width: 1, .rw),
                RegisterField("dataSelect", lsb: 9, width: 4, .rw),
                RegisterField("dataScale", lsb: 13, width: 2, .ro, reset: 1),
                RegisterField("pmeStatus", lsb: 15, width: 1, .rw1c),
            ]),
            ConfigRegister("PMCSR Bridge Extensions", offset: offset + 6, size: 1, .ro),
            ConfigRegister("Power Management Data", offset: offset + 7, size: 1, .ro),
        ]
    }
}
