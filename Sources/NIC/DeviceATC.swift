import PCIe
import RTL

/// A function's Address Translation Cache (PCIe ATS 1.1 §2): the translations the device got
/// from the IOMMU with Translation Requests, one per 4 KiB page with the Read and Write
/// permissions the Translation Completion gave, least recently used replaced first. With a hit
/// the device sends the request translated (Address Type 10) to the host address; an Invalidate
/// Request from the IOMMU removes the pages it names (§3.1). The hit is decided by
/// `CachedTranslation.lookup`, the function the IOMMU's IOTLB decides with and the prover runs.
public struct DeviceATC: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The untranslated page (IOVA >> 12) and the host page it translates to.
        public var page: UInt64
        public var hostPage: UInt64
        public var readable: Bool
        public var writable: Bool
        public init(page: UInt64, hostPage: UInt64, readable: Bool, writable: Bool) {
            self.page = page
            self.hostPage = hostPage
            self.readable = readable
            self.writable = writable
        }
    }

    public let capacity: Int
    /// Least recently used first.
    public private(set) var entries: [Entry] = []

    public init(capacity: Int = 32) { self.capacity = max(1, capacity) }

    /// The host address an access to `address` is sent to, translated, or nil (a miss).
    public mutating func lookup(address: UInt64, write: Bool) -> UInt64? {
        let decision = CachedTranslation.lookup(domain: Bits<Concrete, 16>(0), cached: Bit(1), address: Bits(address), write: Bit(write),
                                                entries: entries.map(CachedTranslation.Entry<Concrete>.init))
        guard decision.hit.isSet, let k = entries.firstIndex(where: { $0.page == address >> 12 }) else { return nil }
        entries.append(entries.remove(at: k))
        return decision.hostAddress.value
    }

    public mutating func insert(_ entry: Entry) {
        entries.removeAll { $0.page == entry.page }
        if entries.count >= capacity { entries.removeFirst() }
        entries.append(entry)
    }

    /// Removes the translations of the `pages` pages from `page` (an Invalidate Request's range).
    public mutating func invalidate(page: UInt64, pages: UInt64) {
        entries.removeAll { $0.page >= page && $0.page - page < pages }
    }
}

extension CachedTranslation.Entry {
    /// An ATC entry as the decision takes it: every entry in domain 0 (the cache is the function's own).
    public init(_ entry: DeviceATC.Entry) {
        self.init(domain: .zero, page: Bits(entry.page), hostPage: Bits(entry.hostPage), readable: Bit(entry.readable), writable: Bit(entry.writable))
    }
}
