/// A set of small integers (queue numbers) as a bit vector: what hardware keeps as a pending
/// bitmap so that an arbiter or a scheduler visits only the queues with work, in queue order.
struct QueueSet {
    private var words: [UInt64]

    init(capacity: Int) {
        words = Array(repeating: 0, count: (capacity + 63) / 64)
    }

    var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    func contains(_ n: Int) -> Bool { words[n >> 6] >> UInt64(n & 63) & 1 == 1 }

    mutating func insert(_ n: Int) { words[n >> 6] |= 1 << UInt64(n & 63) }

    mutating func remove(_ n: Int) { words[n >> 6] &= ~(1 << UInt64(n & 63)) }

    mutating func removeAll() {
        for w in words.indices { words[w] = 0 }
    }

    /// The members in ascending order.
    var members: [Int] { members(from: 0) }

    /// The members in round-robin order: those at or above `start` ascending, then the rest.
    func members(from start: Int) -> [Int] {
        var low: [Int] = [], high: [Int] = []
        for (w, word) in words.enumerated() {
            var bits = word
            while bits != 0 {
                let n = w << 6 | bits.trailingZeroBitCount
                if n >= start { high.append(n) } else { low.append(n) }
                bits &= bits - 1
            }
        }
        return high + low
    }
}
