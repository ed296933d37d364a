import PCIe

/// The NIC's extended interrupts in MSI-X mode (82576 datasheet §7.3; 82599 §7.3): a cause
/// (a queue's Rx or Tx descriptors written back, a mailbox event) is mapped by the function's
/// IVAR entry (vector in the low bits, valid bit 7) to a vector; the vector's EICR bit is set
/// and, when EIMS enables it, the vector fires: a memory write of its MSI-X table entry's data to
/// its address, with the function's routing ID. EIAC bits clear EICR as it fires, EIAM bits
/// clear EIMS. While the function or the vector is masked, the PBA bit is set instead and the
/// vector fires once when unmasked. EITR sets the least time between a vector's interrupts:
/// one that comes sooner waits for the interval and then fires once.
///
/// The registers are the parts': the PF's EICR/EIMS/EIAC/EIAM, IVAR0/IVAR (queues) and IVAR_MISC
/// (other causes), EITR; a VF's own set (82576: the PF's per-VF mirrors PVTEI*, VTIVAR,
/// VTIVAR_MISC, and EITR 22 - 3n ... 24 - 3n; 82599: VTEI*, VTIVAR, VTIVAR_MISC, VTEITR).
public final class InterruptUnit {
    public enum Cause: Sendable, Equatable {
        /// Rx or Tx descriptors of the function's queue (a VF's 0 or 1; the PF's absolute
        /// queue number) were written back.
        case receive(Int), transmit(Int)
        /// The mailbox (to a VF: PF's STS/ACK; to the PF: a VF's REQ/ACK, a VF reset).
        case mailbox
    }

    /// A function's interrupt registers, by index in its port's register file (a class: a
    /// cause looks them up, and a copy of a struct would retain each of its arrays).
    final class Registers {
        let eicr, eims, eiac, eiam: Int
        let eitr: [Int]
        /// EITR's interval field of each vector, and the microseconds in one of its units
        /// (82576: 1; 82599: 2).
        let eitrFields: [RegisterField?]
        let microsecondsPerUnit: UInt64
        /// Register index and byte lane of each cause's IVAR entry.
        let ivar: (Cause) -> (index: Int, lane: Int)?

        init(eicr: Int, eims: Int, eiac: Int, eiam: Int, eitr: [Int], eitrFields: [RegisterField?], microsecondsPerUnit: UInt64,
             ivar: @escaping (Cause) -> (index: Int, lane: Int)?) {
            self.eicr = eicr
            self.eims = eims
            self.eiac = eiac
            self.eiam = eiam
            self.eitr = eitr
            self.eitrFields = eitrFields
            self.microsecondsPerUnit = microsecondsPerUnit
            self.ivar = ivar
        }
    }

    struct Key: Hashable, Comparable {
        let function: SRIOVDevice.FunctionID
        let vector: Int

        static func < (a: Key, b: Key) -> Bool { (a.function, a.vector) < (b.function, b.vector) }

        /// The key's port and its place among the port's vectors: the PF's 32, then each VF's
        /// 32 (device order, as `<`). A vector is below 32: a cause's vector is a bit of EICR.
        var slot: (port: Int, index: Int) { (function.place.pf, 32 * function.place.index + vector) }
    }

    /// A vector's history: the clock it last fired, the clock it waits for (its interval), and
    /// its place in `waiting`.
    struct VectorState {
        var lastFired: UInt64?
        var deferredUntil: UInt64?
        var waitingIndex = 0
    }

    let registers: NICRegisters
    let msix: MSIXTables
    let clockHz: UInt64
    /// Per port, every vector's history by `Key.slot` (found by index: a cause and a clock
    /// come often), and the vectors waiting for their interval.
    var vectors: [[VectorState]] = []
    var waiting: [Key] = []
    /// The clock each vector in `waiting` waits for (kept beside it, so finding the earliest
    /// reads one array).
    var waitingUntil: [UInt64] = []
    /// The earliest clock a vector in `waiting` may fire, when known (`.some(nil)`: none waits;
    /// nil: not known, found again when asked). Kept through holds and releases that leave it
    /// right.
    var earliest: UInt64??
    /// Per port, each function's registers by `FunctionID.place`, once found.
    var cache: [[Registers?]] = []
    /// Fires a message: (function, address, data).
    var send: ((SRIOVDevice.FunctionID, UInt64, UInt32) -> Void)?
    /// MSI-X Enable and Function Mask of a function.
    var control: ((SRIOVDevice.FunctionID) -> (enabled: Bool, functionMask: Bool)?)?
    /// Sees every message sent: (function, vector, clock).
    public var fired: ((SRIOVDevice.FunctionID, Int, UInt64) -> Void)?
    public private(set) var messages: UInt64 = 0
    /// The clock each function last sent a message (its interrupt line in traces).
    public private(set) var lastMessage: [SRIOVDevice.FunctionID: UInt64] = [:]
    /// The clock any function last sent a message (nil: none yet).
    public private(set) var lastAnyMessage: UInt64?
    public private(set) var throttled: UInt64 = 0
    public private(set) var maskedEvents: UInt64 = 0

    init(registers: NICRegisters, clockHz: UInt64) {
        self.registers = registers
        self.msix = registers.msix
        self.clockHz = clockHz
    }

    func port(_ f: SRIOVDevice.FunctionID) -> Int { f.place.pf }

    func interruptRegisters(_ f: SRIOVDevice.FunctionID) -> Registers? {
        let (p, k) = f.place
        if p < cache.count, k < cache[p].count, let r = cache[p][k] { return r }
        guard p < registers.ports.count else { return nil }
        let map = registers.ports[p].map
        func index(_ name: String) -> Int? { map.index(named: name) }
        let i82576 = map.family == "82576"
        let vectors = msix.vectors(of: f)
        let perUnit: UInt64 = i82576 ? 1 : 2
        func fields(_ eitr: [Int]) -> [RegisterField?] { eitr.map { map.registers[$0].fields.first } }
        let r: Registers?
        switch f {
        case .pf:
            guard let eicr = index("EICR"), let eims = index("EIMS"), let eiac = index("EIAC"), let eiam = index("EIAM"),
                  let misc = index("IVAR_MISC") else { return nil }
            let eitr = (0..<vectors).compactMap { index("EITR[\($0)]") }
            r = Registers(eicr: eicr, eims: eims, eiac: eiac, eiam: eiam, eitr: eitr, eitrFields: fields(eitr), microsecondsPerUnit: perUnit) { cause in
                switch cause {
                // 82576: IVAR0[q & 7], Rx in byte 0 (q < 8) or 2, Tx one byte up; 82599: IVAR[q / 2], Rx in byte 2 (q & 1), Tx one up.
                case .receive(let q): index(i82576 ? "IVAR0[\(q & 7)]" : "IVAR[\(q >> 1)]").map { ($0, i82576 ? (q & 8 == 0 ? 0 : 2) : 2 * (q & 1)) }
                case .transmit(let q): index(i82576 ? "IVAR0[\(q & 7)]" : "IVAR[\(q >> 1)]").map { ($0, i82576 ? (q & 8 == 0 ? 1 : 3) : 2 * (q & 1) + 1) }
                case .mailbox: (misc, 1)   // the "other causes" entry
                }
            }
        case .vf(_, let n):
            let names = i82576 ? ["PVTEICR[\(n)]", "PVTEIMS[\(n)]", "PVTEIAC[\(n)]", "PVTEIAM[\(n)]", "VTIVAR[\(n)]", "VTIVAR_MISC[\(n)]"]
                : ["VTEICR[\(n)]", "VTEIMS[\(n)]", "VTEIAC[\(n)]", "VTEIAM[\(n)]", "VTIVAR[\(n)][0]", "VTIVAR_MISC[\(n)]"]
            let found = names.compactMap(index)
            guard found.count == names.count else { return nil }
            let eitr = (0..<vectors).compactMap { index(i82576 ? "EITR[\(22 - 3 * n + $0)]" : "VTEITR[\(n)][\($0)]") }
            r = Registers(eicr: found[0], eims: found[1], eiac: found[2], eiam: found[3], eitr: eitr, eitrFields: fields(eitr), microsecondsPerUnit: perUnit) { cause in
                switch cause {
                case .receive(let q): (found[4], 2 * q)
                case .transmit(let q): (found[4], 2 * q + 1)
                case .mailbox: (found[5], 0)
                }
            }
        }
        if p >= cache.count { cache += Array(repeating: [], count: p + 1 - cache.count) }
        if k >= cache[p].count { cache[p] += Array(repeating: nil, count: k + 1 - cache[p].count) }
        cache[p][k] = r
        return r
    }

    /// The least clocks between two interrupts of vector `v` of `f` (EITR).
    func interval(_ f: SRIOVDevice.FunctionID, _ r: Registers, vector v: Int) -> UInt64 {
        guard v < r.eitr.count, let field = r.eitrFields[v] else { return 0 }
        let units = UInt64(field.value(in: registers.value(port: port(f), index: r.eitr[v])))
        return units * r.microsecondsPerUnit * clockHz / 1_000_000
    }

    /// A cause happened at `clock`.
    func raise(_ f: SRIOVDevice.FunctionID, _ cause: Cause, at clock: UInt64) {
        guard let r = interruptRegisters(f), let (index, lane) = r.ivar(cause) else { return }
        let entry = registers.value(port: port(f), index: index) >> UInt32(8 * lane) & 0xFF
        guard entry & 0x80 != 0 else { return }   // no valid vector: the cause only counts
        let v = Int(entry & 0x3F)
        guard v < 32 else { return }
        let p = port(f)
        registers.hardwareStore(port: p, index: r.eicr, value: registers.value(port: p, index: r.eicr) | 1 << UInt32(v))
        attempt(f, r, vector: v, at: clock)
    }

    /// Software set EIMS bits or EICS causes: the function's enabled, set vectors go.
    func reevaluate(_ f: SRIOVDevice.FunctionID, at clock: UInt64) {
        guard let r = interruptRegisters(f) else { return }
        let set = registers.value(port: port(f), index: r.eicr) & registers.value(port: port(f), index: r.eims)
        for v in 0..<32 where set >> UInt32(v) & 1 == 1 { attempt(f, r, vector: v, at: clock) }
    }

    /// Vector `v` of `f` fires now if enabled in EIMS and its interval has passed; else it waits.
    func attempt(_ f: SRIOVDevice.FunctionID, _ r: Registers, vector v: Int, at clock: UInt64) {
        let p = port(f), bit = UInt32(1) << UInt32(v)
        guard registers.value(port: p, index: r.eicr) & bit != 0, registers.value(port: p, index: r.eims) & bit != 0 else { return }
        let key = Key(function: f, vector: v)
        let state = self.state(key)
        if let last = state.lastFired {
            let due = last + interval(f, r, vector: v)
            if clock < due {
                if state.deferredUntil == nil { throttled += 1 }
                hold(key, until: due)
                return
            }
        }
        release(key)
        update(key) { $0.lastFired = clock }
        if registers.value(port: p, index: r.eiac) & bit != 0 { registers.hardwareStore(port: p, index: r.eicr, value: registers.value(port: p, index: r.eicr) & ~bit) }
        if registers.value(port: p, index: r.eiam) & bit != 0 { registers.hardwareStore(port: p, index: r.eims, value: registers.value(port: p, index: r.eims) & ~bit) }
        deliver(f, vector: v, at: clock)
    }

    /// Sends vector `v`'s message, or sets its pending bit while the function or the vector is masked.
    func deliver(_ f: SRIOVDevice.FunctionID, vector v: Int, at clock: UInt64) {
        guard let entry = msix.entry(f, vector: v), let control = control?(f), control.enabled else { return }
        if control.functionMask || entry.masked {
            maskedEvents += 1
            msix.setPending(f, vector: v, true)
            return
        }
        fire(f, vector: v, address: entry.address, data: entry.data, at: clock)
    }

    /// Vector `v`'s message goes out (its MSI-X entry's address and data), and is counted.
    func fire(_ f: SRIOVDevice.FunctionID, vector v: Int, address: UInt64, data: UInt32, at clock: UInt64) {
        messages += 1
        lastMessage[f] = clock
        lastAnyMessage = clock
        send?(f, address, data)
        fired?(f, v, clock)
    }

    /// The function's mask or a vector's mask was cleared: pending vectors fire once.
    func unmasked(_ f: SRIOVDevice.FunctionID, at clock: UInt64) {
        for v in 0..<msix.vectors(of: f) where msix.pending(f, vector: v) {
            guard let entry = msix.entry(f, vector: v), let control = control?(f), control.enabled, !control.functionMask, !entry.masked else { continue }
            msix.setPending(f, vector: v, false)
            fire(f, vector: v, address: entry.address, data: entry.data, at: clock)
        }
    }

    /// Vectors whose interval ends by `clock` get their turn, in device order (a dictionary's
    /// order differs between processes, and two vectors often fall due on the same clock).
    func expire(at clock: UInt64) {
        guard let first = nextDue, first <= clock else { return }
        for key in due(at: clock) {
            release(key)
            if let r = interruptRegisters(key.function) { attempt(key.function, r, vector: key.vector, at: clock) }
        }
    }

    /// Vector `key`'s history (none yet: an empty one).
    func state(_ key: Key) -> VectorState {
        let (p, k) = key.slot
        return p < vectors.count && k < vectors[p].count ? vectors[p][k] : VectorState()
    }

    /// Changes vector `key`'s history in place.
    func update<R>(_ key: Key, _ body: (inout VectorState) -> R) -> R {
        let (p, k) = key.slot
        if p >= vectors.count { vectors += Array(repeating: [], count: p + 1 - vectors.count) }
        if k >= vectors[p].count { vectors[p] += Array(repeating: VectorState(), count: k + 1 - vectors[p].count) }
        return body(&vectors[p][k])
    }

    /// Vector `key` waits until `due`.
    func hold(_ key: Key, until due: UInt64) {
        let place = waiting.count
        let old = update(key) { s -> UInt64? in
            let old = s.deferredUntil
            s.deferredUntil = due
            if old == nil { s.waitingIndex = place }
            return old
        }
        if old == nil {
            waiting.append(key)
            waitingUntil.append(due)
        } else {
            waitingUntil[state(key).waitingIndex] = due
        }
        guard let known = earliest else { return }
        if let old, old != due {
            earliest = nil
        } else {
            earliest = .some(min(known ?? .max, due))
        }
    }

    /// Vector `key` waits no more.
    func release(_ key: Key) {
        guard let (old, place) = update(key, { s -> (UInt64, Int)? in
            guard let old = s.deferredUntil else { return nil }
            s.deferredUntil = nil
            return (old, s.waitingIndex)
        }) else { return }
        // The last waiting vector takes the released one's place.
        let last = waiting.removeLast(), lastUntil = waitingUntil.removeLast()
        if place < waiting.count {
            waiting[place] = last
            waitingUntil[place] = lastUntil
            update(last) { $0.waitingIndex = place }
        }
        if let known = earliest, known == old { earliest = nil }
    }

    /// The waiting vectors whose interval ends by `clock`, in device order.
    func due(at clock: UInt64) -> [Key] {
        var due: [Key] = []
        for k in waiting.indices where waitingUntil[k] <= clock { due.append(waiting[k]) }
        if due.count > 1 { due.sort { $0.slot < $1.slot } }
        return due
    }

    /// The clock the next waiting vector may fire.
    var nextDue: UInt64? {
        if let earliest { return earliest }
        let due = waitingUntil.min()
        earliest = .some(due)
        return due
    }

    /// A function reset forgets its vectors' history.
    func reset(_ f: SRIOVDevice.FunctionID) {
        for key in waiting where key.function == f { release(key) }
        let (p, first) = Key(function: f, vector: 0).slot
        if p < vectors.count {
            for k in vectors[p].indices where k >= first && k < first + 32 { vectors[p][k] = VectorState() }
        }
        earliest = nil
    }
}
