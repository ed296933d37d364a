import RTL

/// The second-level walks already made, by request, while none of the entries they read has
/// changed (VT-d §3.4: a walk is a function of RTADDR and the root, context and paging entries
/// in host memory, nothing else): the simulator's memo, not a cache of the modelled hardware —
/// the IOMMU still looks in its IOTLB first, counts hits and misses and fills it as before; on
/// a miss the walk's result comes from here when the same request was walked before. Every page
/// a walk reads is watched in host memory; a write to any of them (software changing a mapping,
/// a device writing where it must not) or a new RTADDR forgets every result. Only walks that
/// allowed the request are kept: a fault is found (and recorded) by a walk each time.
///
/// An open-addressing table (linear probing) keyed by requester, page, write and Address Type,
/// hashed by one multiplication: a lookup per IOTLB miss must cost far less than the walk.
struct WalkMemo {
    /// Per slot: 0 empty, else 1 << 31 | requester << 3 | write << 2 | Address Type; the
    /// request's page; the result (host page, domain, FPD, R, W, walked).
    private var tags: [UInt32] = []
    private var pages: [UInt64] = []
    private var hostPages: [UInt64] = []
    private var details: [UInt32] = []
    private var count = 0
    /// Requests answered from the memo, and walks made (for tests and profiles).
    private(set) var hits: UInt64 = 0, walks: UInt64 = 0
    private var generation: UInt64 = 0
    private var rootTable: UInt64 = 0
    /// Slots at most; the table doubles from 1,024 while at most half full, and is emptied when
    /// this many would be more than half full.
    static let maximumSlots = 1 << 16

    /// The walk's result for the request, as `SecondLevelTranslation.translate` over `memory` gives it.
    mutating func translate(_ memory: HostMemory, rootTable: UInt64, requester: UInt16, address: UInt64, write: Bool,
                            addressType: UInt8) -> SecondLevelTranslation.Result<Concrete> {
        if memory.watchedGeneration != generation || rootTable != self.rootTable {
            forget()
            generation = memory.watchedGeneration
            self.rootTable = rootTable
        }
        let page = address >> 12
        let tag = 1 << 31 | UInt32(requester) << 3 | (write ? 4 : 0) | UInt32(addressType & 3)
        var slot = tags.isEmpty ? 0 : self.slot(tag: tag, page: page)
        if !tags.isEmpty, tags[slot] == tag {
            hits += 1
            let d = details[slot]
            return SecondLevelTranslation.Result(hostAddress: Bits(hostPages[slot] << 12 | address & 0xFFF), fault: .zero,
                                                 domain: Bits(UInt64(d & 0xFFFF)), faultProcessingDisabled: Bit(d >> 16 & 1 == 1),
                                                 readable: Bit(d >> 17 & 1 == 1), writable: Bit(d >> 18 & 1 == 1), walked: Bit(d >> 19 & 1 == 1))
        }
        let request = SecondLevelTranslation.Request<Concrete>(requester: Bits(UInt64(requester)), address: Bits(address), write: Bit(write),
                                                               addressType: Bits(UInt64(addressType)))
        let result = SecondLevelTranslation.translate(rootTable: Bits(rootTable), request, tables: HostMemoryTables(memory, watching: true))
        walks += 1
        guard result.allowed.isSet else { return result }
        if 2 * (count + 1) > tags.count {
            if tags.count >= Self.maximumSlots { forget() } else { grow() }
            slot = self.slot(tag: tag, page: page)
        }
        tags[slot] = tag
        pages[slot] = page
        hostPages[slot] = result.hostAddress.value >> 12
        details[slot] = UInt32(truncatingIfNeeded: result.domain.value) | (result.faultProcessingDisabled.isSet ? 1 << 16 : 0)
            | (result.readable.isSet ? 1 << 17 : 0) | (result.writable.isSet ? 1 << 18 : 0) | (result.walked.isSet ? 1 << 19 : 0)
        count += 1
        return result
    }

    /// The slot holding the request, or the empty one where it would go.
    private func slot(tag: UInt32, page: UInt64) -> Int {
        let mask = tags.count - 1
        var s = Int(truncatingIfNeeded: ((page ^ UInt64(tag) << 40) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
        while tags[s] != 0, tags[s] != tag || pages[s] != page { s = (s + 1) & mask }
        return s
    }

    private mutating func forget() {
        guard count > 0 else { return }
        for k in tags.indices { tags[k] = 0 }
        count = 0
    }

    private mutating func grow() {
        let old = (tags, pages, hostPages, details)
        let slots = max(1024, 2 * tags.count)
        tags = [UInt32](copies: 0, count: slots)
        pages = [UInt64](copies: 0, count: slots)
        hostPages = [UInt64](copies: 0, count: slots)
        details = [UInt32](copies: 0, count: slots)
        for k in old.0.indices where old.0[k] != 0 {
            let s = slot(tag: old.0[k], page: old.1[k])
            (tags[s], pages[s], hostPages[s], details[s]) = (old.0[k], old.1[k], old.2[k], old.3[k])
        }
    }
}
