/// Address Translation Services, extended capability 0x000F (PCIe ATS 1.1 §5.1): Invalidate
/// Queue Depth and Page Aligned Request; control has Smallest Translation Unit and Enable.
public struct ATSCapability: Capability {
    public var name: String { "ATS" }
    public var length: Int { 8 }
    public var isExtended: Bool { true }
    /// 0 means 32.
    public var invalidateQueueDepth: UInt8
    public var pageAlignedRequest: Bool
    /// VFs share the PF's STU: their field is read-only (Linux ats.c).
    public var stuWritable: Bool
    public init(invalidateQueueDepth: UInt8, pageAlignedRequest: Bool, stuWritable: Bool = true) {
        self.invalidateQueueDepth = invalidateQueueDepth & 0x1F
        self.pageAlignedRequest = pageAlignedRequest
        self.stuWritable = stuWritable
    }

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        [
            CapabilityHeader.extended(id: 0x000F, version: 1, offset: offset, next: next, name: name),
            ConfigRegister("ATS Capability", offset: offset + 4, size: 2, fields: [
                RegisterField("invalidateQueueDepth", lsb: 0, width: 5, .ro, reset: UInt32(invalidateQueueDepth)),
                RegisterField("pageAlignedRequest", lsb: 5, width: 1, .ro, reset: pageAlignedRequest ? 1 : 0),
            ]),
            ConfigRegister("ATS Control", offset: offset + 6, size: 2, fields: [
                RegisterField("smallestTranslationUnit", lsb: 0, width: 5, stuWritable ? .rw : .ro),
                RegisterField("enable", lsb: 15, width: 1, .rw),
            ]),
        ]
    }
}
