import RTL

/// The remapping hardware in the root complex, concrete side (VT-d §3, §7): with translation
/// enabled, every DMA request is translated by `SecondLevelTranslation` over the tables in
/// host memory that RTADDR points at; a request that faults is blocked and, unless its context
/// entry disables fault processing, recorded in the fault recording registers (a ring of
/// `faultRecords` entries; a fault when all are full sets Primary Fault Overflow instead).
public final class IOMMU {
    public let memory: HostMemory
    /// RTADDR (root table address) and GSTS.TES (translation enabled).
    public var rootTable: UInt64 = 0
    public var translationEnabled = false
    /// Fault recording registers (CAP.NFR + 1 of them) and FSTS.PFO.
    public let faultRecords: Int
    public private(set) var faults: [FaultRecord] = []
    public private(set) var primaryFaultOverflow = false
    public private(set) var translations: UInt64 = 0

    public init(memory: HostMemory, faultRecords: Int = 8) {
        self.memory = memory
        self.faultRecords = faultRecords
    }

    /// Translates one request at `clock`: the host address it may reach, or nil (blocked).
    public func translate(requester: UInt16, address: UInt64, write: Bool, addressType: UInt8 = 0, clock: UInt64) -> UInt64? {
        guard translationEnabled else { return address }
        translations += 1
        let request = SecondLevelTranslation.Request<Concrete>(requester: Bits(UInt64(requester)), address: Bits(address), write: Bit(write),
                                                               addressType: Bits(UInt64(addressType)))
        let result = SecondLevelTranslation.translate(rootTable: Bits(rootTable), request, tables: HostMemoryTables(memory))
        guard !result.allowed.isSet else { return result.hostAddress.value }
        if !result.faultProcessingDisabled.isSet, let reason = SecondLevelTranslation.Reason(rawValue: UInt8(result.fault.value)) {
            record(FaultRecord(clock: clock, sourceID: requester, address: address & ~0xFFF, reason: reason, isWrite: write))
        }
        return nil
    }

    func record(_ fault: FaultRecord) {
        guard faults.count < faultRecords else {
            primaryFaultOverflow = true
            return
        }
        faults.append(fault)
    }

    /// Software cleared the fault recording registers (writes of 1 to each F bit) and PFO.
    public func clearFaults() {
        faults.removeAll()
        primaryFaultOverflow = false
    }
}
