/// A capability placed at an offset in a function's config space.
public struct PlacedCapability: Sendable {
    public var offset: Int
    public var capability: any Capability
    public init(offset: Int, capability: any Capability) {
        self.offset = offset
        self.capability = capability
    }
}

/// Why a layout of capabilities cannot exist; the model loader turns it into a message that
/// names the model-file key.
public struct CapabilityLayoutError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Name of the capability at fault.
    public let capability: String
    public let message: String
    public var description: String { "\(capability): \(message)" }
}

/// Chains capabilities into the standard list (from the Capabilities Pointer, 0x40-0xFF) and
/// the extended list (from 0x100), in offset order, and builds the config space
/// (PCI Local Bus 3.0 §6.7, PCIe Base 4.0 §7.6).
public enum CapabilityLayout {
    public static func check(_ capabilities: [PlacedCapability]) throws {
        let sorted = capabilities.sorted { $0.offset < $1.offset }
        for placed in sorted {
            let c = placed.capability
            let range = c.isExtended ? 0x100...0xFFF : 0x40...0xFF
            guard range.contains(placed.offset) else {
                throw CapabilityLayoutError(capability: c.name, message: "offset 0x\(hex(placed.offset)) outside \(c.isExtended ? "extended config space 0x100-0xfff" : "the capability area 0x40-0xff")")
            }
            guard placed.offset % 4 == 0 else {
                throw CapabilityLayoutError(capability: c.name, message: "offset 0x\(hex(placed.offset)) is not dword aligned")
            }
            guard placed.offset + c.length <= range.upperBound + 1 else {
                throw CapabilityLayoutError(capability: c.name, message: "\(c.length) bytes at 0x\(hex(placed.offset)) run past 0x\(hex(range.upperBound))")
            }
        }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.capability.length > b.offset {
            throw CapabilityLayoutError(capability: b.capability.name, message: "at 0x\(hex(b.offset)) overlaps \(a.capability.name) at 0x\(hex(a.offset)) (\(a.capability.length) bytes)")
        }
        let extended = sorted.filter { $0.capability.isExtended }
        if let first = extended.first, first.offset != 0x100 {
            throw CapabilityLayoutError(capability: first.capability.name, message: "the extended capability list starts at 0x100; nothing is there")
        }
    }

    /// The first standard capability's offset (for the Capabilities Pointer), 0 if none.
    public static func capabilitiesPointer(_ capabilities: [PlacedCapability]) -> UInt8 {
        UInt8(capabilities.filter { !$0.capability.isExtended }.map(\.offset).min() ?? 0)
    }

    /// Header registers plus every capability, chained.
    public static func build(header: [ConfigRegister], capabilities: [PlacedCapability]) throws -> ConfigSpace {
        try check(capabilities)
        var registers = header
        for extended in [false, true] {
            let list = capabilities.filter { $0.capability.isExtended == extended }.sorted { $0.offset < $1.offset }
            for (k, placed) in list.enumerated() {
                let next = k + 1 < list.count ? list[k + 1].offset : 0
                registers += placed.capability.registers(at: placed.offset, next: next)
            }
        }
        return ConfigSpace(registers: registers)
    }
}

func hex(_ value: Int) -> String { String(value, radix: 16) }
