/// Access Control Services, extended capability 0x000D (PCIe Base 4.0 §7.7.7; sriov-facts
/// §4.4): the capability bits say which controls exist, and only those are writable.
public struct ACSCapability: Capability {
    public var name: String { "ACS" }
    public var length: Int { 8 }
    public var isExtended: Bool { true }
    /// Bits 6:0: SV, TB, RR, CR, UF, EC, DT.
    public var capabilities: UInt16
    public init(capabilities: UInt16) { self.capabilities = capabilities & 0x7F }

    public static let controlOffset = 6
    public static let bitNames = ["sourceValidation", "translationBlocking", "p2pRequestRedirect",
                                  "p2pCompletionRedirect", "upstreamForwarding", "p2pEgressControl", "directTranslatedP2P"]

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        let control = Self.bitNames.enumerated().map { bit, name in
            RegisterField(name + "Enable", lsb: bit, width: 1, capabilities & (1 << bit) != 0 ? .rw : .ro)
        }
        return [
            CapabilityHeader.extended(id: 0x000D, version: 1, offset: offset, next: next, name: name),
            ConfigRegister("ACS Capability", offset: offset + 4, size: 2, .ro, reset: UInt32(capabilities)),
            ConfigRegister("ACS Control", offset: offset + 6, size: 2, fields: control),
        ]
    }
}
