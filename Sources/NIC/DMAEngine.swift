import PCIe
import RTL

/// The NIC's DMA engine, clocked (82576 datasheet §7.1-7.2; 82599 §7.1-7.2): per port, the
/// receive packet buffer that sorted frames wait in, the Rx and Tx descriptor rings of every
/// queue, the Tx arbiter with its per-queue rate limiters and the Tx packet buffer; and the
/// device's PCIe requests (`DMARequester`), one onto the link per clock.
///
/// Receive: a frame the sorter gave pool p waits in the port's packet buffer (dropped and
/// counted in MPC when the buffer is full) until its queue (pool p's first: 82576 queue p,
/// 82599 queue 2p) has fetched enough descriptors; its bytes are written to the descriptors'
/// buffers, the descriptors written back (length, DD, EOP) in batches of WTHRESH, RDH moved.
/// With no descriptor left in the ring and SRRCTL.DROP_EN set it is dropped and counted
/// (RNBC, and the 82576's RQDPC); without DROP_EN it waits, and the buffer fills behind it.
///
/// Transmit: descriptors are fetched when software moves TDT; a frame (context descriptor,
/// data descriptors up to EOP) starts when its queue wins the port's round robin, its rate
/// limiter allows (RTTBCNRC) and the Tx packet buffer has room; its buffers are read, and when
/// its bytes are in, it goes to the transmit switch, its RS descriptors are written back (DD,
/// or the head to TDWBAL) and TDH moves.
///
/// Every request carries the routing ID of the function that owns the queue, and none is
/// issued for a function whose Bus Master Enable is clear.
public final class DMAEngine: Component {
    public let path: String
    let registers: NICRegisters
    /// The device's functions (the endpoint), not counted: whoever connects them keeps them for
    /// the engine's life (the platform holds its endpoints as long as its simulator). A weak
    /// reference gave the endpoint a side table, and every retain and release of it the slow
    /// path — a few per TLP.
    public unowned(unsafe) var functions: (any DeviceFunctions)?
    /// Requests to the link (the endpoint takes them) and completions from it.
    public let requests: Channel<TLP>
    public let completions: Channel<TLP>
    public internal(set) var requester = DMARequester()
    let ports: [PortQueues]
    /// The same, uncounted, for the clock's loops over the ports (`forEachPort`).
    let portRefs: [Unmanaged<PortQueues>]
    /// Descriptors a queue's on-chip cache holds (at most 64: a Tx frame, whose descriptors
    /// are all in the cache when it starts, keeps their RS bits in one word).
    public let descriptorCache = 32
    /// Frame bytes in flight between DMA and the wire per port (the Tx packet buffer).
    public let transmitBufferBytes: Int
    /// The largest frame a Tx queue may send (82576: 9,728 bytes; 82599: 15.5 KiB).
    public let maxTransmitFrame: Int
    /// Sees every request as it goes to the link (the TLP log, tests).
    public var issued: ((TLP, UInt64) -> Void)?
    /// Interrupt causes, vectors and MSI-X messages.
    public let interrupts: InterruptUnit
    /// Sees every frame a pool was given that did not reach host memory: (port, pool, frame,
    /// why, clock).
    public var receiveDropped: ((Int, Int, EthernetFrame, PortQueues.ReceiveDrop, UInt64) -> Void)?
    /// Events from software writes and config space: handled at the next clock, whichever order
    /// the engine and the poster tick in.
    var events = Handoff<Event>()

    /// What the engine acts on at its next clock, besides ring doorbells.
    public enum Event: Sendable {
        /// An interrupt cause of a function (a mailbox event).
        case cause(SRIOVDevice.FunctionID, InterruptUnit.Cause)
        /// A vector's Mask was cleared.
        case unmask(SRIOVDevice.FunctionID)
        /// A config write to a function: its Function Mask may have been cleared, and the
        /// link settings (Device Control) may have changed.
        case configWritten(SRIOVDevice.FunctionID)
        /// A VF was reset (its CTRL.RST or a Function Level Reset): its queues stop.
        case functionReset(SRIOVDevice.FunctionID)
    }
    /// Per port, per pool: the owning function, its routing ID and Bus Master Enable, as the
    /// functions' config space said at `ownersVersion` (read again after any change).
    var poolOwners: [[(function: SRIOVDevice.FunctionID, rid: UInt16, busMaster: Bool)]] = []
    var ownersVersion = UInt64.max
    var controls: [SRIOVDevice.FunctionID: (enabled: Bool, functionMask: Bool)?] = [:]
    var controlsVersion = UInt64.max
    /// Read owners by token.
    var owners = TokenTable<ReadOwner>()
    var nextOwner: UInt64 = 0
    /// Doorbells (register writes the engine acts on). A write the endpoint delivers is acted on
    /// at the next clock (the endpoint may tick before the engine in the clock it delivers it:
    /// the engine must not see it then, or its timing would depend on whether the engine had
    /// other work that clock).
    var doorbells = Handoff<(port: Int, index: Int)>()
    /// Reads the requester finished this clock (reused each clock).
    var finishedReads: [DMARequester.Finished] = []
    var nextTransmitFrame: UInt64 = 0
    /// The engine's number in the simulator (it wakes itself most clocks).
    var componentIndex = 0
    /// Device Control may have changed since the requester's settings were read.
    var settingsStale = true

    enum ReadOwner {
        case descriptors(port: Int, queue: Int, receive: Bool, index: Int, generation: UInt32)
        case payload(port: Int, frame: UInt64, part: Int)
        /// A request `issue` was asked for: its data is not kept.
        case external
    }

    public init(_ simulator: Simulator, path: String, registers: NICRegisters, ports: [EthernetPort], transmitBufferBytes: Int, maxTransmitFrame: Int) {
        self.path = path
        self.registers = registers
        self.transmitBufferBytes = transmitBufferBytes
        self.maxTransmitFrame = maxTransmitFrame
        requests = Channel(simulator, path: "\(path).requests", capacity: 2, latency: 1)
        completions = Channel(simulator, path: "\(path).completions", capacity: 1 << 16, latency: 1)
        self.ports = ports.map { PortQueues(port: $0, registers: registers) }
        portRefs = self.ports.map { .passUnretained($0) }
        interrupts = InterruptUnit(registers: registers, clockHz: simulator.clockHz)
        componentIndex = simulator.add(self)
        requests.producer = self
        completions.consumer = self
        // The hooks below hold the engine and the simulator uncounted: the simulator holds every
        // component for its whole life (an `unowned` reference was checked and counted per call).
        for p in self.ports {
            p.dropped = { [unowned(unsafe) self, unowned(unsafe) simulator] pool, frame, reason in self.receiveDropped?(p.port.index, pool, frame, reason, simulator.now) }
            p.port.arrivals.consumer = self
            p.port.transmitFreed.consumer = self
        }
        registers.written = { [unowned(unsafe) self, unowned(unsafe) simulator] port, index in
            guard self.ports[port].roles[index] != nil else { return }
            self.doorbells.append((port, index), visibleAt: simulator.now + 1)
            simulator.wake(index: self.componentIndex, after: 1)
        }
        registers.msix.unmasked = { [unowned(unsafe) self, unowned(unsafe) simulator] function in self.post(.unmask(function), simulator) }
        interrupts.send = { [unowned(unsafe) self] function, address, data in
            guard let functions = self.functions, functions.busMasterEnabled(function) else { return }
            self.requester.write(requester: functions.routingID(function), address: address, dwords: [data])
        }
        interrupts.control = { [unowned(unsafe) self] function in self.msixControl(function) }
        registers.mailboxEffect = { [unowned(unsafe) self, unowned(unsafe) simulator] effect in
            switch effect {
            case .interrupt(let f): self.post(.cause(f, .mailbox), simulator)
            case .vfReset(let p, let n): self.post(.functionReset(.vf(pf: p, index: n)), simulator)
            }
        }
    }

    public var lineTrace: String {
        "\(path) posted=\(requester.queuedPosted) reads=\(requester.queuedReads) tags=\(requester.tagsInUse) " +
            ports.map { "p\($0.port.index):buf=\($0.receiveBufferBytes)" }.joined(separator: " ")
    }

    /// A model of a device bug: Invalidate Requests taken and neither applied nor completed.
    public var ignoresATSInvalidations: Bool {
        get { requester.ignoresInvalidations }
        set { requester.ignoresInvalidations = newValue }
    }

    /// An ATS Invalidate Request for one of the functions (ATS 1.1 §3.1): the pages leave its
    /// cache and the Invalidation Completion goes back to the requester (the root complex),
    /// unless the device ignores it (`requester.ignoresInvalidations`).
    public func invalidate(_ message: TLP) -> TLP? {
        guard message.messageCode == TLP.invalidateRequest, message.payload.count == 2 else { return nil }
        let address = UInt64(message.payload[1]) << 32 | UInt64(message.payload[0])
        let range = TLP.invalidationRange(address: address, size: address & 0x800 != 0)
        guard requester.invalidate(requester: message.targetID, page: range.page, pages: range.pages) else { return nil }
        return TLP(kind: .message, requesterID: message.targetID, tag: message.tag, length: 0, targetID: message.requesterID,
                   messageRouting: TLP.routedByID, messageCode: TLP.invalidationCompletion)
    }

    /// Queues an event for the next clock (mailbox interrupts, config writes).
    public func post(_ event: Event, _ simulator: Simulator) {
        events.append(event, visibleAt: simulator.now + 1)
        simulator.wake(index: componentIndex, after: 1)
    }

    /// A request of a function's own, outside any queue (the platform's stand-in DMA workload):
    /// it goes through the requester like the queues' (split, tagged, its completions taken).
    public func issue(requester rid: UInt16, write: Bool, address: UInt64, dwords: [UInt32], length: Int, _ simulator: Simulator) {
        if write {
            requester.write(requester: rid, address: address, dwords: dwords)
        } else {
            let token = nextOwner
            nextOwner += 1
            owners.insert(.external, at: token)
            requester.read(requester: rid, address: address, length: 4 * length, owner: token)
        }
        simulator.wake(index: componentIndex, after: 1)
    }

    /// Receive ring `queue` of port `port` (for tests, traces and reports).
    public func receiveRing(port: Int, queue: Int) -> DescriptorRing { ports[port].rx[queue] }
    public func transmitRing(port: Int, queue: Int) -> DescriptorRing { ports[port].tx[queue] }
    public func counters(port: Int) -> PortQueues.Counters { ports[port].counters }

    public func tick(_ simulator: Simulator) {
        var progress = false
        if settingsStale, let functions {
            requester.update(functions.requestSettings)
            requester.enableATS(functions.atsEnabledRequesters)
            settingsStale = false
        }
        while let completion = completions.pop() {
            requester.complete(completion)
            progress = true
        }
        requester.takeFinished(into: &finishedReads)
        if !finishedReads.isEmpty {
            for finished in finishedReads { deliver(finished, simulator) }
            finishedReads.removeAll(keepingCapacity: true)
        }
        forEachPort { p in
            while let (pool, frame) = p.port.arrivals.pop() {
                p.arrive(pool: pool, frame: frame, registers: registers)
                progress = true
            }
            while let bytes = p.port.transmitFreed.pop() {
                p.transmitBufferUsed -= bytes
                progress = true
            }
        }
        // Those posted before this clock (a ring or an event may post more, for the next one).
        while let bell = doorbells.popFirst(at: simulator.now) { ring(bell.port, bell.index, simulator) }
        while let event = events.popFirst(at: simulator.now) { handle(event, simulator) }
        interrupts.expire(at: simulator.now)
        forEachPort { p in
            progress = receive(p, simulator) || progress
            progress = transmit(p, simulator) || progress
            progress = prefetchAndWriteBack(p, simulator) || progress
        }
        if requests.ready, let tlp = requester.next() {
            issued?(tlp, simulator.now)
            let bytes = tlp.wireBytes
            requests.push(tlp, bytes: bytes)   // last: the TLP moves into the channel
            progress = true
        }
        forEachPort { p in p.drain(issued: requester.writesIssued) }
        if requester.queuedPosted > 0 || (requester.queuedReads > 0 && requester.tagsInUse < requester.settings.tags)
            || progress && hasWorkLeft {
            simulator.wake(index: componentIndex, after: 1)
        }
        var rateWake: UInt64?
        forEachPort { p in if let next = p.nextRateWake(after: simulator.now) { rateWake = min(rateWake ?? next, next) } }
        if let rateWake { simulator.wake(index: componentIndex, at: rateWake) }
        if let due = interrupts.nextDue { simulator.wake(index: componentIndex, at: due) }
    }

    /// After a clock that made progress: is there work the next clock may do that nothing else
    /// wakes the engine for? A clock moves at most one received frame and starts at most one Tx
    /// frame per port, and rings touched after the prefetch pass wait for the next; completions,
    /// arrivals, freed Tx buffer, doorbells, events, interrupt deadlines and rate limits wake
    /// the engine themselves.
    var hasWorkLeft: Bool {
        var left = false
        forEachPort { p in left = left || !p.receiveBuffer.isEmpty || !p.transmitReady.isEmpty || !p.attention.isEmpty }
        return left
    }

    /// Runs `body` on each port's queues in order, uncounted (the engine holds them: a loop over
    /// `ports` retained and released each, four times a clock).
    @inline(__always)
    func forEachPort(_ body: (PortQueues) -> Void) {
        for k in 0..<portRefs.count { portRefs[k]._withUnsafeGuaranteedRef(body) }
    }

    /// A config write, unmask, mailbox cause or reset posted before this clock.
    func handle(_ event: Event, _ simulator: Simulator) {
        switch event {
        case .cause(let f, let cause): interrupts.raise(f, cause, at: simulator.now)
        case .unmask(let f): interrupts.unmasked(f, at: simulator.now)
        case .configWritten(let f):
            settingsStale = true
            for p in ports { p.attendAll() }
            interrupts.unmasked(f, at: simulator.now)
        case .functionReset(let f): reset(f)
        }
    }

    /// The function that owns pool `pool` of port `port`, its routing ID and whether it may
    /// master the bus (read from config space again after any change to it): VF n owns pool n
    /// when it is enabled and the part has a pool for it besides the PF's; the PF owns the pool
    /// after its VFs (Linux igb / ixgbe) and any pool no VF has.
    func poolOwner(port: Int, pool: Int) -> (function: SRIOVDevice.FunctionID, rid: UInt16, busMaster: Bool)? {
        guard let functions else { return nil }
        if ownersVersion != functions.functionsVersion {
            ownersVersion = functions.functionsVersion
            poolOwners = Array(repeating: [], count: ports.count)
        }
        guard port < poolOwners.count else { return nil }
        if poolOwners[port].isEmpty {
            let vfs = min(functions.enabledVFs(port: port), registers.ports[port].map.pools - 1)
            poolOwners[port] = (0..<registers.ports[port].map.pools).map { pool in
                let function: SRIOVDevice.FunctionID = pool < vfs ? .vf(pf: port, index: pool) : .pf(port)
                return (function, functions.routingID(function), functions.busMasterEnabled(function))
            }
        }
        return pool < poolOwners[port].count ? poolOwners[port][pool] : nil
    }

    /// MSI-X Enable and Function Mask of a function, kept until its config space changes.
    func msixControl(_ function: SRIOVDevice.FunctionID) -> (enabled: Bool, functionMask: Bool)? {
        guard let functions else { return nil }
        if controlsVersion != functions.functionsVersion {
            controlsVersion = functions.functionsVersion
            controls = [:]
        }
        if let known = controls[function] { return known }
        let control = functions.msixControl(function)
        controls[function] = .some(control)
        return control
    }

    /// A VF's reset: its pool's queues stop (their enable bits clear) and its interrupt history goes.
    func reset(_ f: SRIOVDevice.FunctionID) {
        guard case .vf(let port, let n) = f, port < ports.count else { return }
        let p = ports[port]
        for q in 0..<p.rx.count where p.pool(ofQueue: q) == n {
            for receive in [true, false] {
                p.update(receive, q) { $0.stop() }
                let control = (receive ? p.rxRegisters[q] : p.txRegisters[q]).control
                registers.hardwareStore(port: port, index: control, value: p.fields.enable.setting(0, in: registers.value(port: port, index: control)))
            }
        }
        interrupts.reset(f)
    }

    // MARK: Registers software wrote

    /// Acts on a write to a ring register: enable or disable a queue, a new tail, a new rate.
    func ring(_ port: Int, _ index: Int, _ simulator: Simulator) {
        let p = ports[port]
        guard let role = p.roles[index] else { return }
        func values(_ k: Int) -> UInt32 { registers.value(port: port, index: k) }
        switch role {
        case .control(let receive, let q):
            let enable = p.fields.enable.value(in: values(index)) == 1
            let enabled = receive ? p.rx[q].enabled : p.tx[q].enabled
            if enable && !enabled {
                let r = receive ? p.rxRegisters[q] : p.txRegisters[q]
                // The registers' fields keep the base 128-byte aligned and the pointers 16 bits.
                p.update(receive, q) {
                    $0.start(base: UInt64(values(r.baseHigh)) << 32 | UInt64(values(r.baseLow)),
                             length: Int(values(r.length)), head: Int(values(r.head)), tail: Int(values(r.tail)))
                }
            } else if !enable && enabled {
                p.update(receive, q) { $0.stop() }
            }
            // The thresholds may have changed.
            p.attend(receive, q)
        case .tail(let receive, let q):
            guard receive ? p.rx[q].enabled : p.tx[q].enabled else { return }
            p.update(receive, q) { $0.setTail(Int(values(index))) }
        case .interruptSet(let f):
            interrupts.reevaluate(f, at: simulator.now)
        }
    }

    // MARK: Receive

    /// Moves the frame at the head of the port's packet buffer into host memory, drops it, or
    /// leaves it waiting for descriptors.
    func receive(_ p: PortQueues, _ simulator: Simulator) -> Bool {
        guard let (q, frame) = p.firstReceived, requester.queuedPosted < 64 else { return false }
        let owner = poolOwner(port: p.port.index, pool: p.pool(ofQueue: q))
        guard p.rx[q].enabled, let owner, owner.busMaster else {
            p.dropReceived(queue: q, registers: registers)
            return true
        }
        let srrctl = registers.value(port: p.port.index, index: p.rxRegisters[q].srrctl)
        let bufferSize = 1024 * Int(max(1, p.fields.bufferSize.value(in: srrctl)))
        let length = frame.bytes.count
        let needed = max(1, (length + bufferSize - 1) / bufferSize)
        if p.rx[q].cached < needed {
            let coming = p.rx[q].cached + p.rx[q].fetching + p.rx[q].available
            if coming < needed && p.fields.dropEnable.value(in: srrctl) == 1 {
                p.dropReceived(queue: q, registers: registers)
                return true
            }
            return false
        }
        let vlan = frame.header.tagged.isSet ? UInt16(frame.header.vlanID.value) : nil
        let moved = p.update(true, q) { r -> Bool in
            for k in 0..<needed {
                guard let descriptor = r.next.map({ AdvancedRxDescriptor(dwords: $0.dwords) }) else { break }
                let chunk = frame.bytes[(k * bufferSize)..<min(length, (k + 1) * bufferSize)]
                let (end, overflow) = descriptor.packetAddress.addingReportingOverflow(UInt64(chunk.count))
                guard descriptor.packetAddress != 0, !overflow || end == 0 else {
                    r.stop(.badDescriptor)
                    return false
                }
                requester.write(requester: owner.rid, address: descriptor.packetAddress, bytes: chunk)
                r.use(writeBack: AdvancedRxDescriptor.writeBack(length: chunk.count, endOfPacket: k == needed - 1, vlan: vlan))
            }
            return true
        }
        guard moved else {
            p.dropReceived(queue: q, registers: registers, counted: false)
            return true
        }
        p.removeFirstReceived()
        p.draining.append((requester.writesIssued + UInt64(requester.queuedPosted), frame.size))
        p.counters.receivedFrames += 1
        p.counters.receivedBytes += UInt64(length)
        return true
    }

    // MARK: Transmit

    /// Starts the next frame of the port's round robin: the first queue after the last served
    /// whose cached descriptors hold a whole frame, whose rate limiter allows it now and whose
    /// frame fits in the Tx packet buffer.
    func transmit(_ p: PortQueues, _ simulator: Simulator) -> Bool {
        var progress = false
        // Only queues with an enabled ring and fetched descriptors compete, in round-robin
        // order after the last served.
        for q in p.transmitReady.members(from: p.lastServed + 1) {
            guard let frame = p.gatherFrame(queue: q) else { continue }
            let owner = poolOwner(port: p.port.index, pool: p.pool(ofQueue: q))
            guard let owner, owner.busMaster else { continue }
            if frame.bad {
                p.update(false, q) { $0.stop(.badDescriptor) }
                progress = true
                continue
            }
            if frame.bytes > maxTransmitFrame, p.fetchingFrames[q] == 0 {
                // Too large for the part: dropped, its descriptors given back.
                p.update(false, q) { r in
                    for k in 0..<frame.count { r.use(writeBack: frame.reportStatus >> UInt64(k) & 1 == 1 ? AdvancedTxDescriptor.done : nil) }
                }
                p.counters.transmitOversize += 1
                progress = true
                continue
            }
            guard p.rateAllows(queue: q, at: simulator.now),
                  p.transmitBufferUsed + frame.bytes <= transmitBufferBytes || p.transmitBufferUsed == 0 else { continue }
            let id = nextTransmitFrame
            nextTransmitFrame += 1
            var parts = 0
            // The descriptors are written back once the frame's data is in (`deliver`).
            let generation = p.update(false, q) { r -> UInt32 in
                for _ in 0..<frame.count {
                    let d = AdvancedTxDescriptor(dwords: r.take().dwords)
                    if d.kind == .data && d.length > 0 {
                        let token = nextOwner
                        nextOwner += 1
                        owners.insert(.payload(port: p.port.index, frame: id, part: parts), at: token)
                        requester.read(requester: owner.rid, address: d.bufferAddress, length: d.length, owner: token)
                        parts += 1
                    }
                }
                return r.generation
            }
            p.startFetching(id, PortQueues.TransmitFrame(queue: q, pool: p.pool(ofQueue: q), first: frame.first, count: frame.count,
                                                         reportStatus: frame.reportStatus, parts: FrameParts(count: parts), vlan: frame.vlan,
                                                         generation: generation, bytes: frame.bytes))
            p.transmitBufferUsed += frame.bytes
            p.charge(queue: q, bytes: frame.bytes, at: simulator.now, linkBitsPerSecond: p.port.bitsPerSecond, clockHz: simulator.clockHz)
            p.lastServed = q
            return true
        }
        return progress
    }

    // MARK: Reads coming back

    func deliver(_ finished: DMARequester.Finished, _ simulator: Simulator) {
        guard let owner = owners.remove(finished.owner) else { return }
        switch owner {
        case .descriptors(let port, let q, let receive, let index, let generation):
            let p = ports[port]
            guard (receive ? p.rx[q].generation : p.tx[q].generation) == generation else { return }
            switch finished.outcome {
            case .data(let bytes):
                p.update(receive, q) { $0.fetched(index: index, bytes: bytes) }
            case .failed(let status):
                p.update(receive, q) { $0.stop(status == .unsupportedRequest ? .unsupportedRequest : .completerAbort) }
                if let f = poolOwner(port: port, pool: p.pool(ofQueue: q)) { functions?.requestFailed(f.function, status: status) }
            }
        case .external:
            return
        case .payload(let port, let id, let part):
            let p = ports[port]
            switch finished.outcome {
            case .data(let bytes):
                // Stored where the frame is kept (a copy of it would copy its parts).
                let complete = p.inFlight.update(id) { frame -> Bool in
                    frame.parts.set(part, bytes)
                    return frame.parts.complete
                }
                guard complete == true else { return }
            case .failed(let status):
                guard let frame = p.finishFetching(id) else { return }
                p.transmitBufferUsed -= frame.bytes
                if p.tx[frame.queue].generation == frame.generation {
                    p.update(false, frame.queue) { $0.stop(status == .unsupportedRequest ? .unsupportedRequest : .completerAbort) }
                }
                if let f = poolOwner(port: port, pool: frame.pool) { functions?.requestFailed(f.function, status: status) }
                return
            }
            guard let frame = p.finishFetching(id) else { return }
            let bytes = frame.parts.joined(capacity: frame.bytes)
            var ethernet = EthernetFrame(bytes)
            if let vlan = frame.vlan, !ethernet.header.tagged.isSet { ethernet = ethernet.tagged(vlan: vlan) }
            p.port.transmitFromQueue(ethernet, pool: frame.pool, bufferBytes: frame.bytes)
            p.counters.transmittedFrames += 1
            p.counters.transmittedBytes += UInt64(bytes.count)
            guard p.tx[frame.queue].generation == frame.generation else { return }
            p.update(false, frame.queue) { r in
                for k in 0..<frame.count {
                    r.writeBacks.append(((frame.first + k) % r.count, frame.reportStatus >> UInt64(k) & 1 == 1 ? AdvancedTxDescriptor.done : nil))
                }
            }
        }
    }

    // MARK: Prefetch and write-back

    /// Fetches descriptors and writes used ones back, for the rings whose state changed since
    /// the last look (Rx before Tx of a queue, in queue order).
    func prefetchAndWriteBack(_ p: PortQueues, _ simulator: Simulator) -> Bool {
        var progress = false
        let rings = p.attention.members
        p.attention.removeAll()
        for item in rings {
            let receive = item & 1 == 0, q = item >> 1
            guard receive ? p.rx[q].enabled : p.tx[q].enabled else { continue }
            let owner = poolOwner(port: p.port.index, pool: p.pool(ofQueue: q))
            guard let owner, owner.busMaster else { continue }
            let control = registers.value(port: p.port.index, index: (receive ? p.rxRegisters[q] : p.txRegisters[q]).control)
            // Each ring is read where it is kept (a conditional over the two would copy it).
            let prefetch = Int(p.fields.prefetch.value(in: control)), host = Int(p.fields.host.value(in: control))
            let wanted = receive ? p.rx[q].fetchWanted(cacheSize: descriptorCache, prefetchThreshold: prefetch, hostThreshold: host)
                : p.tx[q].fetchWanted(cacheSize: descriptorCache, prefetchThreshold: prefetch, hostThreshold: host)
            if let (index, n) = wanted {
                let token = nextOwner
                nextOwner += 1
                owners.insert(.descriptors(port: p.port.index, queue: q, receive: receive, index: index,
                                             generation: receive ? p.rx[q].generation : p.tx[q].generation), at: token)
                let address = receive ? p.rx[q].address(of: index) : p.tx[q].address(of: index)
                requester.read(requester: owner.rid, address: address, length: n * DescriptorRing.descriptorBytes, owner: token)
                p.update(receive, q) { $0.fetchIssued(n) }
                progress = true
            }
            // Write back in batches of WTHRESH; a queue with nothing more coming flushes what it has.
            let idle = receive ? p.bufferedFrames[q] == 0 : (p.tx[q].cached == 0 && p.fetchingFrames[q] == 0)
            let threshold = Int(p.fields.writeBack.value(in: control))
            guard receive ? p.rx[q].flushDue(threshold: threshold, force: idle) : p.tx[q].flushDue(threshold: threshold, force: idle) else { continue }
            // With Tx head write-back the head goes to TDWBAL/TDWBAH instead of the descriptors.
            let headWriteBack = receive ? nil : p.headWriteBackAddress(queue: q, registers: registers)
            p.update(receive, q) { ring in
                ring.flush(threshold: threshold, force: idle) { address, dwords in
                    if headWriteBack == nil { requester.write(requester: owner.rid, address: address, dwords: dwords) }
                }
            }
            if let headWriteBack { requester.write(requester: owner.rid, address: headWriteBack, dwords: [UInt32(p.tx[q].head)]) }
            // A VF's causes are numbered by its own queues (0, 1), the PF's by the port's.
            let local: Int
            if case .vf = owner.function { local = p.map.localQueue(q) } else { local = q }
            interrupts.raise(owner.function, receive ? .receive(local) : .transmit(local), at: simulator.now)
            progress = true
        }
        return progress
    }
}
