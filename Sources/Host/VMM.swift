import RTL

/// The hypervisor's part in DMA isolation (DESIGN.md §4 "Host"): it gives each VM guest-physical
/// memory backed by host pages that are deliberately not contiguous (chosen from the run's
/// seed), one IOMMU domain per VM whose second-level tables map the VM's guest-physical
/// addresses to those pages, the context entry of every function assigned to the VM pointing
/// at that domain, and page ownership the run-time guard checks. It programs the IOMMU through
/// its registers, as Linux's intel-iommu does: root table, SRTP, global context-cache and IOTLB
/// invalidation, then TE.
public final class VMM {
    public struct Machine: Sendable {
        public let name: String
        public let domain: UInt16
        /// Host page (number) of each guest-physical page, in guest order.
        public let pages: [UInt64]
        public var bytes: UInt64 { UInt64(pages.count) * HostMemory.pageSize }
        /// The host address of guest-physical `address` (nil beyond the VM's memory).
        public func hostAddress(_ address: UInt64) -> UInt64? {
            let page = address / HostMemory.pageSize
            return page < UInt64(pages.count) ? pages[Int(page)] * HostMemory.pageSize + address % HostMemory.pageSize : nil
        }
        /// The VM's virtual interrupt controller: the destination its interrupt entries name.
        public var destination: UInt32 { UInt32(domain) }
    }

    /// The host's own interrupt destination (the PF drivers' vectors).
    public static let hostDestination: UInt32 = 0

    public let memory: HostMemory
    public private(set) var tables: RemappingTables
    public private(set) var machines: [String: Machine] = [:]
    /// Which VM each assigned function (routing ID) belongs to.
    public private(set) var assignment: [UInt16: String] = [:]
    /// Host pages not given out yet, drawn at random (a Fisher-Yates shuffle done lazily: the
    /// first `freeCount` slots of the pool, slot k holding `moved[k]` if a draw moved a page
    /// there, else the pool's k-th page), so a VM's pages are a seeded random sample in random
    /// order and a large host memory costs nothing until drawn from.
    let poolBase: UInt64
    var freeCount: UInt64
    var moved: [UInt64: UInt64] = [:]
    var rng: DeterministicRNG
    /// Guest-physical memory each VM's kernel has handed out (a bump allocator from 1 MiB).
    var allocated: [String: UInt64] = [:]
    /// The interrupt remapping table (VT-d §9.10): its base, entries in use, and its size field.
    public private(set) var interruptTable: UInt64 = 0
    public private(set) var interruptEntries = 0
    public static let interruptTableSizeField: UInt8 = 7   // 2^(7+1) = 256 entries, one page
    /// How each VM's interrupt entries validate their source (VT-d §9.10 SVT): `.requester`
    /// (the default, as VFIO and intel-iommu do), or a VMM that validates less.
    public var sourceValidation: [String: SourceValidation] = [:]
    /// The functions whose context entries allow ATS (Translation Type 01).
    public private(set) var deviceTLBs: Set<UInt16> = []

    /// An interrupt entry's source validation: the requester's routing ID (SVT 01, SQ 00),
    /// its bus (SVT 10, the bus range [bus, bus]: every function on the bus passes), none (SVT 00).
    public enum SourceValidation: String, Sendable, CaseIterable {
        case requester, bus, none
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case outOfMemory(vm: String, wanted: UInt64, left: UInt64)
        case unknownVM(String)
        public var description: String {
            switch self {
            case .outOfMemory(let vm, let wanted, let left): "\(vm) wants \(wanted) bytes; \(left) bytes of host memory are left"
            case .unknownVM(let vm): "no VM named \(vm)"
            }
        }
    }

    /// A VMM over host memory `memory`: guest memory is taken from the pages in `pool` (host
    /// addresses, page aligned) in an order shuffled by `seed`; the IOMMU's tables live in
    /// `tablePages` pages from `tableBase`.
    public init(memory: HostMemory, pool: Range<UInt64>, tableBase: UInt64, tablePages: Int, seed: UInt64) {
        self.memory = memory
        tables = RemappingTables(memory: memory, base: tableBase, pages: tablePages)
        rng = DeterministicRNG(seed: seed)
        poolBase = pool.lowerBound / HostMemory.pageSize
        freeCount = pool.upperBound / HostMemory.pageSize - poolBase
        interruptTable = (try? tables.page()) ?? 0
    }

    /// Creates VM `name` with `bytes` of guest memory (rounded up to pages) and its domain.
    @discardableResult
    public func createVM(_ name: String, bytes: UInt64) throws -> Machine {
        let count = Int((bytes + HostMemory.pageSize - 1) / HostMemory.pageSize)
        guard count <= freeCount else {
            throw Failure.outOfMemory(vm: name, wanted: bytes, left: freeCount * HostMemory.pageSize)
        }
        var pages: [UInt64] = []
        pages.reserveCapacity(count)
        for _ in 0..<count {
            let k = rng.next() % freeCount, last = freeCount - 1
            pages.append(moved[k] ?? poolBase + k)
            moved[k] = moved[last] ?? poolBase + last
            moved[last] = nil
            freeCount = last
        }
        let machine = Machine(name: name, domain: UInt16(machines.count + 1), pages: pages)
        machines[name] = machine
        for page in pages { memory.assign(page: page, to: .vm(name)) }
        return machine
    }

    /// Assigns the function at `requester` to VM `vm`: its context entry points at the VM's
    /// domain, whose tables map every guest-physical page of the VM (read and write).
    /// `deviceTLB`: the function uses ATS, so its context entry allows Translation Requests and
    /// translated requests (intel-iommu does this for devices whose ATS it enables).
    public func assign(requester: UInt16, to vm: String, deviceTLB: Bool = false) throws {
        guard let machine = machines[vm] else { throw Failure.unknownVM(vm) }
        let fresh = tables.domains[machine.domain] == nil
        try tables.attach(requester: requester, domain: machine.domain, deviceTLB: deviceTLB)
        if deviceTLB { deviceTLBs.insert(requester) }
        if fresh { try tables.map(domain: machine.domain, from: 0, hostPages: machine.pages) }
        assignment[requester] = vm
    }

    /// The host address of guest-physical `address` of `vm` (nil beyond its memory): where
    /// the VM's CPU stores land.
    public func hostAddress(vm: String, guestPhysical address: UInt64) -> UInt64? {
        machines[vm]?.hostAddress(address)
    }

    /// A VMM bug to model: maps guest-physical page `guestPage` of `vm`'s domain onto host page
    /// `hostPage` (which another VM may own) — what the run-time guard and the proofs catch.
    public func remap(vm: String, guestPage: UInt64, toHostPage hostPage: UInt64) throws {
        guard let machine = machines[vm] else { throw Failure.unknownVM(vm) }
        try tables.map(domain: machine.domain, iova: guestPage * HostMemory.pageSize, to: hostPage * HostMemory.pageSize)
    }

    /// Takes guest page `guestPage` out of `vm`'s domain and gives its host page back to the
    /// free pool (no invalidation: the caller's, as on real hardware). The host page, or nil.
    @discardableResult
    public func unmap(vm: String, guestPage: UInt64) throws -> UInt64? {
        guard let machine = machines[vm] else { throw Failure.unknownVM(vm) }
        guard guestPage < UInt64(machine.pages.count) else { return nil }
        try tables.unmap(domain: machine.domain, iova: guestPage * HostMemory.pageSize)
        let page = machine.pages[Int(guestPage)]
        memory.assign(page: page, to: .free)
        return page
    }

    /// The granularity of an IOTLB invalidation.
    public enum Invalidation: String, Sendable {
        case page, domain, global
        /// As IOTLB_REG.IIRG and the IOTLB descriptor's G field encode it: 3, 2, 1.
        var granularity: UInt32 { self == .global ? 1 : self == .domain ? 2 : 3 }
    }

    /// An IOTLB invalidation as intel-iommu writes it (`__iommu_flush_iotlb`): IVA with the
    /// page for a page-selective one, then IOTLB with IVT, the granularity and the domain; the
    /// program then waits for IVT to clear (`read`). False when it does not.
    /// With queued invalidation on, the same as an IOTLB descriptor (type 2: granularity,
    /// DID, the page in the high qword) and a wait.
    public func invalidateIOTLB(_ scope: Invalidation, vm: String, guestPage: UInt64, write: (Int, UInt32) -> Void, read: (Int) async -> UInt32) async -> Bool {
        typealias R = IOMMURegisters
        let domain = UInt32(machines[vm]?.domain ?? 0)
        if queue != nil {
            return await submit([(low: 2 | UInt64(scope.granularity) << 4 | UInt64(domain) << 16, high: scope == .page ? guestPage * HostMemory.pageSize : 0)],
                                write: write, read: read, polls: 100)
        }
        if scope == .page {
            write(R.offset("IVA_LO"), UInt32(truncatingIfNeeded: guestPage * HostMemory.pageSize))
            write(R.offset("IVA_HI"), UInt32((guestPage * HostMemory.pageSize) >> 32))
        }
        write(R.offset("IOTLB_HI"), [("IVT", 1), ("IIRG", scope.granularity), ("DID", domain)].reduce(0) { R.field("IOTLB_HI", $1.0).setting($1.1, in: $0) })
        for _ in 0..<100 where R.field("IOTLB_HI", "IVT").value(in: await read(R.offset("IOTLB_HI"))) == 0 { return true }
        return false
    }

    /// `bytes` of `vm`'s guest-physical memory for its kernel (a driver's rings and buffers),
    /// aligned to `alignment`; nil when the VM's memory is used up.
    public func allocate(vm: String, bytes: UInt64, alignment: UInt64 = 4096) -> UInt64? {
        guard let machine = machines[vm] else { return nil }
        let start = ((allocated[vm] ?? 0x10_0000) + alignment - 1) / alignment * alignment
        guard start + bytes <= machine.bytes else { return nil }
        allocated[vm] = start + bytes
        return start
    }

    /// What VFIO does when a guest (or the host) enables a vector of an assigned function's
    /// MSI-X table: an interrupt remapping entry for `vector` at `destination`, validated
    /// against the function's routing ID (SVT 01, SQ 00), and the remappable-format address
    /// and data the physical table entry gets. Nil when the table is full.
    public func interruptEntry(requester: UInt16, vector: UInt8, destination: UInt32) -> (address: UInt64, data: UInt32)? {
        guard interruptEntries < 1 << (Int(Self.interruptTableSizeField) + 1) else { return nil }
        let handle = UInt16(interruptEntries)
        interruptEntries += 1
        let validation = assignment[requester].flatMap { sourceValidation[$0] } ?? .requester
        let bus = requester >> 8
        let entry = switch validation {
        case .requester: InterruptRemapping.entry(vector: vector, destination: destination, sourceID: requester)
        case .bus: InterruptRemapping.entry(vector: vector, destination: destination, sourceID: bus << 8 | bus, validation: 2)
        case .none: InterruptRemapping.entry(vector: vector, destination: destination, sourceID: 0, validation: 0)
        }
        memory.write64(interruptTable + 16 * UInt64(handle), entry.low)
        memory.write64(interruptTable + 16 * UInt64(handle) + 8, entry.high)
        return (InterruptRemapping.messageAddress(handle: handle), 0)
    }

    /// Programs the IOMMU by register writes and reads (`write(offset, value)`, `read(offset)`),
    /// as intel-iommu does: RTADDR, GCMD.SRTP (wait for GSTS.RTPS), global context-cache
    /// invalidation (wait for ICC to clear), global IOTLB invalidation, GCMD.TE (wait for
    /// GSTS.TES). Returns false when the IOMMU does not confirm a step.
    public func enableTranslation(write: (Int, UInt32) -> Void, read: (Int) -> UInt32) -> Bool {
        typealias R = IOMMURegisters
        func set(_ register: String, _ fields: [(String, UInt32)]) {
            write(R.offset(register), fields.reduce(0) { R.field(register, $1.0).setting($1.1, in: $0) })
        }
        func isSet(_ register: String, _ field: String) -> Bool { R.field(register, field).value(in: read(R.offset(register))) == 1 }
        write(R.offset("RTADDR_LO"), UInt32(truncatingIfNeeded: tables.root))
        write(R.offset("RTADDR_HI"), UInt32(tables.root >> 32))
        set("GCMD", [("SRTP", 1)])
        guard isSet("GSTS", "RTPS") else { return false }
        set("CCMD_HI", [("ICC", 1), ("CIRG", 1)])                      // global context-cache invalidation
        guard !isSet("CCMD_HI", "ICC") else { return false }
        set("IOTLB_HI", [("IVT", 1), ("IIRG", 1)])                     // global IOTLB invalidation
        guard !isSet("IOTLB_HI", "IVT") else { return false }
        set("GCMD", [("TE", 1)])
        guard isSet("GSTS", "TES") else { return false }
        // Interrupt remapping (intel_setup_irq_remapping): IRTA, GCMD.SIRTP, then GCMD.IRE
        // (GCMD is write-only: each command repeats the enables already on).
        write(R.offset("IRTA_LO"), R.field("IRTA_LO", "S").setting(UInt32(Self.interruptTableSizeField), in: UInt32(truncatingIfNeeded: interruptTable)))
        write(R.offset("IRTA_HI"), UInt32(interruptTable >> 32))
        set("GCMD", [("TE", 1), ("SIRTP", 1)])
        guard isSet("GSTS", "IRTPS") else { return false }
        set("GCMD", [("TE", 1), ("IRE", 1)])
        guard isSet("GSTS", "IRES") else { return false }
        // Queued invalidation (intel-iommu dmar_enable_qi), needed for device-TLB invalidations:
        // only when a function uses ATS; then every invalidation goes through the queue.
        guard !deviceTLBs.isEmpty else { return true }
        guard let base = try? tables.page(), let status = try? tables.page() else { return false }
        write(R.offset("IQA_LO"), UInt32(truncatingIfNeeded: base))   // QS 0: 256 descriptors, one page
        write(R.offset("IQA_HI"), UInt32(base >> 32))
        write(R.offset("IQT_LO"), 0)
        set("GCMD", [("TE", 1), ("IRE", 1), ("QIE", 1)])
        guard isSet("GSTS", "QIES") else { return false }
        queue = InvalidationQueue(base: base, status: status)
        return true
    }

    /// The invalidation queue the VMM submits to, once queued invalidation is on.
    public struct InvalidationQueue: Sendable {
        public let base: UInt64
        /// Where wait descriptors write their status.
        public let status: UInt64
        var tail: UInt64 = 0
        var sequence: UInt32 = 0
    }
    public private(set) var queue: InvalidationQueue?

    /// Submits `descriptors` and a wait descriptor that writes a fresh status word when every one
    /// before it is done (intel-iommu qi_submit_sync): writes them at the tail, moves IQT, then
    /// polls the status word, reading FSTS between polls (each read a round trip), up to
    /// `polls` times. False when the queue is off or the wait did not finish.
    func submit(_ descriptors: [(low: UInt64, high: UInt64)], write: (Int, UInt32) -> Void, read: (Int) async -> UInt32, polls: Int) async -> Bool {
        guard var q = queue else { return false }
        q.sequence &+= 1
        let wait = (low: UInt64(5) | 1 << 5 | UInt64(q.sequence) << 32, high: q.status)
        for d in descriptors + [wait] {
            memory.write64(q.base + 16 * q.tail, d.low)
            memory.write64(q.base + 16 * q.tail + 8, d.high)
            q.tail = (q.tail + 1) % 256
        }
        queue = q
        write(IOMMURegisters.offset("IQT_LO"), UInt32(q.tail << 4))
        for _ in 0..<polls {
            if memory.read32(q.status) == q.sequence { return true }
            _ = await read(IOMMURegisters.offset("FSTS"))
        }
        return memory.read32(q.status) == q.sequence
    }

    /// Device-TLB invalidations of `guestPage` for every ATS function of `vm` (intel-iommu
    /// qi_flush_dev_iotlb: one descriptor per function, SID and the page, then a wait). The
    /// functions that did not complete it within `polls` FSTS reads are returned.
    public func invalidateDeviceTLBs(vm: String, guestPage: UInt64, write: (Int, UInt32) -> Void, read: (Int) async -> UInt32,
                                     polls: Int = 2_000) async -> [UInt16] {
        let functions = deviceTLBs.filter { assignment[$0] == vm }.sorted()
        guard !functions.isEmpty else { return [] }
        let descriptors = functions.map { (low: UInt64(3) | UInt64($0) << 32, high: guestPage * HostMemory.pageSize) }
        return await submit(descriptors, write: write, read: read, polls: polls) ? [] : functions
    }
}
