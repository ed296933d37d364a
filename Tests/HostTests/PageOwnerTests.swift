import Host
import RTL
import Testing

/// Page owners by number (what the guard compares on every DMA write) against the owners
/// themselves, over random assignments, reassignments and frees.
@Suite("Page owners")
struct PageOwnerTests {
    @Test("a page's owner number is its owner's, through assignments, reassignments and frees, across chunks and never-touched pages")
    func numbers() {
        let memory = HostMemory(size: 1 << 34)
        var rng = DeterministicRNG(seed: 12)
        let owners: [HostMemory.Owner] = [.free, .vmm, .vm("vm1"), .vm("vm2"), .vm("vm10")]
        // Pages in a few chunks of 4,096 pages, far apart (a directory grows to reach them).
        let pages = (0..<600).map { k in UInt64(k % 3) * 0x40_000 + rng.next() % 5_000 }
        for _ in 0..<5_000 {
            let page = pages[Int(rng.next() % UInt64(pages.count))]
            memory.assign(page: page, to: owners[Int(rng.next() % UInt64(owners.count))])
        }
        for page in pages + [0x7_0000, 0x3_FFFF, 1 << 21] where page < (1 << 34) / HostMemory.pageSize {
            let owner = memory.owner(ofPage: page)
            #expect(memory.ownerNumber(ofPage: page) == memory.number(of: owner), "page \(page): \(owner)")
            #expect(memory.ownerList[Int(memory.ownerNumber(ofPage: page))] == owner)
        }
        #expect(memory.number(of: .free) == 0 && memory.ownerNumber(ofPage: 1 << 30) == 0, "a page never assigned is free")
        #expect(Set(owners.map { memory.number(of: $0) }).count == owners.count, "one number per owner")
        // A page past the memory keeps its owner (the guard's slow path reads it); its number
        // reads free rather than growing the directory to reach it.
        memory.assign(page: 1 << 40, to: .vm("vm2"))
        #expect(memory.owner(ofPage: 1 << 40) == .vm("vm2") && memory.ownerNumber(ofPage: 1 << 40) == 0)
    }
}

/// The guard's reports stay bounded however long a broken model runs: the first
/// `reportHistory` kept, every one counted.
@Suite("Guard reports")
struct GuardReportTests {
    @Test("10,000 runs of foreign writes: all counted, the first 16 kept, in order")
    func bounded() {
        let memory = HostMemory(size: 1 << 24)
        for page in UInt64(0)..<8 { memory.assign(page: page, to: .vm("a")) }
        for page in UInt64(8)..<16 { memory.assign(page: page, to: .vm("b")) }
        let host = HostBridge(memory: memory, iommu: IOMMU(memory: memory))
        host.assignment = [0x0180: "a"]
        host.reportHistory = 16
        // VM a's function writes its own page, then b's pages 8 and 9 in turn: each switch of
        // page starts a new run of violating writes, so a new report.
        host.write(0x1000, payload: [1], firstBE: 0xF, lastBE: 0, requester: 0x0180, clock: 0)
        for k in 0..<10_000 {
            let page = UInt64(8 + k % 2)
            host.write(page * HostMemory.pageSize, payload: [2, 3], firstBE: 0xF, lastBE: 0xF, requester: 0x0180, clock: UInt64(k))
            host.write(page * HostMemory.pageSize + 8, payload: [4], firstBE: 0xF, lastBE: 0, requester: 0x0180, clock: UInt64(k))
        }
        #expect(host.violationReports == 10_000, "one report per run of writes into one page")
        #expect(host.violatingDwords == 30_000)
        #expect(host.violations.count == 16)
        #expect(host.violations.map(\.clock) == (0..<16).map(UInt64.init) && host.violations.map(\.page) == (0..<16).map { UInt64(8 + $0 % 2) })
    }
}
