import RTL

/// A cache of translations, written once over the algebra: the IOMMU's IOTLB (VT-d §6.2) and a
/// device's Address Translation Cache (PCIe ATS 1.1 §2) decide with it. An untranslated
/// request whose page an entry of its domain holds, with the permission the access needs, takes
/// the entry's host page without a walk; anything else walks the tables. The concrete IOMMU
/// decides its hits with it (and keeps its LRU and counters); the prover runs it on the cache
/// contents at the clock of the proof, so a stale entry is part of what is proved.
public enum CachedTranslation {
    /// One IOTLB entry as the decision sees it.
    public struct Entry<A: BitVectorAlgebra> {
        public var domain: Bits<A, 16>
        public var page: Bits<A, 64>
        public var hostPage: Bits<A, 64>
        public var readable: Bit<A>, writable: Bit<A>

        @inlinable
        public init(domain: Bits<A, 16>, page: Bits<A, 64>, hostPage: Bits<A, 64>, readable: Bit<A>, writable: Bit<A>) {
            self.domain = domain
            self.page = page
            self.hostPage = hostPage
            self.readable = readable
            self.writable = writable
        }
    }

    /// Whether `entries` answer an access to `address` by a requester of `domain` (`cached`:
    /// the context cache holds its domain), and the host address they give. Only untranslated
    /// requests (Address Type 00) use the IOTLB; translation requests and translated requests
    /// go to the walk (VT-d §4.2).
    @inlinable
    public static func lookup<A>(domain: Bits<A, 16>, cached: Bit<A>, address: Bits<A, 64>, write: Bit<A>, addressType: Bits<A, 2> = .zero,
                                 entries: [Entry<A>]) -> (hit: Bit<A>, hostAddress: Bits<A, 64>) {
        let page = address >> Bits(12)
        var hit = Bit<A>(0), host = Bits<A, 64>.zero
        let untranslated = addressType .== .zero
        for k in entries.indices.reversed() {
            let e = entries[k]
            let matches = untranslated & cached & (e.domain .== domain) & (e.page .== page) & mux(write, e.writable, e.readable)
            host = mux(matches, (e.hostPage << Bits(12)) | (address & Bits(0xFFF)), host)
            hit = hit | matches
        }
        return (hit, host)
    }
}
