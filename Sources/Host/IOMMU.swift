import PCIe
import RTL

/// The remapping hardware in the root complex, concrete side (VT-d §3, §6, §7): with
/// translation enabled, a DMA request is looked up in the context cache and the IOTLB; on a
/// miss it is translated by `SecondLevelTranslation` over the tables in host memory that
/// RTADDR points at, and the result cached. A request that faults is blocked and, unless its
/// context entry disables fault processing, recorded in the fault recording registers (a ring
/// of `faultRecords` entries; a fault when all are full sets Primary Fault Overflow instead).
public final class IOMMU {
    public let memory: HostMemory
    /// RTADDR (root table address) and GSTS.TES (translation enabled).
    public var rootTable: UInt64 = 0
    public var translationEnabled = false
    /// Fault recording registers (CAP.NFR + 1 of them) and FSTS.PFO.
    public let faultRecords: Int
    /// The fault recording registers' contents: slot k is FRCD k (nil: F clear). Hardware
    /// records at the next slot in turn; a fault that finds it still valid sets PFO instead.
    public private(set) var slots: [FaultRecord?]
    var nextSlot = 0
    public private(set) var primaryFaultOverflow = false
    /// The valid records, in slot order.
    public var faults: [FaultRecord] { slots.compactMap { $0 } }
    public private(set) var translations: UInt64 = 0
    /// The translation caches.
    public var iotlb: IOTLB
    /// Scratch for the IOTLB set a lookup decides over (kept: once the sets are full, a lookup
    /// allocates nothing).
    var candidates: [CachedTranslation.Entry<Concrete>] = []
    /// The walks' results while their tables stay as they were (the simulator's, not an IOTLB).
    var walks = WalkMemo()
    /// Interrupt remapping: IRTA (table base, size field S: 2^(S+1) entries) and GSTS.IRES.
    public var interruptTable: UInt64 = 0
    public var interruptTableSize: UInt8 = 0
    public var interruptRemappingEnabled = false
    /// Device-TLB invalidations (ATS Invalidate Requests) sent and not yet completed, and what
    /// sends one: (the function, its page, pages) (VT-d §6.5.2.5).
    public internal(set) var pendingDeviceInvalidations = 0
    public var sendDeviceInvalidation: ((UInt16, UInt64, UInt64) -> Void)?

    public init(memory: HostMemory, faultRecords: Int = 8, iotlbEntries: Int = 64, iotlbWays: Int = 4) {
        self.memory = memory
        self.faultRecords = faultRecords
        slots = Array(repeating: nil, count: max(1, faultRecords))
        iotlb = IOTLB(entries: iotlbEntries, ways: iotlbWays)
    }

    /// Translates one request at `clock`: the host address it may reach, or nil (blocked).
    public func translate(requester: UInt16, address: UInt64, write: Bool, addressType: UInt8 = 0, clock: UInt64) -> UInt64? {
        guard translationEnabled else { return address }
        translations += 1
        // Untranslated requests hit the caches; an entry keeps the permissions the walk found
        // (an access it does not allow walks the tables again, to fault or to refill).
        if let domain = iotlb.domain(of: requester) {
            // The set's entries as the decision sees them, in storage reused per lookup.
            // Written over in place once the set is full (emptying and appending cost more).
            let set = iotlb.candidates(page: address >> 12)
            if candidates.count == set.count {
                for k in set.indices { candidates[k] = CachedTranslation.Entry<Concrete>(set[k]) }
            } else {
                candidates = set.map { CachedTranslation.Entry<Concrete>($0) }
            }
            let cached = CachedTranslation.lookup(domain: Bits(UInt64(domain)), cached: Bit(true), address: Bits(address), write: Bit(write),
                                                  addressType: Bits(UInt64(addressType)), entries: candidates)
            if addressType == 0 { _ = iotlb.lookup(domain: domain, page: address >> 12) }   // the hit or miss counted, the entry made most recent
            if cached.hit.isSet { return cached.hostAddress.value }
        }
        let result = walks.translate(memory, rootTable: rootTable, requester: requester, address: address, write: write, addressType: addressType)
        if result.allowed.isSet {
            if result.walked.isSet {
                let domain = UInt16(result.domain.value)
                iotlb.cacheContext(requester, domain: domain)
                iotlb.insert(IOTLB.Entry(domain: domain, page: address >> 12, hostPage: result.hostAddress.value >> 12,
                                         readable: result.readable.isSet, writable: result.writable.isSet))
            }
            return result.hostAddress.value
        }
        if !result.faultProcessingDisabled.isSet {
            record(FaultRecord(clock: clock, sourceID: requester, address: address & ~0xFFF, code: UInt8(result.fault.value), isWrite: write))
        }
        return nil
    }

    /// A device-TLB invalidation descriptor: the Invalidate Request goes to the function.
    func invalidateDeviceTLB(sourceID: UInt16, page: UInt64, pages: UInt64) {
        guard let send = sendDeviceInvalidation else { return }
        pendingDeviceInvalidations += 1
        send(sourceID, page, pages)
    }

    /// An Invalidation Completion arrived; true when none is pending any more.
    func deviceInvalidationCompleted() -> Bool {
        pendingDeviceInvalidations = max(0, pendingDeviceInvalidations - 1)
        return pendingDeviceInvalidations == 0
    }

    /// A device's Translation Request for the page of `address` (ATS 1.1 §2.1; VT-d §4.2.3): the
    /// walk as for an untranslated read, answered with the host page and the permissions along
    /// it; nil when the request may not be translated (no device-TLB in the context entry, no
    /// mapping). Nothing is recorded: the device learns it from R = W = 0.
    public func translationRequest(requester: UInt16, address: UInt64) -> (address: UInt64, read: Bool, write: Bool)? {
        guard translationEnabled else { return (address & ~0xFFF, true, true) }
        translations += 1
        let result = walks.translate(memory, rootTable: rootTable, requester: requester, address: address & ~0xFFF, write: false, addressType: 1)
        let permission = UInt64(SecondLevelTranslation.Reason.readDenied.rawValue)
        guard result.allowed.isSet || result.fault.value == permission, result.readable.isSet || result.writable.isSet else { return nil }
        return (result.hostAddress.value & ~0xFFF, result.readable.isSet, result.writable.isSet)
    }

    /// Remaps an interrupt request (a write to 0xFEEx_xxxx) from `requester`: its (vector,
    /// destination), or nil when blocked (the fault recorded unless the entry disables it).
    /// Without interrupt remapping the request is delivered as compatibility-format MSI:
    /// vector data[7:0], destination address[19:12].
    public func remapInterrupt(requester: UInt16, address: UInt64, data: UInt32, clock: UInt64) -> (vector: UInt8, destination: UInt32)? {
        let result = InterruptRemapping.deliver(enabled: Bit(interruptRemappingEnabled), tableBase: Bits(interruptTable),
                                                sizeField: Bits(UInt64(interruptTableSize)), requester: Bits(UInt64(requester)),
                                                address: Bits(address), data: Bits(UInt64(data)), tables: HostMemoryTables(memory))
        if result.delivered.isSet { return (UInt8(result.vector.value), UInt32(result.destination.value)) }
        if !result.faultProcessingDisabled.isSet {
            record(FaultRecord(clock: clock, sourceID: requester, address: result.index.value << 48, code: UInt8(result.fault.value), isWrite: true))
        }
        return nil
    }

    func record(_ fault: FaultRecord) {
        guard slots[nextSlot] == nil else {
            primaryFaultOverflow = true
            return
        }
        slots[nextSlot] = fault
        nextSlot = (nextSlot + 1) % slots.count
    }

    /// Software cleared every fault recording register (writes of 1 to each F bit) and PFO.
    public func clearFaults() {
        acknowledgeFaults(records: Array(repeating: false, count: slots.count), overflow: false)
    }

    /// Software cleared the F bits of the records now false in `records`, and PFO if `overflow` is false.
    public func acknowledgeFaults(records: [Bool], overflow: Bool) {
        for k in slots.indices where k >= records.count || !records[k] { slots[k] = nil }
        if !overflow { primaryFaultOverflow = false }
    }
}

extension CachedTranslation.Entry {
    /// An IOTLB entry's fields as the decision takes them (constants in any algebra).
    public init(_ entry: IOTLB.Entry) {
        self.init(domain: Bits(UInt64(entry.domain)), page: Bits(entry.page), hostPage: Bits(entry.hostPage), readable: Bit(entry.readable),
                  writable: Bit(entry.writable))
    }
}
