import Host
import NIC
import PCIe
import RTL

/// What the DMA-isolation family needs of the configured host, as plain values (the VMM's
/// tables and the IOMMU's caches at the clock of the proof): the tables each assigned
/// function's walk can read, the owner of every host page a VM has, the IOTLB and context cache.
public struct DMAState: Sendable {
    /// A function the VMM assigned to a VM.
    public struct Function: Sendable {
        public let name: String
        public let rid: UInt16
        public let vm: String
        public init(name: String, rid: UInt16, vm: String) {
            self.name = name
            self.rid = rid
            self.vm = vm
        }
    }

    public let translationEnabled: Bool
    public let rootTable: UInt64
    public let memorySize: UInt64
    public let functions: [Function]
    /// The 512 qwords of every table page any function's walk can read.
    public let pages: [UInt64: [UInt64]]
    /// The VM owning each host page a VM has; a page not here is free or the VMM's.
    public let owners: [UInt64: String]
    /// The IOTLB's entries (VT-d §6.2.2), every set.
    public let iotlb: [IOTLB.Entry]
    /// The context cache: requester -> domain.
    public let contexts: [UInt16: UInt16]
    /// The clock the state was taken at.
    public let clock: UInt64
    /// Interrupt remapping (GSTS.IRES), the table (IRTA) and its size field (S: 2^(S+1) entries);
    /// the table's pages are among `pages`.
    public var interruptRemapping = false
    public var interruptTable: UInt64 = 0
    public var interruptTableSize: UInt8 = 0
    /// Each VM's interrupt destination.
    public var destinations: [String: UInt32] = [:]
    /// The functions whose context entries allow ATS (Translation Type 01), and the entries of
    /// their devices' Address Translation Caches: a translated request such a function sends
    /// carries the host address its ATC gives (PCIe ATS 1.1 §2), which the IOMMU passes.
    public var deviceTLBs: Set<UInt16> = []
    public var atc: [ATCEntry] = []

    /// An entry of a function's ATC, with the function it belongs to.
    public struct ATCEntry: Sendable, Equatable {
        public let requester: UInt16
        public let entry: DeviceATC.Entry
        public init(requester: UInt16, entry: DeviceATC.Entry) {
            self.requester = requester
            self.entry = entry
        }
    }

    public init(translationEnabled: Bool, rootTable: UInt64, memorySize: UInt64, functions: [Function], pages: [UInt64: [UInt64]],
                owners: [UInt64: String], iotlb: [IOTLB.Entry], contexts: [UInt16: UInt16], clock: UInt64) {
        self.translationEnabled = translationEnabled
        self.rootTable = rootTable
        self.memorySize = memorySize
        self.functions = functions
        self.pages = pages
        self.owners = owners
        self.iotlb = iotlb
        self.contexts = contexts
        self.clock = clock
    }

    /// The table pages the walks of `rids` can read (their root and context pages, then every
    /// present entry of their domains' trees, followed down): what a snapshot must hold. The same
    /// walk of the tables as the one that splits the proof (`PlatformProofs.parts`).
    public static func tablePages(rids: [UInt16], rootTable: UInt64, read64: (UInt64) -> UInt64) -> Set<UInt64> {
        var pages = Set<UInt64>(), trees: [UInt64: [PlatformProofs.Part]] = [:]
        for rid in rids {
            for part in PlatformProofs.parts(rid: rid, rootTable: rootTable, read64: read64, trees: &trees) { pages.formUnion(part.pages) }
        }
        return pages
    }

    /// The pages the interrupt remapping table spans.
    public static func interruptTablePages(base: UInt64, sizeField: UInt8) -> [UInt64] {
        let bytes = UInt64(16) << (UInt64(sizeField) + 1), first = (base & SecondLevelTranslation.addressMask) >> 12
        return Array(first..<(first + (bytes + 4095) / 4096))
    }

    /// A qword of the snapshot (zero outside its pages).
    public func read64(_ address: UInt64) -> UInt64 { pages[address >> 12].map { $0[Int(address & 0xFFF) >> 3] } ?? 0 }
}

extension CachedTranslation.Entry {
    /// An ATC entry as the decision takes it, the requester as its domain (each function's cache
    /// answers only that function's requests).
    public init(_ cached: DMAState.ATCEntry) {
        let entry = cached.entry
        self.init(domain: Bits(UInt64(cached.requester)), page: Bits(entry.page), hostPage: Bits(entry.hostPage), readable: Bit(entry.readable),
                  writable: Bit(entry.writable))
    }
}
