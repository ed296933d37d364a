import RTL

/// A Type 1 function: a root port, a switch upstream port or a switch downstream port, with
/// its config space (Type 1 header, PCI Express capability, ACS where the platform gives it)
/// and the decode it implies (PCIe Base 4.0 §7.5.1.3, §7.7.7).
public struct PortFunction: Sendable {
    public let name: String
    public let portType: PCIExpressCapability.PortType
    public var config: ConfigSpace
    public static let pcieOffset = 0x40
    public static let acsOffset = 0x100

    public init(name: String, portType: PCIExpressCapability.PortType, ariForwardingSupported: Bool, acsCapabilities: UInt16?,
                linkSpeed: UInt32 = 3, linkWidth: UInt32 = 16, deviceID: UInt16 = 0x0001) {
        self.name = name
        self.portType = portType
        var placed = [PlacedCapability(offset: Self.pcieOffset, capability: PCIExpressCapability(
            portType: portType, flrCapable: false, linkSpeed: linkSpeed, linkWidth: linkWidth,
            ariForwardingSupported: ariForwardingSupported && portType != .upstreamSwitchPort))]
        if let acs = acsCapabilities, portType != .upstreamSwitchPort {
            placed.append(PlacedCapability(offset: Self.acsOffset, capability: ACSCapability(capabilities: acs)))
        }
        let header = Type1Header(vendorID: 0x8086, deviceID: deviceID, revisionID: 1, capabilitiesPointer: UInt8(Self.pcieOffset))
        // Built from fixed, valid offsets: cannot fail.
        config = try! CapabilityLayout.build(header: header.registers, capabilities: placed)
    }

    public var hasACS: Bool { config.read(offset: Self.acsOffset, size: 2) == 0x000D }

    func byte(_ offset: Int) -> UInt64 { UInt64(config.read(offset: offset, size: 1)!) }
    func word(_ offset: Int) -> UInt64 { UInt64(config.read(offset: offset, size: 2)!) }

    public var secondaryBus: UInt8 { UInt8(byte(Type1Header.secondaryBusOffset)) }
    public var subordinateBus: UInt8 { UInt8(byte(Type1Header.subordinateBusOffset)) }
    public var primaryBus: UInt8 { UInt8(byte(Type1Header.primaryBusOffset)) }

    /// Memory window [base, limit], 1 MiB granularity (bits 15:4 hold address bits 31:20).
    public var memoryWindow: (base: UInt64, limit: UInt64) {
        ((word(0x20) & 0xFFF0) << 16, (word(0x22) & 0xFFF0) << 16 | 0xFFFFF)
    }

    /// Prefetchable window with its upper 32 bits.
    public var prefetchableWindow: (base: UInt64, limit: UInt64) {
        let upperBase = UInt64(config.read(offset: 0x28, size: 4)!), upperLimit = UInt64(config.read(offset: 0x2C, size: 4)!)
        return (upperBase << 32 | (word(0x24) & 0xFFF0) << 16, upperLimit << 32 | (word(0x26) & 0xFFF0) << 16 | 0xFFFFF)
    }

    public var ariForwardingEnabled: Bool {
        UInt32(word(Self.pcieOffset + PCIExpressCapability.deviceControl2Offset)) & PCIExpressCapability.ariForwardingEnableBit != 0
    }

    public var acsControl: UInt16 { hasACS ? UInt16(word(Self.acsOffset + ACSCapability.controlOffset)) : 0 }

    /// The port's decode as the generic routing function takes it.
    public func decode<A>(_: A.Type = A.self) -> DownstreamPort<A> {
        DownstreamPort(
            secondaryBus: Bits(UInt64(secondaryBus)), subordinateBus: Bits(UInt64(subordinateBus)),
            memoryBase: Bits(memoryWindow.base), memoryLimit: Bits(memoryWindow.limit),
            prefetchableBase: Bits(prefetchableWindow.base), prefetchableLimit: Bits(prefetchableWindow.limit),
            ariForwarding: Bit(ariForwardingEnabled), acsControl: Bits(UInt64(acsControl)))
    }
}
