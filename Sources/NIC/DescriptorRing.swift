/// A descriptor ring as the DMA engine keeps it for one queue (82576 datasheet §7.1.3, §7.2.2;
/// 82599 §7.1.9, §7.2.3): where the ring is in host memory, which descriptors hardware has
/// fetched into its on-chip cache, which it has finished and must write back, and its head.
/// Software owns the descriptors from head to tail; hardware fetches from `fetchIndex` up to
/// the tail software last wrote.
public struct DescriptorRing: Sendable {
    /// Why a queue stopped: the register contents or the host's answers made it unusable. The
    /// queue's enable bit is cleared (software reads RXDCTL/TXDCTL.ENABLE = 0) and the error
    /// counted; the simulator keeps running.
    public enum Failure: String, Sendable, Equatable {
        /// RDLEN/TDLEN zero or not a multiple of 128 bytes when the queue was enabled.
        case badRingLength = "ring length zero or not a multiple of 128 bytes"
        /// Software wrote a tail at or beyond the ring's last descriptor.
        case tailBeyondRing = "tail beyond the ring"
        /// A descriptor whose buffer address is 0, whose length is 0, or whose buffer wraps the
        /// 64-bit address space.
        case badDescriptor = "descriptor with a null, empty or wrapping buffer"
        /// A read of descriptors or payload completed with Unsupported Request.
        case unsupportedRequest = "DMA read completed with Unsupported Request"
        /// A read completed with Completer Abort (or a malformed completion).
        case completerAbort = "DMA read completed with Completer Abort"
    }

    public static let descriptorBytes = 16

    public internal(set) var enabled = false
    public internal(set) var failure: Failure?
    public internal(set) var base: UInt64 = 0
    /// Descriptors in the ring.
    public internal(set) var count = 0
    public internal(set) var tail = 0
    /// Next descriptor to fetch; hardware head (next descriptor to be given back).
    public internal(set) var fetchIndex = 0
    public internal(set) var head = 0
    /// Bumped on every enable and stop, so that answers to an older ring's reads are ignored.
    var generation: UInt32 = 0
    /// Fetched descriptors not yet used, in ring order.
    var cache: [(index: Int, dwords: DescriptorDwords)] = []
    var cacheHead = 0
    /// Descriptors in a fetch not yet answered.
    var fetching = 0
    /// Used descriptors waiting to be written back (batched by WTHRESH), in ring order.
    var writeBacks: [(index: Int, dwords: DescriptorDwords?)] = []

    /// Descriptors software has given hardware that it has not fetched yet.
    public var available: Int { count == 0 ? 0 : (tail - fetchIndex + count) % count }
    public var cached: Int { cache.count - cacheHead }
    public var pendingWriteBacks: Int { writeBacks.count }

    /// Starts the ring (queue enable): `length` bytes at `base`, head and tail as software set
    /// them. A bad length leaves it stopped with `badRingLength`.
    mutating func start(base: UInt64, length: Int, head: Int, tail: Int) {
        generation &+= 1
        cache = []
        cacheHead = 0
        fetching = 0
        writeBacks = []
        self.base = base
        guard length > 0, length % 128 == 0 else {
            stop(.badRingLength)
            return
        }
        count = length / Self.descriptorBytes
        self.head = head % count
        fetchIndex = self.head
        enabled = true
        failure = nil
        setTail(tail)
    }

    /// Stops the ring: software cleared the enable bit (`failure` nil) or something went wrong.
    mutating func stop(_ failure: Failure? = nil) {
        generation &+= 1
        enabled = false
        cache = []
        cacheHead = 0
        fetching = 0
        writeBacks = []
        if let failure { self.failure = failure }
    }

    /// Software wrote the tail; one at or beyond the ring's end stops the queue.
    mutating func setTail(_ value: Int) {
        guard enabled else {
            tail = value
            return
        }
        guard value < count else {
            stop(.tailBeyondRing)
            return
        }
        tail = value
    }

    /// The descriptors to fetch now, if any: up to the cache's room, not past the ring's end
    /// (one read never wraps), when the cache is empty or below the prefetch threshold and
    /// software has given at least the host threshold's worth (PTHRESH, HTHRESH).
    func fetchWanted(cacheSize: Int, prefetchThreshold: Int, hostThreshold: Int) -> (index: Int, count: Int)? {
        guard enabled, fetching == 0 else { return nil }
        let room = cacheSize - cached - writeBacks.count
        let available = self.available
        guard room > 0, available > 0 else { return nil }
        guard cached == 0 || cached < prefetchThreshold else { return nil }
        guard cached == 0 || available >= min(max(1, hostThreshold), room) else { return nil }
        return (fetchIndex, min(room, available, count - fetchIndex))
    }

    mutating func fetchIssued(_ n: Int) {
        fetching = n
        fetchIndex = (fetchIndex + n) % count
    }

    /// The answer to a fetch: 16-byte descriptors in ring order from `index`. The descriptors
    /// already used leave the list first: a queue under steady load takes its cache's oldest
    /// while the next fetch lands, so the cache may never empty, and the list must not grow with
    /// every descriptor the queue has ever fetched.
    mutating func fetched(index: Int, bytes: [UInt8]) {
        fetching = 0
        if cacheHead > 0 {
            cache.removeFirst(cacheHead)
            cacheHead = 0
        }
        for k in 0..<(bytes.count / Self.descriptorBytes) {
            cache.append(((index + k) % count, DescriptorDwords(bytes: bytes, at: Self.descriptorBytes * k)))
        }
    }

    /// The oldest fetched descriptor, if any.
    var next: (index: Int, dwords: DescriptorDwords)? { cacheHead < cache.count ? cache[cacheHead] : nil }

    /// The fetched descriptor `k` places from the oldest.
    func peek(_ k: Int) -> (index: Int, dwords: DescriptorDwords)? { cacheHead + k < cache.count ? cache[cacheHead + k] : nil }

    /// Uses the oldest fetched descriptor; `writeBack` is what hardware writes into it (nil:
    /// nothing, the head still moves past it).
    mutating func use(writeBack: DescriptorDwords?) {
        writeBacks.append((take().index, writeBack))
    }

    /// Takes the oldest fetched descriptor out of the cache; whoever took it queues its
    /// write-back (`writeBacks`) when the descriptor is done.
    mutating func take() -> (index: Int, dwords: DescriptorDwords) {
        let oldest = cache[cacheHead]
        cacheHead += 1
        if cacheHead == cache.count {
            cache.removeAll(keepingCapacity: true)
            cacheHead = 0
        }
        return oldest
    }

    /// Issues the write-backs due now (all pending once there are `threshold` of them, or when
    /// `force`): runs of consecutive descriptors, each one memory write, handed to `write`
    /// (address, dwords) in ring order; the head moves past every one of them.
    mutating func flush(threshold: Int, force: Bool, _ write: (UInt64, [UInt32]) -> Void) {
        guard flushDue(threshold: threshold, force: force) else { return }
        var run: (start: Int, dwords: [UInt32])?
        var last = -2
        for (index, dwords) in writeBacks {
            guard let dwords else {
                if let r = run { write(address(of: r.start), r.dwords) }
                run = nil
                last = -2
                continue
            }
            if run != nil, index == last + 1 {
                dwords.append(to: &run!.dwords)   // in place: a copy of the run would copy its dwords
            } else {
                if let r = run { write(address(of: r.start), r.dwords) }
                run = (index, dwords.array)
            }
            last = index
        }
        if let r = run { write(address(of: r.start), r.dwords) }
        head = (head + writeBacks.count) % count
        writeBacks.removeAll(keepingCapacity: true)
    }

    /// A flush would write something back now.
    func flushDue(threshold: Int, force: Bool) -> Bool {
        !writeBacks.isEmpty && (force || writeBacks.count >= max(1, threshold))
    }

    func address(of index: Int) -> UInt64 { base &+ UInt64(index * Self.descriptorBytes) }
}
