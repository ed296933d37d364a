/// Capability list headers (PCI Local Bus 3.0 §6.7; PCIe Base 4.0 §7.6).
public enum CapabilityHeader {
    /// Standard capability: ID byte and Next Capability Pointer byte, both RO.
    public static func standard(id: UInt8, offset: Int, next: Int, name: String) -> [ConfigRegister] {
        [
            ConfigRegister("\(name) Capability ID", offset: offset, size: 1, .ro, reset: UInt32(id)),
            ConfigRegister("\(name) Next Capability Pointer", offset: offset + 1, size: 1, .ro, reset: UInt32(next)),
        ]
    }

    /// Extended capability header: ID 15:0, version 19:16, next offset 31:20, all RO.
    public static func extended(id: UInt16, version: UInt8, offset: Int, next: Int, name: String) -> ConfigRegister {
        ConfigRegister("\(name) Extended Capability Header", offset: offset, size: 4, fields: [
            RegisterField("capabilityID", lsb: 0, width: 16, .ro, reset: UInt32(id)),
            RegisterField("capabilityVersion", lsb: 16, width: 4, .ro, reset: UInt32(version)),
            RegisterField("nextCapabilityOffset", lsb: 20, width: 12, .ro, reset: UInt32(next)),
        ])
    }
}

/// A capability structure that can be placed in config space and chained.
public protocol Capability: Sendable {
    /// Spec name, used as the register-name prefix.
    var name: String { get }
    /// Bytes the structure occupies.
    var length: Int { get }
    /// True for extended capabilities (at 0x100 and above).
    var isExtended: Bool { get }
    /// The registers of the structure at `offset`, pointing to `next` (0 = end of list).
    func registers(at offset: Int, next: Int) -> [ConfigRegister]
}
