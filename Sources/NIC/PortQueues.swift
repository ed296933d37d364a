import PCIe
import RTL

/// One port's queues as the DMA engine keeps them: the Rx and Tx rings, the receive packet
/// buffer, the Tx packet buffer's fill, the frames being fetched, the Tx round robin and the
/// per-queue rate limiters; plus the register indices and fields the engine reads, looked up
/// once from the register map by name.
public final class PortQueues {
    let port: EthernetPort
    let map: RegisterMap
    var rx: [DescriptorRing] { didSet { ringsVersion &+= 1 } }
    var tx: [DescriptorRing] { didSet { ringsVersion &+= 1 } }
    /// Bumped on every change to a ring (what traces of the rings watch).
    public private(set) var ringsVersion: UInt64 = 0
    let rxRegisters: [RingRegisters]
    let txRegisters: [RingRegisters]
    let fields: Fields
    /// Register index -> what a software write to it means to the engine.
    let roles: RegisterIndexed<Role>
    /// Sorted frames waiting for their queue, oldest first, and their bytes.
    var receiveBuffer = FIFO<(queue: Int, frame: EthernetFrame)>()
    var receiveBufferBytes = 0
    /// Per queue: frames of it in the receive packet buffer, and Tx frames being fetched.
    var bufferedFrames: [Int]
    var fetchingFrames: [Int]
    /// Rings whose state changed since the engine last looked at their prefetch and write-back
    /// (2q for Rx queue q, 2q + 1 for Tx): a ring nothing happened to has nothing new to do.
    var attention: QueueSet
    /// Tx queues with an enabled ring holding fetched descriptors: the round robin's candidates.
    var transmitReady: QueueSet
    let receiveBufferCapacity: Int
    /// Frames whose writes are queued but not all on the link yet: they hold their packet
    /// buffer bytes until the requester has issued write number `mark`.
    var draining = FIFO<(mark: UInt64, bytes: Int)>()
    var transmitBufferUsed = 0
    /// Tx frames being fetched, by id (`fetchingFrames` counts them per queue): changed only
    /// through `startFetching` and `finishFetching`.
    var inFlight = TokenTable<TransmitFrame>()
    var lastServed = -1
    /// Per Tx queue: the clock, in 1/16384ths, before which the queue may not start another
    /// frame (its rate factor is the registers', `NICRegisters.rateFactors`).
    var nextAllowed: [UInt64]
    public internal(set) var counters = Counters()
    /// Sees every frame a pool was given and the port then dropped: (pool, frame, why).
    var dropped: ((Int, EthernetFrame, ReceiveDrop) -> Void)?

    /// Why a frame given to a pool did not reach host memory.
    public enum ReceiveDrop: String, Sendable, CaseIterable, CustomStringConvertible {
        case packetBufferFull = "packet buffer full"
        case noDescriptor = "no descriptor or queue off"
        case badDescriptor = "bad descriptor"
        public var description: String { rawValue }
    }
    let statistics: (missed: Int?, noBuffers: Int?)
    let registers: NICRegisters
    /// The Tx queues' rate factors as software set them.
    var rateFactors: [UInt32] { registers.rateFactors[port.index] }

    public struct Counters: Sendable, Equatable {
        public var receivedFrames: UInt64 = 0, receivedBytes: UInt64 = 0
        /// Frames dropped because the receive packet buffer was full (MPC).
        public var missed: UInt64 = 0
        /// Frames dropped for want of a descriptor (DROP_EN), a disabled queue or function.
        public var noDescriptor: UInt64 = 0
        public var transmittedFrames: UInt64 = 0, transmittedBytes: UInt64 = 0
        public var transmitOversize: UInt64 = 0
        /// Queues stopped by an error (`DescriptorRing.Failure`).
        public var queueErrors: UInt64 = 0
    }

    struct RingRegisters {
        let baseLow, baseHigh, length, head, tail, control: Int
        /// Rx: SRRCTL and (82576) RQDPC; Tx: TDWBAL and TDWBAH.
        let srrctl: Int, dropCount: Int?, headWriteBackLow: Int, headWriteBackHigh: Int
    }

    struct Fields {
        let enable, prefetch, host, writeBack, bufferSize, dropEnable, headWriteBackEnable, rateFactor, rateEnable: RegisterField
    }

    enum Role {
        case control(receive: Bool, queue: Int)
        case tail(receive: Bool, queue: Int)
        /// EIMS or EICS of a function: enabled causes may fire.
        case interruptSet(SRIOVDevice.FunctionID)
    }

    struct TransmitFrame {
        let queue: Int
        let pool: Int
        /// The frame's descriptors: `count` from ring index `first` on (in ring order, as
        /// fetched), bit k of `reportStatus` set when the k-th has RS.
        let first: Int, count: Int
        let reportStatus: UInt64
        var parts: FrameParts
        let vlan: UInt16?
        let generation: UInt32
        let bytes: Int
    }

    init(port: EthernetPort, registers: NICRegisters) {
        self.port = port
        self.registers = registers
        let map = registers.ports[port.index].map
        self.map = map
        let queues = map.queues
        func index(_ name: String) -> Int { map.index(named: name)! }
        rxRegisters = (0..<queues).map { q in
            RingRegisters(baseLow: index("RDBAL[\(q)]"), baseHigh: index("RDBAH[\(q)]"), length: index("RDLEN[\(q)]"), head: index("RDH[\(q)]"),
                          tail: index("RDT[\(q)]"), control: index("RXDCTL[\(q)]"), srrctl: index("SRRCTL[\(q)]"),
                          dropCount: map.index(named: "RQDPC[\(q)]"), headWriteBackLow: 0, headWriteBackHigh: 0)
        }
        txRegisters = (0..<queues).map { q in
            RingRegisters(baseLow: index("TDBAL[\(q)]"), baseHigh: index("TDBAH[\(q)]"), length: index("TDLEN[\(q)]"), head: index("TDH[\(q)]"),
                          tail: index("TDT[\(q)]"), control: index("TXDCTL[\(q)]"), srrctl: 0, dropCount: nil,
                          headWriteBackLow: index("TDWBAL[\(q)]"), headWriteBackHigh: index("TDWBAH[\(q)]"))
        }
        let rxdctl = map.register(named: "RXDCTL[0]")!, txdctl = map.register(named: "TXDCTL[0]")!, srrctl = map.register(named: "SRRCTL[0]")!
        let rttbcnrc = map.register(named: "RTTBCNRC")!
        fields = Fields(enable: rxdctl.field("ENABLE")!, prefetch: txdctl.field("PTHRESH")!, host: txdctl.field("HTHRESH")!,
                        writeBack: txdctl.field("WTHRESH")!, bufferSize: srrctl.field("BSIZEPACKET")!, dropEnable: srrctl.field("DROP_EN")!,
                        headWriteBackEnable: map.register(named: "TDWBAL[0]")!.field("HEAD_WB_EN")!,
                        rateFactor: rttbcnrc.field("RF")!, rateEnable: rttbcnrc.field("RS_ENA")!)
        precondition(rxdctl.field("ENABLE") == txdctl.field("ENABLE") && rxdctl.field("PTHRESH")?.lsb == 0,
                     "\(map.family): RXDCTL and TXDCTL must share their enable and threshold fields")
        var roles = RegisterIndexed<Role>()
        for q in 0..<queues {
            roles[rxRegisters[q].control] = .control(receive: true, queue: q)
            roles[rxRegisters[q].tail] = .tail(receive: true, queue: q)
            roles[txRegisters[q].control] = .control(receive: false, queue: q)
            roles[txRegisters[q].tail] = .tail(receive: false, queue: q)
        }
        for name in ["EIMS", "EICS"] { roles[index(name)] = .interruptSet(.pf(port.index)) }
        for n in 0..<map.pools {
            for name in map.family == "82576" ? ["PVTEIMS[\(n)]", "PVTEICS[\(n)]"] : ["VTEIMS[\(n)]", "VTEICS[\(n)]"] {
                roles[index(name)] = .interruptSet(.vf(pf: port.index, index: n))
            }
        }
        self.roles = roles
        rx = Array(repeating: DescriptorRing(), count: queues)
        tx = rx
        nextAllowed = Array(repeating: 0, count: queues)
        bufferedFrames = Array(repeating: 0, count: queues)
        fetchingFrames = Array(repeating: 0, count: queues)
        attention = QueueSet(capacity: 2 * queues)
        transmitReady = QueueSet(capacity: queues)
        receiveBufferCapacity = port.receiveBufferCapacity
        statistics = (map.index(named: "MPC"), map.index(named: "RNBC"))
    }

    func pool(ofQueue q: Int) -> Int { map.pool(ofQueue: q) }

    /// Changes ring `q` (Rx or Tx) in place, then records what follows from the change:
    /// hardware's head in RDH/TDH, the enable bit cleared when the ring stopped on an error
    /// (counted once), and the ring marked for the engine's next look.
    @discardableResult
    func update<R>(_ receive: Bool, _ q: Int, _ body: (inout DescriptorRing) -> R) -> R {
        let old = watched(receive, q)
        let result = receive ? body(&rx[q]) : body(&tx[q])
        let new = watched(receive, q)
        let r = receive ? rxRegisters[q] : txRegisters[q]
        if new.head != old.head || new.enabled != old.enabled {
            registers.hardwareStore(port: port.index, index: r.head, value: UInt32(new.head))
        }
        if !new.enabled, new.failed, new.generation != old.generation {
            counters.queueErrors += 1
            let control = registers.value(port: port.index, index: r.control)
            registers.hardwareStore(port: port.index, index: r.control, value: fields.enable.setting(0, in: control))
        }
        if tx[q].enabled && tx[q].cached > 0 { transmitReady.insert(q) } else { transmitReady.remove(q) }
        attend(receive, q)
        return result
    }

    /// What `update` compares before and after a change, read in place (a copy of the ring
    /// would retain its arrays).
    func watched(_ receive: Bool, _ q: Int) -> (head: Int, enabled: Bool, failed: Bool, generation: UInt32) {
        receive ? (rx[q].head, rx[q].enabled, rx[q].failure != nil, rx[q].generation)
            : (tx[q].head, tx[q].enabled, tx[q].failure != nil, tx[q].generation)
    }

    /// Marks a ring for the engine's next look at its prefetch and write-back.
    func attend(_ receive: Bool, _ q: Int) { attention.insert(2 * q + (receive ? 0 : 1)) }

    /// Marks every enabled ring for the engine's next look (the functions' config changed).
    func attendAll() {
        for q in rx.indices {
            if rx[q].enabled { attend(true, q) }
            if tx[q].enabled { attend(false, q) }
        }
    }

    /// A Tx frame's data reads were issued: it is in flight until `finishFetching`.
    func startFetching(_ id: UInt64, _ frame: TransmitFrame) {
        inFlight.insert(frame, at: id)
        fetchingFrames[frame.queue] += 1
    }

    /// Frame `id` is no longer being fetched (all its data came, or a read failed): its queue
    /// may be idle now. Returns the frame.
    @discardableResult
    func finishFetching(_ id: UInt64) -> TransmitFrame? {
        guard let frame = inFlight.remove(id) else { return nil }
        fetchingFrames[frame.queue] -= 1
        attend(false, frame.queue)
        return frame
    }

    // MARK: Receive packet buffer

    /// A frame the sorter gave `pool`: into the packet buffer, or dropped (MPC) when full.
    func arrive(pool: Int, frame: EthernetFrame, registers: NICRegisters) {
        guard receiveBufferBytes + frame.size <= receiveBufferCapacity else {
            dropped?(pool, frame, .packetBufferFull)
            counters.missed += 1
            if let k = statistics.missed { registers.hardwareAdd(port: port.index, index: k) }
            return
        }
        let q = map.firstQueue(ofPool: pool)
        receiveBuffer.append((q, frame))
        receiveBufferBytes += frame.size
        bufferedFrames[q] += 1
    }

    /// The frame at the head of the packet buffer, and its queue.
    var firstReceived: (queue: Int, frame: EthernetFrame)? { receiveBuffer.first }

    /// Takes the frame at the head of the packet buffer (moved to host memory or dropped); its
    /// bytes stay held until `drain` when it was moved.
    @discardableResult
    func removeFirstReceived() -> (queue: Int, frame: EthernetFrame) {
        let first = receiveBuffer.popFirst()!
        bufferedFrames[first.queue] -= 1
        attend(true, first.queue)
        return first
    }

    /// Drops the frame at the head of the packet buffer for want of a descriptor (RNBC, RQDPC).
    func dropReceived(queue q: Int, registers: NICRegisters, counted: Bool = true) {
        let (_, frame) = removeFirstReceived()
        receiveBufferBytes -= frame.size
        dropped?(pool(ofQueue: q), frame, counted ? .noDescriptor : .badDescriptor)
        guard counted else { return }
        counters.noDescriptor += 1
        if let k = statistics.noBuffers { registers.hardwareAdd(port: port.index, index: k) }
        if let k = rxRegisters[q].dropCount { registers.hardwareAdd(port: port.index, index: k) }
    }

    /// Frees the packet buffer bytes of frames whose last write has gone to the link.
    func drain(issued: UInt64) {
        while let oldest = draining.first, oldest.mark <= issued {
            receiveBufferBytes -= oldest.bytes
            draining.removeFirst()
        }
    }

    // MARK: Transmit

    /// A whole frame at the front of a Tx queue's fetched descriptors: the ring index of its
    /// first descriptor, how many it takes (context ones included) and which have RS (bit k for
    /// the k-th), its length, the VLAN a context descriptor gave it, and whether a descriptor is
    /// unusable. Nil while its EOP has not been fetched.
    func gatherFrame(queue q: Int) -> (first: Int, count: Int, reportStatus: UInt64, bytes: Int, vlan: UInt16?, bad: Bool)? {
        guard let first = tx[q].peek(0)?.index else { return nil }
        var bytes = 0, vlan: UInt16?, context: UInt16?, bad = false, reportStatus: UInt64 = 0
        var k = 0
        while let (_, dwords) = tx[q].peek(k) {
            let d = AdvancedTxDescriptor(dwords: dwords)
            if d.reportStatus { reportStatus |= 1 << UInt64(k) }
            k += 1
            switch d.kind {
            case .context:
                context = d.vlan
            case .data:
                let (_, overflow) = d.bufferAddress.addingReportingOverflow(UInt64(d.length))
                if d.bufferAddress == 0 || d.length == 0 || overflow { bad = true }
                bytes += d.length
                if d.insertVLAN { vlan = context }
                if d.endOfPacket { return (first, k, reportStatus, bytes, vlan, bad) }
            case .other:
                bad = true
                return (first, k, reportStatus, bytes, vlan, bad)
            }
        }
        return nil
    }

    /// Head write-back address of a Tx queue, when TDWBAL enables it.
    func headWriteBackAddress(queue q: Int, registers: NICRegisters) -> UInt64? {
        let low = registers.value(port: port.index, index: txRegisters[q].headWriteBackLow)
        guard fields.headWriteBackEnable.value(in: low) == 1 else { return nil }
        return UInt64(registers.value(port: port.index, index: txRegisters[q].headWriteBackHigh)) << 32 | UInt64(low & ~3)
    }

    // MARK: Rate limiting (82576 §7.2.5.3 / 82599 §7.7.2.2: RTTDQSEL selects a Tx queue,
    // RTTBCNRC holds its rate factor RF = link speed / queue rate as RF_INT.RF_DEC, 14 binary
    // places, and RS_ENA).

    /// Queue `q` may start a frame at `clock`.
    func rateAllows(queue q: Int, at clock: UInt64) -> Bool {
        fields.rateEnable.value(in: rateFactors[q]) == 0 || clock << 14 >= nextAllowed[q]
    }

    /// Charges a started frame of `bytes` (plus FCS, preamble, SFD and inter-frame gap) to its
    /// queue's limiter: the next frame may start once the frame would have taken at the
    /// queue's rate.
    func charge(queue q: Int, bytes: Int, at clock: UInt64, linkBitsPerSecond: UInt64, clockHz: UInt64) {
        let factor = UInt64(fields.rateFactor.value(in: rateFactors[q]))
        guard fields.rateEnable.value(in: rateFactors[q]) == 1, factor > 0 else { return }
        let bits = UInt64(EthernetFrame.wireBytes(size: max(bytes + EthernetFrame.fcs, EthernetFrame.minimumSize))) * 8
        // clocks * 2^14 = bits * RF(2^14 units) * clockHz / link
        let (high, low) = (bits * factor).multipliedFullWidth(by: clockHz)
        let increment = high < linkBitsPerSecond ? linkBitsPerSecond.dividingFullWidth((high, low)).quotient : UInt64.max / 4
        nextAllowed[q] = max(clock << 14, nextAllowed[q]) &+ increment
    }

    /// The clock a rate-limited queue with a frame waiting may go again, if later than `now`.
    func nextRateWake(after now: UInt64) -> UInt64? {
        guard !transmitReady.isEmpty else { return nil }
        var earliest: UInt64?
        for q in transmitReady.members where !rateAllows(queue: q, at: now) {
            let clock = (nextAllowed[q] + (1 << 14) - 1) >> 14
            earliest = min(earliest ?? clock, clock)
        }
        return earliest
    }
}
