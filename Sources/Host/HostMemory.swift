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
    /// The written pages' dwords, and which slot holds each page; the last page looked up is
    /// remembered (a frame or a descriptor is many dwords in one page).
    var slots: [[UInt32]] = []
    var slotOf: [UInt64: Int] = [:]
    var lastPage = UInt64.max, lastSlot = 0
    var owners: [UInt64: Owner] = [:]
    /// Bumped on every change of a page's owner, for callers that remember an owner.
    public private(set) var ownersGeneration: UInt64 = 0

    public init(size: UInt64) {
        self.size = size
    }

    /// Pages that have been written.
    public var touchedPages: Int { slots.count }

    public func contains(_ address: UInt64) -> Bool { address < size }

    public func owner(ofPage page: UInt64) -> Owner { owners[page] ?? .free }
    public func owner(of address: UInt64) -> Owner { owner(ofPage: address / Self.pageSize) }
    public func assign(page: UInt64, to owner: Owner) {
        if owner == .free { owners[page] = nil } else { owners[page] = owner }
        ownersGeneration &+= 1
    }

    /// The slot of `page`, made (zeros) when `create` and it was never written.
    @inline(__always)
    func slot(_ page: UInt64, create: Bool) -> Int? {
        if page == lastPage { return lastSlot }
        if let s = slotOf[page] {
            lastPage = page
            lastSlot = s
            return s
        }
        guard create else { return nil }
        slots.append(Array(repeating: 0, count: Int(Self.pageSize / 4)))
        slotOf[page] = slots.count - 1
        lastPage = page
        lastSlot = slots.count - 1
        return lastSlot
    }

    /// The dword at `address` (its low two bits ignored); zero where nothing was written.
    public func read32(_ address: UInt64) -> UInt32 {
        guard let s = slot(address / Self.pageSize, create: false) else { return 0 }
        return slots[s][Int(address % Self.pageSize) / 4]
    }

    /// Writes the bytes of `value` that `byteEnables` selects (bit n: byte n).
    public func write32(_ address: UInt64, _ value: UInt32, byteEnables: UInt8 = 0xF) {
        guard contains(address), byteEnables & 0xF != 0, let s = slot(address / Self.pageSize, create: true) else { return }
        let k = Int(address % Self.pageSize) / 4
        let mask = byteEnables & 0xF == 0xF ? ~0 : ConfigWrite.byteMask(byteEnables)
        slots[s][k] = slots[s][k] & ~mask | value & mask
    }

    public func read64(_ address: UInt64) -> UInt64 { UInt64(read32(address + 4)) << 32 | UInt64(read32(address)) }

    public func write64(_ address: UInt64, _ value: UInt64) {
        write32(address, UInt32(truncatingIfNeeded: value))
        write32(address + 4, UInt32(truncatingIfNeeded: value >> 32))
    }
}

/// Host memory serving the IOMMU's table reads: a read outside memory fails (the walk's
/// "table access failed" faults).
public struct HostMemoryTables: TranslationTables {
    public let memory: HostMemory
    public init(_ memory: HostMemory) { self.memory = memory }

    public func read(_ address: Bits<Concrete, 64>) -> (value: Bits<Concrete, 64>, ok: Bit<Concrete>) {
        let a = address.value
        guard memory.contains(a), memory.contains(a &+ 7), a <= a &+ 7 else { return (.zero, Bit(false)) }
        return (Bits(memory.read64(a)), Bit(true))
    }
}
