/// A set of small integers (queue numbers) as a bit vector: what hardware keeps as a pending
/// bitmap so that an arbiter or a scheduler visits only the queues with work, in queue order.
/// Up to 256 members (the parts have at most 128 queues, so 256 rings), held inline: copying
/// or walking one allocates nothing.
struct QueueSet {
    static let limit = 256
    private var words = Words()

    /// Four 64-bit words, by index (lane k holds members 64k to 64k + 63).
    typealias Words = SIMD4<UInt64>

    init(capacity: Int) {
        precondition(capacity <= Self.limit, "a queue set holds at most \(Self.limit) members")
    }

    var isEmpty: Bool { words == .zero }

    func contains(_ n: Int) -> Bool { words[n >> 6] >> UInt64(n & 63) & 1 == 1 }

    mutating func insert(_ n: Int) { words[n >> 6] |= 1 << UInt64(n & 63) }

    mutating func remove(_ n: Int) { words[n >> 6] &= ~(1 << UInt64(n & 63)) }

    mutating func removeAll() { words = .zero }

    /// The members in ascending order.
    var members: RoundRobin { members(from: 0) }

    /// The members in round-robin order: those at or above `start` ascending, then the rest.
    func members(from start: Int) -> RoundRobin { RoundRobin(words, start: max(0, min(start, Self.limit))) }

    /// Walks a snapshot of the set: members at or above the start first, then those below.
    struct RoundRobin: Sequence, IteratorProtocol {
        var high: Words, low: Words

        @inline(__always)
        init(_ words: Words, start: Int) {
            var mask = Words.zero
            for k in 0..<4 {
                let first = k << 6
                mask[k] = start <= first ? ~0 : start >= first + 64 ? 0 : ~0 << UInt64(start - first)
            }
            high = words & mask
            low = words & ~mask
        }

        mutating func next() -> Int? {
            if let n = Self.takeLowest(&high) { return n }
            return Self.takeLowest(&low)
        }

        static func takeLowest(_ words: inout Words) -> Int? {
            for k in 0..<4 where words[k] != 0 {
                let bit = words[k].trailingZeroBitCount
                words[k] &= words[k] - 1
                return k << 6 | bit
            }
            return nil
        }
    }
}
