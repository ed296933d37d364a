/// The VMM's writer of the IOMMU's tables in host memory (VT-d §9.1-9.3 formats; sriov-facts
/// §5): a root table, a context table per bus, one second-level table tree per domain (3-level,
/// 39-bit, or 4-level, 48-bit), built in pages the VMM owns. The walk that reads them is
/// `SecondLevelTranslation`; this only writes entries.
public struct RemappingTables {
    public let memory: HostMemory
    /// RTADDR: the root table.
    public let root: UInt64
    var next: UInt64
    let end: UInt64
    /// Per domain: its table root and its levels.
    public private(set) var domains: [UInt16: (top: UInt64, levels: Int)] = [:]

    public enum Failure: Error, Sendable, Equatable {
        case outOfTablePages
    }

    /// Tables in `pages` 4 KiB pages from `base` (all owned by the VMM).
    public init(memory: HostMemory, base: UInt64, pages: Int) {
        self.memory = memory
        root = base
        next = base + HostMemory.pageSize
        end = base + UInt64(pages) * HostMemory.pageSize
        for k in 0..<UInt64(pages) { memory.assign(page: base / HostMemory.pageSize + k, to: .vmm) }
    }

    mutating func page() throws -> UInt64 {
        guard next < end else { throw Failure.outOfTablePages }
        defer { next += HostMemory.pageSize }
        return next
    }

    /// Points `requester`'s context entry at `domain`'s tables (created on first use):
    /// present, translation type 00 (untranslated requests only), the domain's width.
    /// `deviceTLB`: the context entry's Translation Type is 01 (VT-d §9.3): the device may send
    /// Translation Requests and translated requests (ATS); else 00, untranslated only.
    public mutating func attach(requester: UInt16, domain: UInt16, levels: Int = 3, deviceTLB: Bool = false) throws {
        let top: UInt64
        if let existing = domains[domain] {
            top = existing.top
        } else {
            top = try page()
            domains[domain] = (top, levels)
        }
        let rootEntry = root + 16 * UInt64(requester >> 8)
        if memory.read64(rootEntry) & 1 == 0 { memory.write64(rootEntry, try page() | 1) }
        let entry = (memory.read64(rootEntry) & SecondLevelTranslation.addressMask) + 16 * UInt64(requester & 0xFF)
        memory.write64(entry, top | (deviceTLB ? 1 << 2 : 0) | 1)
        memory.write64(entry + 8, UInt64((domains[domain]?.levels ?? levels) - 2) | UInt64(domain) << 8)
    }

    /// Maps the 4 KiB page at `iova` of `domain` to `hostAddress` (both page aligned) with
    /// the given permissions; an existing mapping is replaced (no invalidation: that is the
    /// caller's, as on real hardware).
    public mutating func map(domain: UInt16, iova: UInt64, to hostAddress: UInt64, read: Bool = true, write: Bool = true) throws {
        guard let table = try leafTable(domain: domain, iova: iova) else { return }
        memory.write64(table + 8 * ((iova >> 12) & 0x1FF), hostAddress & SecondLevelTranslation.addressMask | (write ? 2 : 0) | (read ? 1 : 0))
    }

    /// Maps consecutive 4 KiB pages from `iova` to the host pages `hostPages` (numbers), read
    /// and write: one walk per 2 MiB of IOVA.
    public mutating func map(domain: UInt16, from iova: UInt64, hostPages: [UInt64]) throws {
        var table: UInt64?
        for (k, hostPage) in hostPages.enumerated() {
            let address = iova + UInt64(k) * HostMemory.pageSize
            if table == nil || (address >> 12) & 0x1FF == 0 { table = try leafTable(domain: domain, iova: address) }
            guard let table else { return }
            memory.write64(table + 8 * ((address >> 12) & 0x1FF), hostPage * HostMemory.pageSize & SecondLevelTranslation.addressMask | 3)
        }
    }

    /// Removes the mapping of the page at `iova` (no invalidation: the caller's).
    public mutating func unmap(domain: UInt16, iova: UInt64) throws {
        guard let table = try leafTable(domain: domain, iova: iova) else { return }
        memory.write64(table + 8 * ((iova >> 12) & 0x1FF), 0)
    }

    /// The last-level table holding `iova`'s entry in `domain`'s tree, made on the way when missing.
    mutating func leafTable(domain: UInt16, iova: UInt64) throws -> UInt64? {
        guard let (top, levels) = domains[domain] else { return nil }
        var table = top
        for level in stride(from: levels, to: 1, by: -1) {
            let slot = table + 8 * ((iova >> UInt64(12 + 9 * (level - 1))) & 0x1FF)
            if memory.read64(slot) & 3 == 0 { memory.write64(slot, try page() | 3) }
            table = memory.read64(slot) & SecondLevelTranslation.addressMask
        }
        return table
    }
}
