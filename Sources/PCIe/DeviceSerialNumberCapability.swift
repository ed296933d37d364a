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
