import PCIe
import RTL

/// Host memory as 4 KiB pages, each with an owner (DESIGN.md §4 "Host"): only the pages a run
/// touches exist (a page never written reads zeros), so a long run over a large memory stays
/// flat. The owner of every page is known — a VM, the VMM's own tables, or free — so a DMA
/// write can be checked against the VM of the function that issued it.
public final class HostMemory {
    public enum Owner: Hashable, Sendable, CustomStringConvertible {
        case free
        case vmm
        case vm(String)
        public var description: String {
            switch self {
            case .free: "free"
            case .vmm: "the VMM"
            case .vm(let name): name
            }
        }
    }

    public static let pageSize: UInt64 = 4096
    /// Bytes of host memory: addresses at and above it are not memory.
    public let size: UInt64
    /// The written pages' dwords, one page after another (slot k's page at words k * 1024 ...),
    /// and which slot holds each page: a directory of 4,096-page chunks, each entry a slot or
    /// -1 (a chunk exists once one of its pages is written). The last page looked up is
    /// remembered (a frame or a descriptor is many dwords in one page).
    var words: [UInt32] = []
    var directory: [[Int32]] = []
    public private(set) var touchedPages = 0
    var lastPage = UInt64.max, lastSlot = 0
    /// Bumped on every change of a page's owner, for callers that remember an owner.
    public private(set) var ownersGeneration: UInt64 = 0
    /// Each page's owner, by number (`ownerList`; each owner ever assigned gets one, `.free`
    /// is 0): the pages of the memory in a directory of 4,096-page chunks (a chunk exists once
    /// one of its pages has an owner), where the guard reads them on every DMA write; pages past
    /// the memory, which no DMA reaches, in a dictionary (a page number cannot grow the
    /// directory).
    public private(set) var ownerList: [Owner] = [.free]
    var ownerNumbers: [Owner: UInt16] = [.free: 0]
    var pageOwners: [[UInt16]] = []
    var ownersPastMemory: [UInt64: Owner] = [:]
    static let pageWords = Int(pageSize / 4)
    /// Pages something keeps a function of (`WalkMemo`: the IOMMU's walks read their tables
    /// here), a bit each: a write to one bumps `watchedGeneration` and ends every watch.
    var watched: [UInt64] = []
    public private(set) var watchedGeneration: UInt64 = 0

    public init(size: UInt64) {
        self.size = size
    }

    public func contains(_ address: UInt64) -> Bool { address < size }

    public func owner(ofPage page: UInt64) -> Owner {
        page < size / Self.pageSize ? ownerList[Int(ownerNumber(ofPage: page))] : ownersPastMemory[page] ?? .free
    }
    public func owner(of address: UInt64) -> Owner { owner(ofPage: address / Self.pageSize) }
    public func assign(page: UInt64, to owner: Owner) {
        ownersGeneration &+= 1
        guard page < size / Self.pageSize else {
            ownersPastMemory[page] = owner == .free ? nil : owner
            return
        }
        let chunk = Int(truncatingIfNeeded: page >> 12)
        if chunk >= pageOwners.count { pageOwners += Array(repeating: [], count: chunk + 1 - pageOwners.count) }
        if pageOwners[chunk].isEmpty { pageOwners[chunk] = Array(repeating: 0, count: 4096) }
        pageOwners[chunk][Int(page & 0xFFF)] = number(of: owner)
    }

    /// `owner`'s number (given on first use; 0 is `.free`).
    public func number(of owner: Owner) -> UInt16 {
        if let number = ownerNumbers[owner] { return number }
        precondition(ownerList.count < Int(UInt16.max), "more than 65,534 page owners")
        ownerList.append(owner)
        ownerNumbers[owner] = UInt16(ownerList.count - 1)
        return UInt16(ownerList.count - 1)
    }

    /// The number of `page`'s owner (`number(of:)`), without hashing; 0 (free) past the memory.
    @inline(__always)
    public func ownerNumber(ofPage page: UInt64) -> UInt16 {
        let chunk = Int(truncatingIfNeeded: page >> 12)
        guard chunk < pageOwners.count, !pageOwners[chunk].isEmpty else { return 0 }
        return pageOwners[chunk][Int(page & 0xFFF)]
    }

    /// The slot of `page`, made (zeros) when `create` and it was never written.
    @inline(__always)
    func slot(_ page: UInt64, create: Bool) -> Int? {
        if page == lastPage { return lastSlot }
        let chunk = Int(truncatingIfNeeded: page >> 12), entry = Int(page & 0xFFF)
        if chunk < directory.count, !directory[chunk].isEmpty, directory[chunk][entry] >= 0 {
            lastPage = page
            lastSlot = Int(directory[chunk][entry])
            return lastSlot
        }
        guard create, size > 0, page <= (size - 1) / Self.pageSize else { return nil }
        if chunk >= directory.count { directory += Array(repeating: [], count: chunk + 1 - directory.count) }
        if directory[chunk].isEmpty { directory[chunk] = Array(repeating: -1, count: 4096) }
        let s = touchedPages
        touchedPages += 1
        words.append(contentsOf: repeatElement(0, count: Self.pageWords))
        directory[chunk][entry] = Int32(s)
        lastPage = page
        lastSlot = s
        return s
    }

    /// A write to `page` is to be seen (`watchedGeneration`).
    public func watch(page: UInt64) {
        guard page < size / Self.pageSize else { return }
        let word = Int(page >> 6)
        if word >= watched.count { watched += [UInt64](copies: 0, count: word + 1 - watched.count) }
        watched[word] |= 1 << (page & 63)
    }

    /// Where the dword at `address` is kept, if its page was written (or `create`: the page is
    /// about to be written, which a watch sees).
    @inline(__always)
    func index(_ address: UInt64, create: Bool) -> Int? {
        if create, !watched.isEmpty {
            let page = address / Self.pageSize, word = Int(truncatingIfNeeded: page >> 6)
            if word < watched.count, watched[word] >> (page & 63) & 1 != 0 {
                watchedGeneration &+= 1
                watched = []
            }
        }
        guard let s = slot(address / Self.pageSize, create: create) else { return nil }
        return s &* Self.pageWords &+ Int(address % Self.pageSize) / 4
    }

    /// The dword at `address` (its low two bits ignored); zero where nothing was written.
    public func read32(_ address: UInt64) -> UInt32 {
        guard let i = index(address, create: false) else { return 0 }
        return words[i]
    }

    /// `count` dwords from `address` (its low two bits ignored), as `read32` of each: copied in
    /// one step when they lie in one page.
    public func read(_ address: UInt64, dwords count: Int) -> [UInt32] {
        let start = address & ~3
        guard count > 0, (start &+ UInt64(4 * count - 1)) / Self.pageSize == start / Self.pageSize, contains(start) else {
            return (0..<count).map { read32(start &+ UInt64(4 * $0)) }
        }
        guard let first = index(start, create: false) else { return Array(repeating: 0, count: count) }
        return Array(words[first..<first + count])
    }

    /// Writes the bytes of `value` that `byteEnables` selects (bit n: byte n).
    public func write32(_ address: UInt64, _ value: UInt32, byteEnables: UInt8 = 0xF) {
        guard contains(address), byteEnables & 0xF != 0, let i = index(address, create: true) else { return }
        let mask = byteEnables & 0xF == 0xF ? ~0 : ConfigWrite.byteMask(byteEnables)
        words[i] = words[i] & ~mask | value & mask
    }

    /// A memory write's `payload` from dword-aligned `address`, the first dword's bytes chosen by
    /// `firstBE`, the last's by `lastBE`, the others whole (PCIe Base 4.0 §2.2.5): what `write32`
    /// of each dword would do, in one step when the payload lies in one page.
    func write(_ address: UInt64, payload: [UInt32], firstBE: UInt8, lastBE: UInt8) {
        let n = payload.count
        guard n > 0 else { return }
        let last = address &+ UInt64(4 * n - 1)
        guard address & 3 == 0, last / Self.pageSize == address / Self.pageSize, contains(last),
              let first = index(address, create: true) else {
            for (k, dw) in payload.enumerated() {
                write32(address + UInt64(4 * k), dw, byteEnables: TLP.byteEnables(dw: k, of: n, firstBE: firstBE, lastBE: lastBE))
            }
            return
        }
        words.withUnsafeMutableBufferPointer { w in
            for k in 0..<n {
                let enables = TLP.byteEnables(dw: k, of: n, firstBE: firstBE, lastBE: lastBE) & 0xF
                if enables == 0xF {
                    w[first + k] = payload[k]
                } else if enables != 0 {
                    let mask = ConfigWrite.byteMask(enables)
                    w[first + k] = w[first + k] & ~mask | payload[k] & mask
                }
            }
        }
    }

    /// `bytes` from dword-aligned `address` on, four to a dword, little-endian, the last dword's
    /// missing bytes zero: what `write32` of each dword would do, for bytes within one page.
    func store(bytes: UnsafeBufferPointer<UInt8>, at address: UInt64) {
        guard !bytes.isEmpty else { return }
        let last = address &+ UInt64(bytes.count - 1)
        guard address & 3 == 0, last / Self.pageSize == address / Self.pageSize, contains(last),
              let first = index(address, create: true) else {
            for k in stride(from: 0, to: bytes.count, by: 4) { write32(address + UInt64(k), Self.dword(bytes, at: k)) }
            return
        }
        words.withUnsafeMutableBufferPointer { w in
            #if _endian(little)
            // A dword's bytes lie in memory in order: one copy, then the last dword's missing
            // bytes cleared.
            let destination = UnsafeMutableRawPointer(w.baseAddress! + first)
            destination.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            let end = (bytes.count + 3) & ~3
            if end > bytes.count { (destination + bytes.count).initializeMemory(as: UInt8.self, repeating: 0, count: end - bytes.count) }
            #else
            for k in stride(from: 0, to: bytes.count, by: 4) { w[first + k / 4] = Self.dword(bytes, at: k) }
            #endif
        }
    }

    /// `bytes.count` bytes from dword-aligned `address` on (little-endian within each dword),
    /// within one page: what `read32` of each dword gives.
    func load(into bytes: UnsafeMutableBufferPointer<UInt8>, from address: UInt64) {
        let count = bytes.count
        func put(_ dword: UInt32, at k: Int) {
            for j in 0..<min(4, count - k) { bytes[k + j] = UInt8(truncatingIfNeeded: dword >> UInt32(8 * j)) }
        }
        guard count > 0 else { return }
        guard address & 3 == 0, (address &+ UInt64(count - 1)) / Self.pageSize == address / Self.pageSize else {
            for k in stride(from: 0, to: count, by: 4) { put(read32(address + UInt64(k)), at: k) }
            return
        }
        guard let first = index(address, create: false) else {
            for k in 0..<count { bytes[k] = 0 }
            return
        }
        words.withUnsafeBufferPointer { w in
            #if _endian(little)
            UnsafeMutableRawPointer(bytes.baseAddress!).copyMemory(from: UnsafeRawPointer(w.baseAddress! + first), byteCount: count)
            #else
            for k in stride(from: 0, to: count, by: 4) { put(w[first + k / 4], at: k) }
            #endif
        }
    }

    /// The dword of `bytes` from `k` (fewer than four bytes left: the rest zero).
    @inline(__always)
    static func dword(_ bytes: UnsafeBufferPointer<UInt8>, at k: Int) -> UInt32 {
        var dword: UInt32 = 0
        for j in 0..<min(4, bytes.count - k) { dword |= UInt32(bytes[k + j]) << UInt32(8 * j) }
        return dword
    }

    public func read64(_ address: UInt64) -> UInt64 {
        // An aligned word's two dwords lie in one page: one lookup (the IOMMU's walks read these).
        if address & 7 == 0, let i = index(address, create: false) { return UInt64(words[i + 1]) << 32 | UInt64(words[i]) }
        return UInt64(read32(address + 4)) << 32 | UInt64(read32(address))
    }

    public func write64(_ address: UInt64, _ value: UInt64) {
        write32(address, UInt32(truncatingIfNeeded: value))
        write32(address + 4, UInt32(truncatingIfNeeded: value >> 32))
    }
}

/// Host memory serving the IOMMU's table reads: a read outside memory fails (the walk's
/// "table access failed" faults).
public struct HostMemoryTables: TranslationTables {
    public let memory: HostMemory
    /// Each page read is watched (`HostMemory.watch(page:)`), for a memo of the walk.
    public let watching: Bool
    public init(_ memory: HostMemory, watching: Bool = false) {
        self.memory = memory
        self.watching = watching
    }

    public func read(_ address: Bits<Concrete, 64>) -> (value: Bits<Concrete, 64>, ok: Bit<Concrete>) {
        let a = address.value
        guard memory.contains(a), memory.contains(a &+ 7), a <= a &+ 7 else { return (.zero, Bit(false)) }
        if watching { memory.watch(page: a / HostMemory.pageSize) }
        return (Bits(memory.read64(a)), Bit(true))
    }
}
