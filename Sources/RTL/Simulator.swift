/// The clock kernel: one global clock, components ticked only when woken, channels committed
/// after every tick of a clock (two-phase update), probes sampled after commit.
/// DESIGN.md §3.
///
/// Elaboration (adding components, channels and probes) happens before the first clock;
/// `elaborate()` freezes the probe list so a tracer can write its header once.
///
/// The state the clock loop touches every step is `@exclusivity(unchecked)`: a simulator runs on
/// one thread, and the dynamic checks were half of the run time of a loaded platform.
public final class Simulator {
    /// The current clock (cycle number).
    @exclusivity(unchecked) public private(set) var now: UInt64 = 0
    /// Clock frequency, for converting clocks to simulated time.
    public let clockHz: UInt64
    /// The run's one random stream; every random choice in a run draws from it.
    public var rng: DeterministicRNG

    @exclusivity(unchecked) public private(set) var components: [any Component] = []
    @exclusivity(unchecked) private var indexOf: [ObjectIdentifier: Int] = [:]
    @exclusivity(unchecked) private var channels: [any AnyChannel] = []
    /// Each component's tick and each channel's commit as the clock loop calls them: at +0,
    /// through a class (`KernelCall`) held here (an existential read from `components` or
    /// `channels` was retained and released on every call, several times a clock).
    @exclusivity(unchecked) private var calls: [KernelCall] = []
    @exclusivity(unchecked) private var tickCalls: [Unmanaged<KernelCall>] = []
    @exclusivity(unchecked) private var commitCalls: [Unmanaged<KernelCall>] = []
    /// The numbers of the channels pushed or popped this clock.
    @usableFromInline let dirty = IndexList()
    /// Wake-ups: those within `Wheel.span` clocks in a timing wheel (a list of component
    /// numbers per clock, as a calendar queue keeps them), later ones in a min-heap of
    /// (clock, component number).
    @usableFromInline let wheel = Wheel()
    /// Wake-ups asked during a step for the next clock (most of them): a plain list, taken by
    /// the next step, rather than the wheel's slot and node.
    @usableFromInline let soon = IndexList()
    @exclusivity(unchecked) @usableFromInline var agenda = MinHeap()
    /// The components to tick this clock (reused, so a step allocates nothing).
    private let due = IndexList()
    /// The clock of each component's most recent wake-up request and tick, to drop duplicates
    /// (read and written on every wake-up and tick).
    @usableFromInline let lastWake = NumberList<UInt64>()
    private let lastTick = NumberList<UInt64>()
    /// Per component: it ticks after the others (`add(_:last:)`); and whether any does.
    private let ticksLast = NumberList<UInt8>()
    private var anyTicksLast = false
    public private(set) var probes = ProbeRegistry()
    public private(set) var isElaborated = false
    @exclusivity(unchecked) @usableFromInline var inStep = false
    /// Component ticks performed: work done, for "idle costs nothing" checks and reports.
    @exclusivity(unchecked) public private(set) var ticks: UInt64 = 0
    /// The clock just stepped ticked no component and committed no channel: no state changed,
    /// so no probe's value did (a channel's item becoming visible wakes its consumer, which
    /// ticks). A trace may skip sampling it.
    @exclusivity(unchecked) public private(set) var quiet = false
    /// The order a clock's due components tick in. Results must not depend on it (two-phase
    /// update: what a component does in a clock is seen by others from the next); `.reversed`
    /// is there to check that a model keeps to it — a model whose outputs differ between the
    /// two has a path from one component to another that bypasses its channels.
    public enum TickOrder: Sendable { case declaration, reversed }
    public var tickOrder = TickOrder.declaration

    /// The first clock at which a change made now may be seen by another component: the next
    /// clock during a step, this one between steps (before it is stepped). For paths between
    /// components that are not channels: they stamp what they pass with it (`Handoff`).
    @inlinable
    public var visibleClock: UInt64 { inStep ? now + 1 : now }

    /// Called after every clock's commit with that clock's number, whoever advances the clock
    /// (a run loop or firmware waiting for a completion): where tracers hook in.
    public var onClock: ((UInt64) -> Void)?
    /// With `onClock` set, `run` steps every clock unless this is set too: it is called instead
    /// for each stretch of clocks `run` skips because nothing is due in them (no component
    /// ticks, no channel commits: every one of them is quiet), so a tracer can write them
    /// without the clocks being stepped.
    public var onQuietClocks: ((Range<UInt64>) -> Void)?

    public init(clockHz: UInt64 = 250_000_000, seed: UInt64 = 1) {
        self.clockHz = clockHz
        self.rng = DeterministicRNG(seed: seed)
    }

    /// Adds a component; its index (declaration order) fixes the order ticks are called in,
    /// which two-phase commit makes irrelevant to results. Returns the index, for components
    /// that wake themselves often (`wake(index:at:)`).
    ///
    /// `last`: the component ticks after all the others in every clock it is due, in either
    /// tick order. For one that shares state with the others outside channels and must see it
    /// as the clock leaves it: the host CPU, whose programs read and write host memory while
    /// the root complex writes and reads it for devices (they see the DMA writes of the clock
    /// they run in; devices see their stores from the next).
    @discardableResult
    public func add(_ component: any Component, last: Bool = false) -> Int {
        precondition(!isElaborated, "component \(component.path) added after elaboration")
        indexOf[ObjectIdentifier(component)] = components.count
        components.append(component)
        tickCalls.append(hold(tickCall(of: component)))
        lastWake.append(.max)
        lastTick.append(.max)
        ticksLast.append(last ? 1 : 0)
        anyTicksLast = anyTicksLast || last
        return components.count - 1
    }

    /// Registers a channel; returns its number (for `markDirty`).
    func register(channel: any AnyChannel) -> Int {
        channels.append(channel)
        commitCalls.append(hold(commitCall(of: channel)))
        return channels.count - 1
    }

    /// Keeps `call` for the simulator's life; returns it uncounted.
    private func hold(_ call: KernelCall) -> Unmanaged<KernelCall> {
        calls.append(call)
        return .passUnretained(call)
    }

    /// Registers a probe: a named signal of `width` bits sampled by `sample` after each clock
    /// a tracer records. Only during elaboration.
    public func probe(_ path: String, width: Int, changes: ProbeChanges? = nil, sample: @escaping () -> UInt64) {
        precondition(!isElaborated, "probe \(path) registered after elaboration")
        probes.add(Probe(path: path, width: width, changes: changes, sample: sample))
    }

    /// Registers a probe whose value moves with the clock (`Probe.sampleAt`): `sample(clock)`.
    public func probe(_ path: String, width: Int, at sample: @escaping (UInt64) -> UInt64) {
        precondition(!isElaborated, "probe \(path) registered after elaboration")
        // The current clock read at +0, as the clock loop's state is.
        let simulator = Unmanaged.passUnretained(self)
        probes.add(Probe(path: path, width: width, at: sample, now: { simulator._withUnsafeGuaranteedRef { $0.now } }))
    }

    /// A new version source for `probe(changes:)`.
    public func changes(_ version: @escaping () -> UInt64) -> ProbeChanges {
        changeSources += 1
        return ProbeChanges(source: changeSources - 1, version: version)
    }
    var changeSources = 0

    /// For `probe(changes:)`: the ticks of `components`, for state only their ticks change (the
    /// sum of the last clocks they ticked grows whenever one of them ticks).
    public func ticks(of components: [any Component]) -> ProbeChanges {
        let indices = components.map { index(of: $0) }
        // Read at +0 (a traced run reads it every clock; `unowned` checked and counted each time).
        let simulator = Unmanaged.passUnretained(self)
        return changes { simulator._withUnsafeGuaranteedRef { s in indices.reduce(0) { $0 &+ s.lastTick[$1] } } }
    }

    /// Ends elaboration: no more components or probes.
    public func elaborate() { isElaborated = true }

    /// Schedules `component` to tick at clock `at`; a request for the current clock made
    /// while it is being computed (or already past) is moved to the next clock.
    public func wake(_ component: any Component, at clock: UInt64) {
        wake(index: index(of: component), at: clock)
    }

    /// The component's number (its declaration order), for callers that wake it often.
    public func index(of component: any Component) -> Int {
        // A direct-mapped cache by object address in front of the dictionary: components that
        // wake themselves every few clocks find their number without hashing.
        let id = ObjectIdentifier(component)
        let line = Int(truncatingIfNeeded: UInt(bitPattern: id) >> 4) & (Self.indexCacheLines - 1)
        if indexCache[line].id == id { return indexCache[line].index }
        guard let index = indexOf[id] else {
            preconditionFailure("wake: \(component.path) was never added to the simulator")
        }
        indexCache[line] = (id, index)
        return index
    }
    static let indexCacheLines = 64
    @exclusivity(unchecked) private var indexCache: [(id: ObjectIdentifier?, index: Int)] = Array(repeating: (nil, 0), count: indexCacheLines)

    /// `wake(_:at:)` for the component numbered `index`.
    @inlinable
    public func wake(index: Int, at clock: UInt64) {
        let clock = inStep ? Swift.max(clock, now + 1) : Swift.max(clock, now)
        if lastWake[index] == clock { return }
        lastWake[index] = clock
        if inStep && clock == now + 1 {
            soon.append(index)
        } else if clock - now < UInt64(Wheel.span) { wheel.add(index, at: clock) } else { agenda.push((clock, index)) }
    }

    /// `wake(index:at:)` `clocks` clocks from now.
    @inlinable
    public func wake(index: Int, after clocks: UInt64) {
        wake(index: index, at: now + clocks)
    }

    /// Wakes `component` `clocks` clocks from now.
    public func wake(_ component: any Component, after clocks: UInt64) {
        wake(component, at: now + clocks)
    }

    /// Channel number `index` was pushed or popped this clock (each says so once): it commits
    /// after the ticks.
    @inlinable
    func markDirty(_ index: Int) {
        dirty.append(index)
    }

    /// The clock of the next scheduled work, if any.
    public var nextEventClock: UInt64? {
        // `soon` holds wake-ups for the clock after the last step, which is `now`.
        let near = soon.count > 0 ? now : wheel.next(from: now)
        guard let far = agenda.peek?.clock else { return near }
        return near.map { Swift.min($0, far) } ?? far
    }

    /// Runs one clock: ticks every component woken for `now` in declaration order, commits
    /// all channels touched, then advances `now`.
    public func step() {
        if !isElaborated { elaborate() }
        inStep = true
        defer { inStep = false }
        let ticksBefore = ticks
        // This clock's wake-ups, ticked in declaration order (each component once).
        wheel.take(at: now, into: due)
        for k in 0..<soon.count { due.append(soon[k]) }
        soon.removeAll()
        while let top = agenda.peek, top.clock <= now {
            agenda.pop()
            due.append(top.index)
        }
        due.sort()
        let reversed = tickOrder == .reversed
        var deferred = false
        for j in 0..<due.count {
            let index = due[reversed ? due.count - 1 - j : j]
            if anyTicksLast && ticksLast[index] != 0 {
                deferred = true
            } else {
                tick(index)
            }
        }
        // Those that tick last, after every other (in the same order among themselves).
        for j in 0..<(deferred ? due.count : 0) {
            let index = due[reversed ? due.count - 1 - j : j]
            if ticksLast[index] != 0 { tick(index) }
        }
        due.removeAll()
        quiet = ticks == ticksBefore && dirty.count == 0
        for k in 0..<dirty.count { commitCalls[dirty[k]]._withUnsafeGuaranteedRef { $0.call(self) } }
        dirty.removeAll()
        onClock?(now)
        now += 1
    }

    /// Ticks component `index` in this clock, once however often it was woken for it.
    @inline(__always)
    private func tick(_ index: Int) {
        guard lastTick[index] != now else { return }
        lastTick[index] = now
        ticks += 1
        tickCalls[index]._withUnsafeGuaranteedRef { $0.call(self) }
    }

    /// Runs `clocks` clocks, calling `afterClock` after each commit. Without an observer (here
    /// or in `onClock`, unless `onQuietClocks` takes the quiet ones), idle stretches are
    /// skipped in one jump.
    public func run(clocks: UInt64, afterClock: ((UInt64) -> Void)? = nil) {
        let end = now + clocks
        while now < end {
            if afterClock == nil && (onClock == nil || onQuietClocks != nil) {
                let next = Swift.min(nextEventClock ?? end, end)
                if next > now {
                    if onClock != nil { onQuietClocks?(now..<next) }
                    now = next
                }
                if now == end { return }
            }
            let clock = now
            step()
            afterClock?(clock)
        }
    }

    /// Simulated time in seconds at the current clock.
    public var simulatedSeconds: Double { Double(now) / Double(clockHz) }
}

/// A call the clock loop makes, through the class's vtable on an uncounted reference.
class KernelCall {
    func call(_ simulator: Simulator) {}
}

/// A component's tick.
final class TickCall<C: Component>: KernelCall {
    let component: Unmanaged<C>
    init(_ component: C) { self.component = .passUnretained(component) }
    override func call(_ simulator: Simulator) { component._withUnsafeGuaranteedRef { $0.tick(simulator) } }
}

/// A channel's commit.
final class CommitCall<C: AnyChannel>: KernelCall {
    let channel: Unmanaged<C>
    init(_ channel: C) { self.channel = .passUnretained(channel) }
    override func call(_ simulator: Simulator) { channel._withUnsafeGuaranteedRef { $0.commit() } }
}

/// The tick of `component` and the commit of `channel`, whatever their types.
private func tickCall<C: Component>(of component: C) -> KernelCall { TickCall(component) }
private func commitCall<C: AnyChannel>(of channel: C) -> KernelCall { CommitCall(channel) }

/// Wake-ups for the next `span` clocks: per clock (modulo `span`) a list of the components to
/// tick, kept as linked nodes in storage of the wheel's own (no array per clock to grow, check
/// and empty, and no copy-on-write check per store), and a bitmap of the clocks that have any.
@usableFromInline
final class Wheel {
    @usableFromInline static let span = 1024
    /// The first node of each clock's list (-1: none); each node's component and next node.
    @usableFromInline let first = UnsafeMutablePointer<Int32>.allocate(capacity: span)
    @usableFromInline var component = UnsafeMutablePointer<Int32>.allocate(capacity: 64)
    @usableFromInline var next = UnsafeMutablePointer<Int32>.allocate(capacity: 64)
    @usableFromInline var capacity: Int32 = 64, used: Int32 = 0
    /// Nodes given back, for reuse (-1: none).
    @usableFromInline var free: Int32 = -1
    @usableFromInline let occupied = UnsafeMutablePointer<UInt64>.allocate(capacity: span / 64)

    @usableFromInline init() {
        first.initialize(repeating: -1, count: Self.span)
        occupied.initialize(repeating: 0, count: Self.span / 64)
    }

    deinit {
        first.deallocate()
        component.deallocate()
        next.deallocate()
        occupied.deallocate()
    }

    @inlinable
    func add(_ index: Int, at clock: UInt64) {
        let slot = Int(clock % UInt64(Self.span))
        let node: Int32
        if free >= 0 {
            node = free
            free = next[Int(node)]
        } else {
            if used == capacity { grow() }
            node = used
            used += 1
        }
        component[Int(node)] = Int32(index)
        next[Int(node)] = first[slot]
        first[slot] = node
        occupied[slot >> 6] |= 1 << UInt64(slot & 63)
    }

    /// Twice the nodes (a node's fields are stored before they are read).
    @usableFromInline
    func grow() {
        component = doubled(component, count: Int(used))
        next = doubled(next, count: Int(used))
        capacity *= 2
    }

    /// Moves clock `clock`'s wake-ups into `list`.
    func take(at clock: UInt64, into list: IndexList) {
        let slot = Int(clock % UInt64(Self.span))
        guard occupied[slot >> 6] >> UInt64(slot & 63) & 1 == 1 else { return }
        var node = first[slot]
        while node >= 0 {
            list.append(Int(component[Int(node)]))
            let following = next[Int(node)]
            next[Int(node)] = free
            free = node
            node = following
        }
        first[slot] = -1
        occupied[slot >> 6] &= ~(1 << UInt64(slot & 63))
    }

    /// The first clock at or after `now` with a wake-up (all lie within `span` of `now`).
    func next(from now: UInt64) -> UInt64? {
        let start = Int(now % UInt64(Self.span)), words = Self.span / 64
        for step in 0...words {
            let w = (start >> 6 + step) % words
            var bits = occupied[w]
            if step == 0 { bits &= ~0 << UInt64(start & 63) }
            if step == words { bits &= (1 << UInt64(start & 63)) &- 1 }
            guard bits != 0 else { continue }
            let slot = w << 6 | bits.trailingZeroBitCount
            return now + UInt64((slot - start + Self.span) % Self.span)
        }
        return nil
    }
}

/// A list of numbers in storage of its own: emptied every clock without giving up (or clearing)
/// its storage, read and written without a copy-on-write check.
@usableFromInline
final class NumberList<Number: BinaryInteger> {
    @usableFromInline var storage = UnsafeMutablePointer<Number>.allocate(capacity: 64)
    @usableFromInline var capacity = 64
    @usableFromInline var count = 0

    @usableFromInline init() {}
    deinit { storage.deallocate() }

    @inlinable
    func append(_ value: Number) {
        if count == capacity { grow() }
        (storage + count).initialize(to: value)
        count += 1
    }

    /// Twice the room.
    @usableFromInline
    func grow() {
        storage = doubled(storage, count: count)
        capacity *= 2
    }

    @inlinable
    subscript(k: Int) -> Number {
        get { storage[k] }
        set { storage[k] = newValue }
    }

    /// Ascending, in place (a clock's list is short: insertion sort).
    func sort() {
        guard count > 1 else { return }
        guard count > 16 else {
            for i in 1..<count {
                let x = storage[i]
                var j = i
                while j > 0 && storage[j - 1] > x {
                    storage[j] = storage[j - 1]
                    j -= 1
                }
                storage[j] = x
            }
            return
        }
        var all = UnsafeMutableBufferPointer(start: storage, count: count)
        all.sort()
    }

    @inlinable
    func removeAll() { count = 0 }
}

/// The component and channel numbers a clock works through.
@usableFromInline typealias IndexList = NumberList<Int>

/// Storage for twice `count` elements, the first `count` moved from `old`, which is freed.
func doubled<Element>(_ old: UnsafeMutablePointer<Element>, count: Int) -> UnsafeMutablePointer<Element> {
    let bigger = UnsafeMutablePointer<Element>.allocate(capacity: 2 * count)
    bigger.moveInitialize(from: old, count: count)
    old.deallocate()
    return bigger
}

/// A binary min-heap of wake-ups ordered by (clock, component index).
@usableFromInline
struct MinHeap {
    private var storage: [(clock: UInt64, index: Int)] = []

    @usableFromInline init() {}

    var peek: (clock: UInt64, index: Int)? { storage.first }

    private static func less(_ a: (clock: UInt64, index: Int), _ b: (clock: UInt64, index: Int)) -> Bool {
        a.clock != b.clock ? a.clock < b.clock : a.index < b.index
    }

    @usableFromInline
    mutating func push(_ element: (UInt64, Int)) {
        storage.append((clock: element.0, index: element.1))
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(storage[child], storage[parent]) else { break }
            storage.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() {
        guard !storage.isEmpty else { return }
        storage.swapAt(0, storage.count - 1)
        storage.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < storage.count, Self.less(storage[left], storage[smallest]) { smallest = left }
            if right < storage.count, Self.less(storage[right], storage[smallest]) { smallest = right }
            if smallest == parent { break }
            storage.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
