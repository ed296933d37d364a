/// MSI-X capability, ID 0x11 (PCI Local Bus 3.0 §6.8.2): table size, function mask and
/// enable; where the table and the Pending Bit Array sit (BAR indicator and offset).
public struct MSIXCapability: Capability {
    public var name: String { "MSI-X" }
    public var length: Int { 12 }
    public var isExtended: Bool { false }
    public var tableSize: Int
    public var tableBAR: Int
    public var tableOffset: UInt32
    public var pbaBAR: Int
    public var pbaOffset: UInt32

    public init(tableSize: Int, tableBAR: Int, tableOffset: UInt32, pbaBAR: Int, pbaOffset: UInt32) {
        self.tableSize = tableSize
        self.tableBAR = tableBAR
        self.tableOffset = tableOffset
        self.pbaBAR = pbaBAR
        self.pbaOffset = pbaOffset
    }

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        CapabilityHeader.standard(id: 0x11, offset: offset, next: next, name: name) + [
            ConfigRegister("MSI-X Message Control", offset: offset + 2, size: 2, fields: [
                RegisterField("tableSize", lsb: 0, width: 11, .ro, reset: UInt32(tableSize - 1)),
                RegisterField("functionMask", lsb: 14, width: 1, .rw),
                RegisterField("msixEnable", lsb: 15, width: 1, .rw),
            ]),
            ConfigRegister("MSI-X Table Offset/BIR", offset: offset + 4, size: 4, .ro, reset: tableOffset | UInt32(tableBAR)),
            ConfigRegister("MSI-X PBA Offset/BIR", offset: offset + 8, size: 4, .ro, reset: pbaOffset | UInt32(pbaBAR)),
        ]
    }
}
