import PCIe
import RTL

/// The host's CPU as the devices meet it, running programs (the PF drivers, the VMM, each VM's
/// VF drivers) inside the clock. A program is straight-line async code: a load of a device
/// register is a memory read TLP from the root complex and the program stalls until its
/// completion (as a core stalls on an uncached load); a store is a posted write; a config
/// access is a config TLP; `delay` and `interrupt` wait for the clock or for a vector of the
/// program's interrupt controller. Programs run one after another on the simulator's thread
/// (`ProgramExecutor`), so a run is deterministic. Stores to RAM (descriptors, buffers) are
/// the programs' own, straight into host memory: coherent, no TLP.
public final class HostCPU: Component {
    /// A suspended program: checked (a second resume traps with its name) in debug builds,
    /// unchecked in release ones, where the check cost a tenth of a loaded run.
    #if DEBUG
    typealias Continuation<T> = CheckedContinuation<T, Never>
    static func suspend<T>(_ body: (Continuation<T>) -> Void) async -> T { await withCheckedContinuation(body) }
    #else
    typealias Continuation<T> = UnsafeContinuation<T, Never>
    static func suspend<T>(_ body: (Continuation<T>) -> Void) async -> T { await withUnsafeContinuation(body) }
    #endif

    public let path: String
    unowned let simulator: Simulator
    let rootComplex: FabricNode
    let executor = ProgramExecutor()
    /// Clocks a load waits for its completion before it reads all ones (completion timeout).
    public var timeoutClocks: UInt64 = 50_000

    /// Outstanding loads and config requests by tag (0x80-0xFF; `ConfigAccess` uses the rest):
    /// slot `tag - 0x80`, with how many there are and a clock no deadline is before (the
    /// earliest, or earlier once that one completed), so a clock without a deadline due looks
    /// at none of them.
    var outstanding = [(deadline: UInt64, resume: Continuation<TLP?>)?](repeating: nil, count: 0x80)
    var outstandingCount = 0
    var earliestDeadline = UInt64.max
    var nextTag: UInt8 = 0x80
    /// Waiting programs ordered by the clock they wake at (ties: the order they asked).
    var timers: [(clock: UInt64, order: UInt64, resume: Continuation<Void>)] = []
    var order: UInt64 = 0
    /// Per interrupt destination: vectors raised, programs waiting (`InterruptDestinations`).
    var interrupts = InterruptDestinations()
    /// Interrupts raised, for the CPU from the next clock (`raise`, `arrive`).
    var arriving = Handoff<(slot: Int, vector: UInt8)>()
    /// The spare list `dispatch` works through (empty between calls, its storage kept).
    var dispatching: [InterruptDestinations.Waiter] = []
    /// The destinations' slots with something to hand out this clock (a list kept for it).
    var dueSlots: [Int] = []

    /// Programs started and finished, by name, in start order.
    public private(set) var programs: [(name: String, finished: Bool)] = []
    public private(set) var loads: UInt64 = 0
    public private(set) var stores: UInt64 = 0
    public private(set) var timeouts: UInt64 = 0
    public private(set) var interruptsTaken: UInt64 = 0
    /// Bumped whenever programs may have run (their state changed): what traces of them watch.
    public private(set) var activity: UInt64 = 0
    /// The CPU stopped (`halt`): loads read all ones, delays and interrupt waits return at once.
    public private(set) var halted = false

    public init(_ simulator: Simulator, path: String = "top.cpu", rootComplex: FabricNode) {
        self.simulator = simulator
        self.path = path
        self.rootComplex = rootComplex
        // Programs read host memory as the clock leaves it (the DMA writes the root complex
        // made in it) and their stores reach devices from the next clock, whichever order the
        // other components tick in.
        simulator.add(self, last: true)
    }

    public var lineTrace: String {
        "\(path) programs=\(programs.filter { !$0.finished }.count)/\(programs.count) loads=\(outstandingCount) timers=\(timers.count)"
    }

    /// Programs still running (waiting on a load, the clock or an interrupt).
    public var running: Int {
        var n = 0
        for program in programs where !program.finished { n += 1 }
        return n
    }

    /// Starts `body` as program `name`; its first instructions run at this clock's tick.
    public func start(_ name: String, _ body: @escaping () async -> Void) {
        let index = programs.count
        programs.append((name, false))
        activity &+= 1
        let program = Unchecked(value: (body, self))
        Task(executorPreference: executor) {
            await program.value.0()
            program.value.1.programs[index].finished = true
        }
        simulator.wake(self, at: simulator.now)
    }

    /// Runs the programs that can run now (each tick, and from outside the clock, e.g. after
    /// `start`).
    public func runReady() {
        activity &+= 1
        executor.runReady()
    }

    public func tick(_ simulator: Simulator) {
        let now = simulator.now
        // Completions for this CPU's loads; loads past their deadline read as failed.
        if outstandingCount > 0 {
            // Those that arrived before this clock (the root complex may tick before the CPU).
            var k = 0, visible = rootComplex.cpuInboxVisible(at: now)
            while k < visible {
                let tlp = rootComplex.cpuInbox[k]
                if let entry = takeOutstanding(tlp.tag) {
                    rootComplex.cpuInbox.remove(at: k)
                    visible -= 1
                    entry.resume.resume(returning: tlp)
                } else {
                    k += 1
                }
            }
            if earliestDeadline <= now {
                // In tag order, those whose time ran out; the rest give the next deadline.
                earliestDeadline = .max
                for slot in outstanding.indices {
                    guard let entry = outstanding[slot] else { continue }
                    if entry.deadline <= now {
                        timeouts += 1
                        _ = takeOutstanding(UInt8(0x80 + slot))
                        entry.resume.resume(returning: nil)
                    } else {
                        earliestDeadline = min(earliestDeadline, entry.deadline)
                    }
                }
            }
        }
        arrive(at: now)
        while let first = timers.first, first.clock <= now {
            timers.removeFirst()
            first.resume.resume()
        }
        // Only destinations with a new vector or a deadline reached have anything to hand out,
        // in destination order (collected in a list kept for it: sorting the keys allocated).
        interrupts.waitingSlots(into: &dueSlots, dueAt: now)
        for slot in dueSlots { dispatch(slot, now: now) }
        for slot in interrupts.newlyRaised.indices { interrupts.newlyRaised[slot] = false }
        runReady()
        // Awake every clock while a load is outstanding (its completion lands in the root
        // complex's inbox), else at the next timer or interrupt-wait deadline.
        if outstandingCount > 0 {
            simulator.wake(self, after: 1)
        } else {
            let next = interrupts.earliestDeadline.reduce(timers.first?.clock ?? .max) { Swift.min($0, $1) }
            if next != .max { simulator.wake(self, at: max(next, now + 1)) }
        }
    }

    // MARK: What programs call

    /// Stops the CPU at the end of a run: every waiting program resumes (a load with all ones,
    /// an interrupt wait with none) and runs on, without waiting, to its end; programs check
    /// `halted` after each wait. Nothing is left suspended, so nothing holds the platform.
    public func halt() {
        halted = true
        for slot in outstanding.indices { takeOutstanding(UInt8(0x80 + slot))?.resume.resume(returning: nil) }
        for timer in timers { timer.resume.resume() }
        timers = []
        var slots: [Int] = []
        interrupts.waitingSlots(into: &slots)
        for slot in slots { for waiter in interrupts.waiting[slot] { waiter.resume.resume(returning: nil) } }
        for slot in interrupts.destinations.indices {
            interrupts.waiting[slot] = []
            interrupts.earliestDeadline[slot] = .max
        }
        runReady()
    }

    func issue(_ request: TLP) async -> TLP? {
        if halted { return nil }
        return await Self.suspend { (resume: Continuation<TLP?>) in
            var tlp = request
            while outstanding[Int(nextTag - 0x80)] != nil { nextTag = nextTag == 0xFF ? 0x80 : nextTag + 1 }
            tlp.tag = nextTag
            nextTag = nextTag == 0xFF ? 0x80 : nextTag + 1
            let deadline = simulator.now + timeoutClocks
            outstanding[Int(tlp.tag - 0x80)] = (deadline, resume)
            outstandingCount += 1
            earliestDeadline = min(earliestDeadline, deadline)
            rootComplex.submit(tlp, simulator: simulator)
            simulator.wake(self, after: 1)
        }
    }

    /// The outstanding request with `tag`, no longer outstanding (nil: none has it).
    func takeOutstanding(_ tag: UInt8) -> (deadline: UInt64, resume: Continuation<TLP?>)? {
        guard tag >= 0x80, let entry = outstanding[Int(tag - 0x80)] else { return nil }
        outstanding[Int(tag - 0x80)] = nil
        outstandingCount -= 1
        if outstandingCount == 0 { earliestDeadline = .max }
        return entry
    }

    /// A load of one dword of memory space: all ones when the read fails or times out (as
    /// software sees a master abort).
    public func load(_ address: UInt64) async -> UInt32 {
        loads += 1
        let completion = await issue(TLP(kind: .memoryRead, requesterID: 0, length: 1, address: address & ~3))
        guard let completion, completion.status == .successful, let dw = completion.payload.first else { return 0xFFFF_FFFF }
        return dw
    }

    /// A store of one dword to memory space: posted, the program goes on.
    public func store(_ address: UInt64, _ value: UInt32) {
        stores += 1
        rootComplex.submit(TLP(kind: .memoryWrite, requesterID: 0, length: 1, address: address & ~3, payload: [value]), simulator: simulator)
    }

    /// A config read (nil on UR or timeout) and a config write (false on UR or timeout).
    public func configRead(_ rid: UInt16, _ offset: Int, size: Int = 4) async -> UInt32? {
        guard let request = ConfigAccess.configRequest(rid, offset, size: size, write: nil) else { return nil }
        return ConfigAccess.configValue(await issue(request), offset, size: size)
    }

    @discardableResult
    public func configWrite(_ rid: UInt16, _ offset: Int, size: Int = 4, _ value: UInt32) async -> Bool {
        guard let request = ConfigAccess.configRequest(rid, offset, size: size, write: value) else { return false }
        return await issue(request)?.status == .successful
    }

    /// Waits `clocks` clocks (at least one).
    public func delay(_ clocks: UInt64) async {
        if halted { return }
        await Self.suspend { (resume: Continuation<Void>) in
            order += 1
            let entry = (simulator.now + max(clocks, 1), order, resume)
            let at = timers.firstIndex { $0.clock > entry.0 } ?? timers.count
            timers.insert(entry, at: at)
            simulator.wake(self, at: entry.0)
        }
    }

    /// Waits for one of `vectors` at `destination` (taking it), at most `timeout` clocks: the
    /// vector, or nil when the time ran out.
    public func interrupt(destination: UInt32, vectors: InterruptVectors, timeout: UInt64) async -> UInt8? {
        if let vector = take(destination, vectors) {
            interruptsTaken += 1
            return vector
        }
        if halted { return nil }
        return await Self.suspend { (resume: Continuation<UInt8?>) in
            order += 1
            let deadline = simulator.now + max(timeout, 1)
            let slot = interrupts.slot(for: destination)
            interrupts.waiting[slot].append((vectors, deadline, order, resume))
            interrupts.earliestDeadline[slot] = min(interrupts.earliestDeadline[slot], deadline)
            simulator.wake(self, at: deadline)
        }
    }

    /// An interrupt arrives at `destination` with `vector` (from the IOMMU's remapping or a
    /// compatibility-format message); a waiting program takes it at the next clock.
    public func raise(destination: UInt32, vector: UInt8) {
        let slot = interrupts.slot(for: destination)
        // Raised from the next clock (`arrive`): the root complex that delivers it may tick
        // before or after the CPU in this one.
        arriving.append((slot, vector), visibleAt: simulator.visibleClock)
        if !interrupts.waiting[slot].isEmpty { simulator.wake(self, at: simulator.visibleClock) }
    }

    /// Interrupts raised before clock `now` join their destination's raised vectors.
    func arrive(at now: UInt64) {
        while let (slot, vector) = arriving.popFirst(at: now) {
            interrupts.raised[slot].insert(vector)
            interrupts.newlyRaised[slot] = true
        }
    }

    func take(_ destination: UInt32, _ vectors: InterruptVectors) -> UInt8? {
        arrive(at: simulator.now)
        guard let slot = interrupts.slot(of: destination) else { return nil }
        var pending = interrupts.raised[slot]
        guard let vector = Self.take(from: &pending, vectors) else { return nil }
        interrupts.raised[slot] = pending
        return vector
    }

    /// Takes the lowest vector both raised (`pending`) and waited for.
    static func take(from pending: inout InterruptVectors, _ vectors: InterruptVectors) -> UInt8? {
        guard let vector = pending.intersection(vectors).lowest else { return nil }
        pending.remove(vector)
        return vector
    }

    /// Hands raised vectors to the programs waiting at the destination in `slot`, oldest first;
    /// wakes those whose time ran out with nil. (A resumed program runs later, at `runReady`:
    /// nothing raises meanwhile.)
    func dispatch(_ slot: Int, now: UInt64) {
        guard !interrupts.waiting[slot].isEmpty else { return }
        // The waiting list is swapped with an empty spare that keeps its storage, and those
        // still waiting go back into it: a list made afresh here grew by reallocation as a
        // VM's drivers waited again, several allocations per interrupt.
        swap(&interrupts.waiting[slot], &dispatching)
        var pending = interrupts.raised[slot]
        let before = pending
        var earliest = UInt64.max
        for waiter in dispatching {
            if let vector = Self.take(from: &pending, waiter.vectors) {
                interruptsTaken += 1
                waiter.resume.resume(returning: vector)
            } else if waiter.deadline <= now {
                waiter.resume.resume(returning: nil)
            } else {
                interrupts.waiting[slot].append(waiter)
                earliest = min(earliest, waiter.deadline)
            }
        }
        dispatching.removeAll(keepingCapacity: true)
        if pending != before { interrupts.raised[slot] = pending }
        interrupts.earliestDeadline[slot] = earliest
    }
}
