@testable import RTL
import Testing

/// A component's own backlog, taken oldest first.
@Suite("FIFO")
struct FIFOTests {
    @Test("random appends and takes give the items back in order, as an array would, across the storage's compactions, which keep its taken items to 1,024 or the backlog")
    func againstAnArray() {
        var fifo = FIFO<[Int]>(), reference: [[Int]] = []
        var rng = DeterministicRNG(seed: 3)
        var next = 0, wrong = 0, compactions = 0, largestStorage = 0, largestBacklog = 0
        for _ in 0..<50_000 {
            // Bursts of 0-3 appends against single takes, as many items in as out on average: a
            // backlog that wanders up to hundreds and back.
            if rng.next() % 100 < 40 {
                for _ in 0..<Int(rng.next() % 4) {
                    fifo.append([next])
                    reference.append([next])
                    next += 1
                }
            } else if let first = fifo.first {
                if first != reference.first { wrong += 1 }
                let before = fifo.head
                fifo.removeFirst()
                reference.removeFirst()
                if fifo.head < before && !fifo.isEmpty { compactions += 1 }
            } else if !reference.isEmpty {
                wrong += 1
            }
            if fifo.count != reference.count || fifo.isEmpty != reference.isEmpty { wrong += 1 }
            largestStorage = max(largestStorage, fifo.items.count)
            largestBacklog = max(largestBacklog, fifo.count)
        }
        #expect(wrong == 0)
        #expect(next > 25_000 && largestBacklog > 100, "\(next) items, backlog up to \(largestBacklog)")
        #expect(compactions > 10, "taken items left the storage while others waited (\(compactions) times)")
        // Taken items stay until more than 1,024 of them are the greater part of the storage.
        #expect(largestStorage <= largestBacklog + max(1025, largestBacklog + 1), "storage \(largestStorage) for a backlog of at most \(largestBacklog)")
    }
}

@Suite("Handoff")
struct HandoffTests {
    @Test("items are taken oldest first, each only from its own clock on")
    func visibility() {
        var handoff = Handoff<Int>()
        handoff.append(1, visibleAt: 5)
        handoff.append(2, visibleAt: 5)
        handoff.append(3, visibleAt: 7)
        #expect(handoff.first(at: 4) == nil && handoff.popFirst(at: 4) == nil && handoff.count == 3)
        #expect(handoff.popFirst(at: 5) == 1 && handoff.popFirst(at: 5) == 2)
        #expect(handoff.popFirst(at: 6) == nil && handoff.first(at: 7) == 3 && handoff.count == 1)
        handoff.removeFirst()
        #expect(handoff.isEmpty && handoff.popFirst(at: 100) == nil)
    }
}
