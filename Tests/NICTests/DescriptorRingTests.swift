@testable import NIC
import RTL
import Testing

/// A queue's descriptor ring as the DMA engine keeps it: fetches into the on-chip cache, use in
/// ring order, write-back, head.
@Suite("Descriptor ring")
struct DescriptorRingTests {
    @Test("under steady load (the cache never empties) descriptors are used in ring order and the cache's list stays within twice the cache's size")
    func steadyLoad() {
        var ring = DescriptorRing()
        ring.start(base: 0x10_0000, length: 256 * DescriptorRing.descriptorBytes, head: 0, tail: 0)
        let cacheSize = 64
        var rng = DeterministicRNG(seed: 12)
        var used = 0, outOfOrder = 0, fetchesIntoNonEmptyCache = 0, largestList = 0, headMoves = 0
        for step in 0..<40_000 {
            // Software keeps the ring nearly full: the tail just behind the head.
            ring.setTail((ring.head + ring.count - 1) % ring.count)
            // Every third step a wanted fetch goes out and is answered; the queue uses 0-2 descriptors a step.
            if step % 3 == 0, let want = ring.fetchWanted(cacheSize: cacheSize, prefetchThreshold: 32, hostThreshold: 8) {
                if ring.cached > 0 { fetchesIntoNonEmptyCache += 1 }
                ring.fetchIssued(want.count)
                let bytes = (0..<want.count * DescriptorRing.descriptorBytes).map { UInt8(truncatingIfNeeded: $0) }
                ring.fetched(index: want.index, bytes: bytes)
            }
            largestList = max(largestList, ring.cache.count)
            for _ in 0..<Int(rng.next() % 3) where ring.cached > 0 {
                guard let next = ring.next else { break }
                if next.index != used % ring.count { outOfOrder += 1 }
                ring.use(writeBack: nil)
                used += 1
            }
            let before = ring.head
            ring.flush(threshold: 8, force: false) { _, _ in }
            if ring.head != before { headMoves += 1 }
        }
        #expect(used > 30_000, "the queue used \(used) descriptors")
        #expect(outOfOrder == 0)
        #expect(fetchesIntoNonEmptyCache > 1_000, "fetches landed while the cache still held descriptors (\(fetchesIntoNonEmptyCache))")
        #expect(largestList <= 2 * cacheSize, "the cache's list held \(largestList) entries (cache size \(cacheSize))")
        #expect(headMoves > 1_000 && ring.failure == nil)
    }
}
