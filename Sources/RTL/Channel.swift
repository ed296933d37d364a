/// A bounded FIFO between two components, with a latency in clocks and, where it models a
/// wire, a bandwidth in bytes per clock (DESIGN.md §3; Chisel's `Decoupled` + `Queue`).
///
/// Timing: an item pushed in clock t whose serialisation takes s clocks on the wire (s = 1
/// without a bandwidth) starts when the wire is free (clock w >= t) and becomes visible to the
/// consumer in clock w + s - 1 + latency. So a latency-2 channel without bandwidth delivers a
/// token pushed in clock 0 in clock 2.
///
/// Back-pressure: `capacity` counts every item in the channel, in flight or waiting. `ready`
/// (may the producer push now?) and `valid` (is an item visible?) read the state as of the
/// start of the clock; a push or pop made this clock is applied at commit. A pop therefore
/// frees its slot for the next clock, never for a push in the same clock, whatever order the
/// two components tick in.
public final class Channel<Item>: AnyChannel {
    public let path: String
    public let capacity: Int
    public let latency: Int
    public let bytesPerClock: Int?

    /// The consumer is woken when an item becomes visible; the producer when a full channel
    /// gets space again. Neither reference is counted, nor is the simulator: it holds every
    /// component and channel for its whole life (a weak reference would give each component a
    /// side table, and every retain of it the slow path; an unowned one costs a check per use).
    public unowned(unsafe) var consumer: (any Component)? { didSet { consumerIndex = nil } }
    public unowned(unsafe) var producer: (any Component)? { didSet { producerIndex = nil } }
    /// Their numbers in the simulator, looked up on first use.
    @usableFromInline var consumerIndex: Int?
    @usableFromInline var producerIndex: Int?

    /// The items, oldest first, from `head`: those before `committed` were pushed in earlier
    /// clocks, the rest this clock; `visible` holds the clock each becomes visible (kept apart
    /// so that the commit, which runs unspecialised through `AnyChannel`, touches no `Item`).
    @usableFromInline var items: [Item] = []
    @usableFromInline var visible: [UInt64] = []
    @usableFromInline var head = 0
    @usableFromInline var committed = 0
    @usableFromInline var pendingPops = 0
    @usableFromInline var wireFreeAt: UInt64 = 0
    /// The ranks of the items `push(_:rank:)` added this clock, in their order (emptied at commit).
    @usableFromInline var ranks: [Int] = []
    /// Pushed or popped this clock (the simulator commits it once).
    @usableFromInline var isDirty = false
    /// The simulator, not counted and used at +0 (an `unowned(unsafe)` reference was retained
    /// and released at each use, on every push, pop and commit).
    @usableFromInline let kernel: Unmanaged<Simulator>
    /// Its number in the simulator (for the commit list).
    @usableFromInline var index = 0

    /// Counters for reports and probes.
    public var pushed: UInt64 { pushCount }
    public var popped: UInt64 { popCount }
    public var stalls: UInt64 { stallCount }
    /// Bytes pushed, and clocks the wire spent serialising them (with a bandwidth): its
    /// utilisation over a stretch of time is the growth of `busyClocks` over its length.
    public var bytes: UInt64 { byteCount }
    public var busyClocks: UInt64 { busyCount }
    @usableFromInline var pushCount: UInt64 = 0, popCount: UInt64 = 0, stallCount: UInt64 = 0
    @usableFromInline var byteCount: UInt64 = 0, busyCount: UInt64 = 0

    public init(_ simulator: Simulator, path: String, capacity: Int, latency: Int = 1, bytesPerClock: Int? = nil) {
        precondition(capacity >= 1, "channel \(path): capacity must be at least 1")
        precondition(latency >= 1, "channel \(path): latency must be at least 1 clock (a registered boundary)")
        precondition(bytesPerClock.map { $0 >= 1 } ?? true, "channel \(path): bandwidth must be positive")
        kernel = .passUnretained(simulator)
        self.path = path
        self.capacity = capacity
        self.latency = latency
        self.bytesPerClock = bytesPerClock
        index = simulator.register(channel: self)
    }

    /// The simulator's clock.
    @inlinable
    var now: UInt64 { kernel._withUnsafeGuaranteedRef { $0.now } }

    /// Items in the channel as of the start of this clock.
    @inlinable
    public var count: Int { committed - head }

    /// May the producer push this clock? (Start-of-clock occupancy plus this clock's pushes.)
    @inlinable
    public var ready: Bool { items.count - head < capacity }

    /// Items the producer may still push this clock.
    @inlinable
    public var room: Int { capacity - (items.count - head) }
    /// Is an item visible to the consumer this clock (and not already popped this clock)?
    @inlinable
    public var valid: Bool {
        let index = head + pendingPops
        return index < committed && visible[index] <= now
    }

    /// The oldest item in the channel, visible yet or still in flight (for probes and traces).
    @inlinable
    public var oldest: Item? { count > 0 ? items[head] : nil }

    /// The visible head item, if any.
    @inlinable
    public var peek: Item? { valid ? items[head + pendingPops] : nil }

    /// Tells the simulator, once per clock, that this channel has a push or pop to commit.
    @inlinable
    func markDirty() {
        guard !isDirty else { return }
        isDirty = true
        let index = index
        kernel._withUnsafeGuaranteedRef { $0.markDirty(index) }
    }

    /// Wakes the consumer (or the producer) at `clock`.
    @usableFromInline
    func wakeConsumer(at clock: UInt64) {
        if consumerIndex == nil, let consumer { consumerIndex = kernel._withUnsafeGuaranteedRef { $0.index(of: consumer) } }
        if let consumerIndex { kernel._withUnsafeGuaranteedRef { $0.wake(index: consumerIndex, at: clock) } }
    }

    func wakeProducer(at clock: UInt64) {
        if producerIndex == nil, let producer { producerIndex = kernel._withUnsafeGuaranteedRef { $0.index(of: producer) } }
        if let producerIndex { kernel._withUnsafeGuaranteedRef { $0.wake(index: producerIndex, at: clock) } }
    }

    /// Pushes `item` (of `bytes` bytes, used with a bandwidth). Returns false, and counts a
    /// stall, when the channel is full: the producer keeps the item and tries again.
    @inlinable @discardableResult
    public func push(_ item: consuming Item, bytes: Int = 1) -> Bool {
        guard ready else {
            stallCount += 1
            return false
        }
        let now = self.now
        let start = Swift.max(now, wireFreeAt)
        let serialization = UInt64(bytesPerClock.map { (Swift.max(bytes, 1) - 1) / $0 + 1 } ?? 1)
        wireFreeAt = start + serialization
        byteCount &+= UInt64(bytes)
        busyCount &+= serialization
        let visibleAt = start + serialization - 1 + UInt64(latency)
        // The items popped before `head` are dropped here, where `Item` is known (in the
        // unspecialised commit, moving the rest down went item by item through `Item`'s witnesses).
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            visible.removeFirst(head)
            committed -= head
            head = 0
        }
        items.append(item)
        visible.append(visibleAt)
        pushCount += 1
        markDirty()
        wakeConsumer(at: visibleAt)
        return true
    }

    /// Pushes `item` for a channel several producers share, as a write port with a fixed
    /// priority would take them: the items pushed in one clock leave in `rank` order (lowest
    /// first; equal ranks in push order), whichever producer ticked first. For channels
    /// without a bandwidth, whose items leave one a clock: the new item's slot is the next one,
    /// and the items of this clock are ordered among those slots.
    @inlinable @discardableResult
    public func push(_ item: Item, rank: Int) -> Bool {
        precondition(bytesPerClock == nil, "channel \(path): ranked pushes need a channel without a bandwidth")
        let thisClock = items.count - committed
        precondition(ranks.count == thisClock, "channel \(path): every push of a ranked channel is ranked")
        guard push(item) else { return false }
        // The item went in last (a push may first drop popped items and move `committed`).
        let first = items.count - 1 - thisClock
        var position = ranks.count
        while position > 0 && ranks[position - 1] > rank { position -= 1 }
        ranks.insert(rank, at: position)
        if position < thisClock {
            let moved = items.removeLast()
            items.insert(moved, at: first + position)
        }
        return true
    }

    /// Pops the visible head item.
    @inlinable
    public func pop() -> Item? { valid ? takeHead() : nil }

    /// Pops the visible head item, which must be there (`valid`): for a consumer that has
    /// checked, in code not specialised for `Item`, where an `Item?` costs a metadata lookup.
    @inlinable
    public func popValid() -> Item {
        precondition(valid, "channel \(path): popValid with no visible item")
        return takeHead()
    }

    /// The visible head item, popped (the caller has checked `valid`).
    @inlinable
    func takeHead() -> Item {
        let item = items[head + pendingPops]
        popHead()
        return item
    }

    /// Pops the visible head item without handing it out (its value was read with `peek`).
    @inlinable
    public func discard() {
        guard valid else { return }
        popHead()
    }

    @inlinable
    func popHead() {
        pendingPops += 1
        popCount += 1
        markDirty()
    }

    /// Applies this clock's pushes and pops (the simulator calls this after all ticks).
    public func commit() {
        // `visible` has an entry per item: its count is the items', read without going through
        // the unspecialised `[Item]` (which retained and released the array each time).
        isDirty = false
        if !ranks.isEmpty { ranks.removeAll(keepingCapacity: true) }
        let consumed = pendingPops > 0
        if consumed {
            // Only a producer that may be waiting for space (the channel was full) is woken.
            let wasFull = visible.count - head >= capacity
            head += pendingPops
            pendingPops = 0
            if wasFull { wakeProducer(at: now + 1) }
        }
        committed = visible.count
        // A consumer that made progress and has another item already visible next clock is
        // woken for it; items still in flight woke it for their own clock when pushed. A
        // consumer that popped nothing is blocked and is woken by whatever unblocks it.
        if consumed, committed > head, visible[head] <= now + 1 {
            wakeConsumer(at: now + 1)
        }
    }
}

/// What the simulator needs of every channel, whatever it carries.
public protocol AnyChannel: AnyObject {
    var path: String { get }
    func commit()
}
