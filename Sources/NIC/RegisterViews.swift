/// The NIC's register files as each side sees them within the clock being stepped (DESIGN.md
/// §3, two-phase update). Software (MMIO: the endpoint serving a driver's load or store) and
/// hardware (the sorter's counters, the interrupt unit's causes and masks, the DMA engine's
/// heads and enable bits) each see the registers as the clock began plus their own changes;
/// the other side's changes show from the next clock, whichever side ticks first. The files
/// themselves hold both sides' changes at once; where both changed the same bits in the
/// clock, hardware's stand (a cause set while software writes 1 to clear it stays set).
///
/// Per register (all ports' files end to end): the clock each side last changed it, and the
/// value the other side sees while that clock lasts. Nothing is emptied between clocks: a
/// stamp of another clock means the register holds what both sides see.
final class RegisterViews {
    /// Registers per port.
    let registers: Int
    /// The clock hardware last changed each register, and the value software sees then. (Held
    /// outside arrays: a store through one checked its storage's uniqueness per access, a
    /// call into the runtime on every hardware store.)
    private let hardwareClock: UnsafeMutableBufferPointer<UInt64>, softwareValue: UnsafeMutableBufferPointer<UInt32>
    /// The clock software last changed each register, and the value hardware sees then.
    private let softwareClock: UnsafeMutableBufferPointer<UInt64>, hardwareValue: UnsafeMutableBufferPointer<UInt32>
    /// Software changed a register in a clock not yet known to be over (hardware reads look
    /// at the stamps only then).
    private(set) var softwareChanged = false
    private var lastSoftwareChange = UInt64.max
    /// Per port, the clock software last changed the filters and their version before it
    /// (`NICRegisters.filtersVersion`).
    private var filterWrites: [(clock: UInt64, version: UInt64)]

    init(ports: Int, registers: Int) {
        self.registers = registers
        let count = ports * registers
        hardwareClock = .allocate(capacity: count)
        hardwareClock.initialize(repeating: .max)
        softwareValue = .allocate(capacity: count)
        softwareValue.initialize(repeating: 0)
        softwareClock = .allocate(capacity: count)
        softwareClock.initialize(repeating: .max)
        hardwareValue = .allocate(capacity: count)
        hardwareValue.initialize(repeating: 0)
        filterWrites = Array(copies: (.max, 0), count: ports)
    }

    deinit {
        hardwareClock.deallocate()
        softwareValue.deallocate()
        softwareClock.deallocate()
        hardwareValue.deallocate()
    }

    /// Up to three registers an MMIO access reads or changes, without a list.
    struct Reach: Collection {
        var slots = (0, 0, 0), endIndex = 0
        init(_ a: Int?, _ b: Int? = nil, _ c: Int? = nil) {
            if let a { append(a) }
            if let b { append(b) }
            if let c { append(c) }
        }
        mutating func append(_ k: Int) {
            switch endIndex {
            case 0: slots.0 = k
            case 1: slots.1 = k
            default: slots.2 = k
            }
            endIndex += 1
        }
        var startIndex: Int { 0 }
        func index(after i: Int) -> Int { i + 1 }
        subscript(i: Int) -> Int { i == 0 ? slots.0 : i == 1 ? slots.1 : slots.2 }
    }

    /// Hardware's view of register `k` of port `p` at `now`, if software changed it this clock
    /// (asked only while `softwareChanged`).
    func hardwareView(_ p: Int, _ k: Int, at now: UInt64) -> UInt32? {
        guard now == lastSoftwareChange else {
            softwareChanged = false   // that clock is over
            return nil
        }
        let i = p * registers + k
        return softwareClock[i] == now ? hardwareValue[i] : nil
    }

    /// The filters' version hardware sees at `now` for port `p`, if software changed it this clock.
    func filterVersion(port p: Int, at now: UInt64) -> UInt64? { filterWrites[p].clock == now ? filterWrites[p].version : nil }

    /// Software changes port `p`'s filters at `now`, from version `version`.
    func filtersWritten(port p: Int, version: UInt64, at now: UInt64) {
        if filterWrites[p].clock != now { filterWrites[p] = (now, version) }
    }

    /// Hardware's views of port `p`'s registers software changed at `now`, applied to `values`.
    func applyHardwareViews(port p: Int, at now: UInt64, to values: inout [UInt32]) {
        for k in 0..<registers where softwareClock[p * registers + k] == now { values[k] = hardwareValue[p * registers + k] }
    }

    /// Hardware changes register `k` of port `p`'s `file` to `new` at `now` (its view of the
    /// register becomes `new`): only the bits that differ from what hardware saw change in the
    /// file, so software's changes this clock to other bits stay.
    @inline(__always)
    func hardwareStore(_ p: Int, _ k: Int, _ new: UInt32, file: inout RegisterFile, at now: UInt64) {
        let i = p * registers + k
        guard softwareClock[i] == now else {
            guard file.values[k] != new else { return }   // no change: nothing for software to see
            if hardwareClock[i] != now {
                hardwareClock[i] = now
                softwareValue[i] = file.values[k]
            }
            file.values[k] = new
            return
        }
        if hardwareClock[i] != now {
            hardwareClock[i] = now
            softwareValue[i] = file.values[k]
        }
        let changed = hardwareValue[i] ^ new
        file.values[k] = file.values[k] & ~changed | new & changed
        hardwareValue[i] = new
    }

    /// Runs a software access on port `p`'s `file` at `now` as software sees it. `reach`: every
    /// register the access reads or may change. Those hardware changed this clock hold
    /// software's view meanwhile and are merged after (hardware's changed bits stand); those
    /// the access changed keep their earlier value in hardware's view.
    func software<R>(port p: Int, _ file: inout RegisterFile, reach: some Collection<Int>, at now: UInt64,
                     _ access: (inout RegisterFile) -> R) -> R {
        // Per register reached (on the stack): its value before the access as software sees
        // it, and hardware's value when software's view was swapped in for the access.
        typealias Reached = (index: Int, before: UInt32, theirs: UInt32, swapped: Bool)
        return withUnsafeTemporaryAllocation(of: Reached.self, capacity: reach.count) { reached in
            var n = 0
            for k in reach {
                var seen = false
                for j in 0..<n where reached[j].index == k { seen = true }
                guard !seen else { continue }
                let i = p * registers + k, swapped = hardwareClock[i] == now, theirs = file.values[k]
                if swapped { file.values[k] = softwareValue[i] }
                reached[n] = (k, file.values[k], theirs, swapped)
                n += 1
            }
            let result = access(&file)
            for j in 0..<n {
                let (k, old, theirs, swapped) = reached[j]
                let i = p * registers + k, mine = file.values[k]
                if mine != old, softwareClock[i] != now {
                    // Hardware keeps seeing the file as it was before this access (with its own changes).
                    softwareClock[i] = now
                    hardwareValue[i] = swapped ? theirs : old
                    softwareChanged = true
                    lastSoftwareChange = now
                }
                if swapped {
                    let hardwareChanged = softwareValue[i] ^ theirs
                    file.values[k] = mine & ~hardwareChanged | theirs & hardwareChanged
                    softwareValue[i] = mine
                }
            }
            return result
        }
    }
}
