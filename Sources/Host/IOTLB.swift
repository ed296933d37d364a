/// The IOMMU's translation caches (VT-d §6.1-6.2): the context cache (a requester's domain, so
/// the IOTLB can be searched without reading the context entry) and the IOTLB, set-associative,
/// tagged with the domain and the 4 KiB page, keeping the host page and the permissions the walk
/// found. Neither sees software change the tables: an entry stays until it is invalidated (or
/// evicted), which is what makes a remap without invalidation stale.
public struct IOTLB: Sendable {
    public struct Entry: Sendable, Equatable {
        public let domain: UInt16
        public let page: UInt64
        public let hostPage: UInt64
        public let readable: Bool
        public let writable: Bool
    }

    /// What software asks to invalidate (VT-d §6.5: global, domain-selective, page-selective
    /// with an address mask of 2^mask pages).
    public enum Invalidation: Sendable, Equatable {
        case global
        case domain(UInt16)
        case pages(domain: UInt16, address: UInt64, mask: Int)
    }

    public let sets: Int
    public let ways: Int
    /// Per set, most recently used first.
    var storage: [[Entry]]
    /// The context cache by source ID: the domain + 1 (0: not cached), found by index per
    /// translation.
    var contexts: [UInt32] = Array(repeating: 0, count: 1 << 16)
    public private(set) var hits: UInt64 = 0
    public private(set) var misses: UInt64 = 0
    /// Hits and misses by domain number (grown as domains appear).
    var domainCounts: [(hits: UInt64, misses: UInt64, seen: Bool)] = []
    public private(set) var contextHits: UInt64 = 0
    public private(set) var contextMisses: UInt64 = 0

    public init(entries: Int = 64, ways: Int = 4) {
        self.ways = max(1, ways)
        sets = max(1, entries / self.ways)
        storage = Array(repeating: [], count: sets)
    }

    public var count: Int { storage.reduce(0) { $0 + $1.count } }

    /// The domain a requester's context entry gave, if cached.
    public mutating func domain(of sourceID: UInt16) -> UInt16? {
        let cached = contexts[Int(sourceID)]
        if cached != 0 {
            contextHits += 1
            return UInt16(cached - 1)
        }
        contextMisses += 1
        return nil
    }

    public mutating func cacheContext(_ sourceID: UInt16, domain: UInt16) { contexts[Int(sourceID)] = UInt32(domain) + 1 }

    /// Context-cache invalidation: all, or one requester's.
    public mutating func invalidateContexts(sourceID: UInt16? = nil) {
        if let sourceID {
            contexts[Int(sourceID)] = 0
        } else {
            for k in contexts.indices { contexts[k] = 0 }
        }
    }

    /// Hits and misses per domain (a VM's share of the cache), for the domains looked up.
    public var byDomain: [UInt16: (hits: UInt64, misses: UInt64)] {
        var counts: [UInt16: (hits: UInt64, misses: UInt64)] = [:]
        for (d, c) in domainCounts.enumerated() where c.seen { counts[UInt16(d)] = (c.hits, c.misses) }
        return counts
    }

    /// Counts a lookup of `domain`'s.
    mutating func count(domain: UInt16, hit: Bool) {
        let d = Int(domain)
        if d >= domainCounts.count { domainCounts += Array(repeating: (0, 0, false), count: d + 1 - domainCounts.count) }
        domainCounts[d].seen = true
        if hit { domainCounts[d].hits += 1 } else { domainCounts[d].misses += 1 }
    }

    /// The entries of the set `page` falls in (where a lookup of it searches).
    public func candidates(page: UInt64) -> [Entry] { storage[Int(page % UInt64(sets))] }

    /// The context cache: requester -> domain.
    public var cachedContexts: [UInt16: UInt16] {
        var cached: [UInt16: UInt16] = [:]
        for (sourceID, d) in contexts.enumerated() where d != 0 { cached[UInt16(sourceID)] = UInt16(d - 1) }
        return cached
    }

    /// Every entry held, set by set.
    public var entries: [Entry] { storage.flatMap { $0 } }

    public mutating func lookup(domain: UInt16, page: UInt64) -> Entry? {
        let set = Int(page % UInt64(sets))
        guard let k = storage[set].firstIndex(where: { $0.domain == domain && $0.page == page }) else {
            misses += 1
            count(domain: domain, hit: false)
            return nil
        }
        hits += 1
        count(domain: domain, hit: true)
        let entry = storage[set].remove(at: k)
        storage[set].insert(entry, at: 0)
        return entry
    }

    /// Fills an entry; the set's least recently used one goes when the set is full.
    public mutating func insert(_ entry: Entry) {
        let set = Int(entry.page % UInt64(sets))
        storage[set].removeAll { $0.domain == entry.domain && $0.page == entry.page }
        storage[set].insert(entry, at: 0)
        if storage[set].count > ways { storage[set].removeLast() }
    }

    public mutating func invalidate(_ what: Invalidation) {
        for set in storage.indices {
            storage[set].removeAll { entry in
                switch what {
                case .global: true
                case .domain(let d): entry.domain == d
                case .pages(let d, let address, let mask): entry.domain == d && entry.page >> UInt64(mask) == (address >> 12) >> UInt64(mask)
                }
            }
        }
    }

    public func entry(domain: UInt16, page: UInt64) -> Entry? {
        storage[Int(page % UInt64(sets))].first { $0.domain == domain && $0.page == page }
    }
}
