@testable import Host
import RTL
import Testing

/// The IOMMU's memo of second-level walks gives what a walk gives, whatever changes in the
/// tables between requests, and forgets only when a page a walk read is written.
@Suite("Walk memo")
struct WalkMemoTests {
    typealias Tables = IOMMUTranslationTests.Tables

    /// The walk made afresh, every field of its result.
    static func fields(_ r: SecondLevelTranslation.Result<Concrete>) -> [UInt64] {
        [r.hostAddress.value, r.fault.value, r.domain.value, r.faultProcessingDisabled.isSet ? 1 : 0, r.readable.isSet ? 1 : 0,
         r.writable.isSet ? 1 : 0, r.walked.isSet ? 1 : 0]
    }

    @Test("20,000 requests over random 3- and 4-level tables, remapped, unmapped and re-permissioned every 2,000 requests and RTADDR moved once: the memo's answer is the walk's, field by field, and over 40% come from the memo (faults and first requests walk)",
          arguments: [3, 4])
    func agreesWithTheWalk(_ levels: Int) {
        var rng = DeterministicRNG(seed: 0x3A1C + UInt64(levels))
        let memory = HostMemory(size: 1 << 36)
        var tables = Tables(memory: memory, at: 0x1_0000_0000)
        let rids: [UInt16] = [0x0180, 0x0182, 0x0281]
        var tops: [UInt16: UInt64] = [:]
        var mappings: [(rid: UInt16, iova: UInt64, large: Bool)] = []
        for (k, rid) in rids.enumerated() {
            let top = tables.context(rid, levels: levels, domain: UInt16(k + 1), faultProcessingDisabled: k == 2)
            tops[rid] = top
            for n in 0..<40 {
                let large = n % 5 == 0
                let iova = UInt64(n) << 21 | (large ? 0 : (rng.next() % 512) << 12)
                tables.map(top: top, levels: levels, iova: iova, hpa: (rng.next() % (1 << 34)) & ~0x1F_FFFF, large: large, read: true, write: n % 3 != 0)
                mappings.append((rid, iova, large))
            }
        }
        var memo = WalkMemo()
        var root = tables.root
        for n in 0..<20_000 {
            if n % 2_000 == 1_999 {
                // Change the tables: a new host page or permissions for a mapping, or none.
                let m = mappings[Int(rng.next() % UInt64(mappings.count))]
                let change = rng.next() % 3
                tables.map(top: tops[m.rid]!, levels: levels, iova: m.iova, hpa: change == 0 ? 0 : (rng.next() % (1 << 34)) & ~0x1F_FFFF,
                           large: m.large, read: change != 0, write: change == 2)
            }
            if n == 10_000 {
                // The same tables copied elsewhere and RTADDR pointed there, then the old root
                // table cleared: requests must follow the new pointer.
                let copy = tables.page()
                for k in stride(from: UInt64(0), to: 0x1000, by: 8) { memory.write64(copy + k, memory.read64(root + k)) }
                for k in stride(from: UInt64(0), to: 0x1000, by: 8) { memory.write64(root + k, 0) }
                root = copy
            }
            let m = mappings[Int(rng.next() % UInt64(mappings.count))]
            let rid = n % 11 == 0 ? UInt16(0x0300) : m.rid
            // Within a mapping: one of its first eight pages for a 2 MiB one; now and then anywhere.
            let address = n % 13 == 0 ? rng.next() % (1 << 50) : m.iova + (m.large ? (rng.next() % 8) << 12 : 0) + rng.next() % 0x1000
            let write = rng.next() % 2 == 0, type = UInt8(n % 17 == 0 ? 1 : 0)
            let fresh = SecondLevelTranslation.translate(rootTable: Bits(root), .init(requester: Bits(UInt64(rid)), address: Bits(address),
                                                                                      write: Bit(write), addressType: Bits(UInt64(type))),
                                                         tables: HostMemoryTables(memory))
            let remembered = memo.translate(memory, rootTable: root, requester: rid, address: address, write: write, addressType: type)
            #expect(Self.fields(remembered) == Self.fields(fresh), "request \(n): rid 0x\(String(rid, radix: 16)) 0x\(String(address, radix: 16))")
        }
        #expect(memo.hits + memo.walks == 20_000)
        #expect(memo.hits > 8_000, "\(memo.hits) answered from the memo")
    }

    @Test("a write to a page the walks read forgets every result; a write elsewhere (a DMA buffer) forgets none")
    func forgetsOnlyOnTableWrites() {
        let (iommu, tables, top) = IOMMUTranslationTests.iommu()
        let memory = iommu.memory
        var memo = WalkMemo()
        func ask() -> UInt64? {
            let r = memo.translate(memory, rootTable: tables.root, requester: 0x0180, address: 0x4abc, write: false, addressType: 0)
            return r.allowed.isSet ? r.hostAddress.value : nil
        }
        #expect(ask() == 0x80_0abc && memo.walks == 1)
        memory.write32(0x80_0000, 0xdead_beef)                 // the mapped page itself: data, not a table
        #expect(ask() == 0x80_0abc && memo.walks == 1 && memo.hits == 1)
        // The leaf entry (level 1 of the 3-level table under `top`) moved to another host page.
        let level2 = memory.read64(top) & 0x000F_FFFF_FFFF_F000
        let level1 = memory.read64(level2) & 0x000F_FFFF_FFFF_F000
        memory.write64(level1 + 8 * 4, 0x90_0000 | 1)
        #expect(ask() == 0x90_0abc && memo.walks == 2)
        memory.write64(level1 + 8 * 4, 0)                      // unmapped: a fault, found by a walk each time
        #expect(ask() == nil && ask() == nil && memo.walks == 4)
    }
}
