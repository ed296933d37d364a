import RTL

/// A routing element of the fabric, clocked: a switch (upstream port plus downstream ports) or
/// a root complex (its core, host memory and the CPU's config and memory requests, plus root
/// ports). Every TLP's direction comes from `PortRouting.route`, the generic function the
/// prover also runs (PCIe Base 4.0 §2.2.4, §6.12).
///
/// Each clock it takes at most one TLP from each ingress that has one and whose egress can
/// accept it (ready/valid back-pressure). A request nothing claims is an Unsupported Request:
/// non-posted requests get a UR completion, posted ones are dropped and counted (§2.3.1).
public final class FabricNode: Component {
    public enum Role: Sendable { case rootComplex, switchElement }

    public let path: String
    public let role: Role
    /// Downstream ports (root ports, or a switch's downstream ports) and their links.
    public internal(set) var ports: [PortFunction] {
        didSet {
            decodeCache = nil
            portsVersion &+= 1
        }
    }
    /// Bumped on every change to a port's config space: what traces of them watch.
    public private(set) var portsVersion: UInt64 = 0
    /// The ports' decode for the routing function, rebuilt only after a config write to a port.
    var decodeCache: [DownstreamPort<Concrete>]?
    var decodedPorts: [DownstreamPort<Concrete>] {
        if let decodeCache { return decodeCache }
        let decoded = ports.map { $0.decode(Concrete.self) }
        decodeCache = decoded
        return decoded
    }
    public var links: [Link] { didSet { linkRefs = links.map { .passUnretained($0) } } }
    /// The same, uncounted, for the tick's visit of every link (the property above holds them).
    var linkRefs: [Unmanaged<Link>]
    /// A switch's upstream port and the link above it.
    public internal(set) var upstreamPort: PortFunction?
    public var upstreamLink: Link?
    public private(set) var counters = FabricCounters()
    public var observer: HopObserver? {
        get { hopRecord.observer }
        set { hopRecord.observer = newValue }
    }
    /// TLPs that passed this node, by kind (`TLP.Kind.index`), for run summaries.
    public var hops: [UInt64] { hopRecord.byKind }
    var hopRecord = HopRecord()
    public var hooks = RoutingHooks()

    /// Root complex: requests the CPU issues, each with the clock from which the root complex
    /// may take it (`Simulator.visibleClock`), and where their completions go: the CPU takes a
    /// completion from the clock after it arrived (`cpuInboxVisible`), whichever of the two
    /// ticks first in a clock.
    var cpuOutbox = Handoff<Packet>()
    public var cpuInbox: [TLP] = []
    /// The clock the last completion came into `cpuInbox`, and how many came then.
    var cpuInboxClock: UInt64 = .max
    var cpuInboxArrived = 0
    /// Root complex: host memory as sparse DWs (DMA targets) when no `host` is attached.
    public var hostMemory: [UInt64: UInt32] = [:]
    /// Root complex: the host above it — its memory behind the IOMMU (the Host module's);
    /// without one, devices' requests below `hostMemoryLimit` reach `hostMemory` untranslated.
    public var host: (any HostMemoryPort)?
    /// Root complex: the top of host memory; below it, memory requests from devices go to
    /// host memory.
    public var hostMemoryLimit: UInt64 = 0x8000_0000
    /// Root complex: the most data one completion to a device's memory read carries; larger
    /// reads are answered by several completions split at multiples of it (a multiple of the
    /// 64-byte Read Completion Boundary, PCIe Base 4.0 §2.3.1.1).
    public var completionPayload = 128
    /// Root complex: memory writes to the interrupt address range 0xFEEx_xxxx (MSI and MSI-X
    /// messages, x86): (clock, requester, address, data), the most recent of them (at least
    /// `interruptHistory`, at most twice that: a long run sends millions, and the list must not
    /// grow with the run), and how many there have been. Interrupt remapping comes with the IOMMU.
    public private(set) var interruptMessages: [(clock: UInt64, requester: UInt16, address: UInt64, data: UInt32)] = []
    public private(set) var interruptMessageCount = 0
    public var interruptHistory = 4096
    public static let interruptRange: ClosedRange<UInt64> = 0xFEE0_0000...0xFEEF_FFFF
    var serial: UInt64 = 0

    public init(path: String, role: Role, ports: [PortFunction], links: [Link], upstreamPort: PortFunction? = nil) {
        self.path = path
        self.role = role
        self.ports = ports
        self.links = links
        linkRefs = links.map { .passUnretained($0) }
        self.upstreamPort = upstreamPort
    }

    /// Routing ID of the node's own functions: root ports are devices 1... on bus 0; a switch's
    /// upstream port is device 0 on its primary bus and its downstream ports devices 0... on its
    /// internal bus.
    public func rid(ofPort k: Int) -> UInt16 {
        switch role {
        case .rootComplex: UInt16(k + 1) << 3
        case .switchElement: UInt16(upstreamPort?.secondaryBus ?? 0) << 8 | UInt16(k) << 3
        }
    }

    public var upstreamRID: UInt16 { UInt16(upstreamPort?.primaryBus ?? 0) << 8 }

    /// The CPU submits a request (root complex only).
    public func submit(_ tlp: TLP, simulator: Simulator) {
        serial += 1
        cpuOutbox.append(Packet(tlp: tlp, serial: serial), visibleAt: simulator.visibleClock)
        simulator.wake(self, at: simulator.now)
    }

    /// How many of `cpuInbox`'s completions (from the first) the CPU may take at clock `now`:
    /// those that arrived before it.
    public func cpuInboxVisible(at now: UInt64) -> Int {
        cpuInbox.count - (cpuInboxClock == now ? min(cpuInboxArrived, cpuInbox.count) : 0)
    }

    /// A completion for the CPU arrives (in this node's tick at `clock`).
    func deliverToCPU(_ tlp: TLP, clock: UInt64) {
        if cpuInboxClock != clock {
            cpuInboxClock = clock
            cpuInboxArrived = 0
        }
        cpuInboxArrived += 1
        cpuInbox.append(tlp)
    }

    /// One line of state (PyMTL3's line_trace): queue depths per port and the counters.
    public var lineTrace: String {
        let up = role == .rootComplex ? "cpu:\(cpuOutbox.count)" : "up:\(upstreamLink?.down.count ?? 0)/\(upstreamLink?.up.count ?? 0)"
        let ports = zip(self.ports, links).map { "\($0.name):\($1.down.count)/\($1.up.count)" }.joined(separator: " ")
        return "\(path) \(up) \(ports) fwd=\(counters.forwarded) ur=\(counters.unsupportedRequests) acs=\(counters.acsViolations)"
    }

    /// Ingress 0 is the upstream side; k + 1 is downstream port k.
    func ingressName(_ i: Int) -> String { i == 0 ? (role == .rootComplex ? "cpu" : "up") : ports[i - 1].name }

    public func tick(_ simulator: Simulator) {
        var more = false
        // Upstream side first, then each port; order does not matter for results (two-phase).
        if role == .rootComplex {
            if let packet = cpuOutbox.first(at: simulator.now), handle(packet, ingress: 0, simulator) { cpuOutbox.removeFirst() }
            more = more || !cpuOutbox.isEmpty
        } else if let link = upstreamLink, let packet = link.down.peek {
            if handle(packet, ingress: 0, simulator) { link.down.discard() } else { more = true }
        }
        for k in 0..<linkRefs.count {
            linkRefs[k]._withUnsafeGuaranteedRef { link in
                guard let packet = link.up.peek else { return }
                if handle(packet, ingress: k + 1, simulator) { link.up.discard() } else { more = true }
            }
        }
        // A packet whose egress was full stays at the head of its link: try again next clock
        // (nothing else would wake the node, since the link already holds it).
        if more { simulator.wake(self, after: 1) }
    }

    /// The egress channel for a destination (nil: the root complex core).
    func channel(to destination: Int) -> Channel<Packet>? {
        destination == 0 ? upstreamLink?.up : links[destination - 1].down
    }

    /// Where a packet for ingress `i`'s reverse direction goes (completions we generate).
    func reverse(of ingress: Int) -> Channel<Packet>? { channel(to: ingress) }

    /// Handles one packet; false when its egress is full (it stays at the head and is handled
    /// again next time, so it is counted only once it is taken).
    func handle(_ packet: Packet, ingress: Int, _ simulator: Simulator) -> Bool {
        guard let tlp = packet.decodedTLP else {
            let taken = malformed(packet, ingress: ingress, simulator)
            if taken && Self.readLike(packet) && ingress != 0 { counters.nonPostedReceived += 1 }
            return taken
        }
        let taken = route(tlp, packet: packet, ingress: ingress, simulator)
        if taken && !tlp.isPosted && !tlp.isCompletion && ingress != 0 { counters.nonPostedReceived += 1 }
        return taken
    }

    /// A malformed packet whose header still says non-posted request (no data, not a completion
    /// or message) and names a requester.
    static func readLike(_ packet: Packet) -> Bool {
        let dws = packet.dws
        let fmt = (dws.first ?? 0) >> 29, type = (dws.first ?? 0) >> 24 & 0x1F
        return fmt & 0b010 == 0 && fmt <= 0b011 && type != 0b01010 && type & 0b11000 != 0b10000 && dws.count >= 2
    }

    func route(_ tlp: TLP, packet: Packet, ingress: Int, _ simulator: Simulator) -> Bool {
        if let own = ownConfigTarget(tlp, ingress: ingress) {
            return completeOwnConfig(tlp, port: own, ingress: ingress, simulator)
        }
        if role == .rootComplex, ingress == 0, tlp.kind == .memoryRead || tlp.kind == .memoryWrite, let host, host.ownsRegister(tlp.address) {
            return hostRegisters(tlp, host: host, simulator)
        }
        let decision = PortRouting.route(Self.fields(tlp), ingress: Bits<Concrete, 8>(UInt64(ingress)),
                                         ports: decodedPorts, hooks: hooks).value
        switch decision {
        case PortRouting.unsupportedRequest, PortRouting.acsViolation:
            if decision == PortRouting.acsViolation { counters.acsViolations += 1 } else { counters.unsupportedRequests += 1 }
            return refuse(tlp, ingress: ingress, label: decision == PortRouting.acsViolation ? "ACS" : "UR", simulator)
        case PortRouting.upstream where role == .rootComplex:
            return core(tlp, packet: packet, ingress: ingress, simulator)
        default:
            let destination = Int(decision)
            var out = tlp
            // Type 1 becomes Type 0 at the port whose secondary bus is the target's.
            if destination > 0, tlp.kind == .configRead1 || tlp.kind == .configWrite1,
               UInt8(tlp.targetID >> 8) == ports[destination - 1].secondaryBus {
                out.kind = tlp.kind == .configRead1 ? .configRead0 : .configWrite0
            }
            guard let egress = channel(to: destination) else { return refuse(tlp, ingress: ingress, label: "UR", simulator) }
            guard egress.ready else { return false }
            egress.push(Packet(tlp: out, serial: packet.serial), bytes: out.wireBytes)
            counters.forwarded += 1
            hop(out, ingress: ingressName(ingress), egress: destination == 0 ? "up" : ports[destination - 1].name, simulator)
            return true
        }
    }

    /// The routing fields of a decoded TLP.
    static func fields(_ tlp: TLP) -> RouteFields<Concrete> {
        RouteFields(
            idRouted: Bit(tlp.isConfig || tlp.isCompletion || tlp.isIDRoutedMessage), isCompletion: Bit(tlp.isCompletion), isConfig: Bit(tlp.isConfig),
            targetID: Bits(UInt64(tlp.isCompletion ? tlp.requesterID : tlp.targetID)), address: Bits(tlp.address),
            requesterID: Bits(UInt64(tlp.requesterID)), addressType: Bits(UInt64(tlp.addressType)))
    }

    /// A config request for one of the node's own Type 1 functions: returns the port index
    /// (-1 for a switch's upstream port).
    func ownConfigTarget(_ tlp: TLP, ingress: Int) -> Int? {
        guard tlp.isConfig, ingress == 0 else { return nil }
        let bus = UInt8(tlp.targetID >> 8), device = Int((tlp.targetID >> 3) & 0x1F), function = tlp.targetID & 7
        switch role {
        case .rootComplex:
            guard bus == 0 else { return nil }
            return function == 0 && device >= 1 && device <= ports.count ? device - 1 : Int.max
        case .switchElement:
            if tlp.kind == .configRead0 || tlp.kind == .configWrite0 { return device == 0 && function == 0 ? -1 : Int.max }
            guard let up = upstreamPort, bus == up.secondaryBus else { return nil }
            return function == 0 && device < ports.count ? device : Int.max
        }
    }

    func completeOwnConfig(_ tlp: TLP, port: Int, ingress: Int, _ simulator: Simulator) -> Bool {
        guard port != Int.max else { return refuse(tlp, ingress: ingress, label: "UR", simulator) }
        let isWrite = tlp.kind == .configWrite0 || tlp.kind == .configWrite1
        let completer = port == -1 ? upstreamRID : rid(ofPort: port)
        var data: UInt32 = 0
        let enables = tlp.firstBE
        if isWrite {
            for access in ConfigWrite.accesses(byteEnables: enables) {
                let value = (tlp.payload.first ?? 0) >> UInt32(8 * access.offset)
                if port == -1 {
                    upstreamPort?.config.write(offset: tlp.register + access.offset, size: access.size, value: value)
                } else {
                    ports[port].config.write(offset: tlp.register + access.offset, size: access.size, value: value)
                }
            }
        } else {
            let config = port == -1 ? upstreamPort!.config : ports[port].config
            data = config.read(offset: tlp.register, size: 4) ?? 0
        }
        let completion = TLP(kind: isWrite ? .completion : .completionWithData, requesterID: tlp.requesterID, tag: tlp.tag,
                             targetID: completer, byteCount: 4, payload: isWrite ? [] : [data])
        return send(completion, to: ingress, from: "config", simulator)
    }

    /// Refuses a request: a UR completion for a non-posted one, a count for a posted one.
    func refuse(_ tlp: TLP, ingress: Int, label: String, _ simulator: Simulator) -> Bool {
        hop(tlp, ingress: ingressName(ingress), egress: label, simulator)
        if tlp.isPosted || tlp.isCompletion {
            counters.dropped += 1
            return true
        }
        return send(unsupportedRequest(requester: tlp.requesterID, tag: tlp.tag, ingress: ingress), to: ingress, from: "UR", simulator)
    }

    /// The UR completion the port at `ingress` returns to a requester (PCIe Base 4.0 §2.3.1).
    func unsupportedRequest(requester: UInt16, tag: UInt8, ingress: Int) -> TLP {
        TLP(kind: .completion, requesterID: requester, tag: tag, targetID: ingress == 0 ? upstreamRID : rid(ofPort: ingress - 1),
            status: .unsupportedRequest, byteCount: 4)
    }

    /// A malformed TLP: if its header says it is a read-like request with a requester, a UR
    /// completion; otherwise it is dropped and counted.
    func malformed(_ packet: Packet, ingress: Int, _ simulator: Simulator) -> Bool {
        guard Self.readLike(packet) else {
            counters.malformed += 1
            counters.dropped += 1
            return true
        }
        let dw1 = packet.dws[1]
        let completion = unsupportedRequest(requester: UInt16(dw1 >> 16), tag: UInt8((dw1 >> 8) & 0xFF), ingress: ingress)
        let sent = send(completion, to: ingress, from: "UR", simulator)
        if sent { counters.malformed += 1 }
        return sent
    }

    /// Sends a completion the node generated (`origin`: "memory", "config", "UR") back toward
    /// ingress `ingress`; the hop is observed like a forwarded one, so logs show where every
    /// completion starts.
    func send(_ completion: TLP, to ingress: Int, from origin: String, _ simulator: Simulator) -> Bool {
        if ingress == 0 && role == .rootComplex {
            deliverToCPU(completion, clock: simulator.now)
            counters.completionsGenerated += 1
            hop(completion, ingress: origin, egress: "cpu", simulator)
            return true
        }
        guard let channel = reverse(of: ingress) else { return true }
        guard channel.ready else { return false }
        serial += 1
        channel.push(Packet(tlp: completion, serial: serial), bytes: completion.wireBytes)
        counters.completionsGenerated += 1
        hop(completion, ingress: origin, egress: ingressName(ingress), simulator)
        return true
    }

    /// The root complex core: completions for the CPU, device memory requests to host memory,
    /// and peer traffic that the root ports redirected up, sent down again from here.
    func core(_ tlp: TLP, packet: Packet, ingress: Int, _ simulator: Simulator) -> Bool {
        if tlp.isCompletion && tlp.requesterID == 0 {
            hop(tlp, ingress: ingressName(ingress), egress: "cpu", simulator)
            // A UR completion for a request the port forwarded down (PCIe Base 4.0 §7.5.1.3.7).
            if tlp.status == .unsupportedRequest, ingress >= 1 {
                ports[ingress - 1].config.signal("receivedMasterAbort", in: "Secondary Status")
            }
            deliverToCPU(tlp, clock: simulator.now)
            return true
        }
        guard ingress != 0 else { return refuse(tlp, ingress: ingress, label: "UR", simulator) }
        // Peer traffic redirected to the core goes down again after passing it (where the
        // IOMMU will check it); the routing function from the upstream side picks the port.
        let down = PortRouting.route(Self.fields(tlp), ingress: Bits<Concrete, 8>(0), ports: decodedPorts).value
        if down >= 1 && down <= UInt64(ports.count) {
            guard links[Int(down) - 1].down.ready else { return false }
            links[Int(down) - 1].down.push(packet, bytes: tlp.wireBytes)
            counters.forwarded += 1
            hop(tlp, ingress: ingressName(ingress), egress: "core>" + ports[Int(down) - 1].name, simulator)
            return true
        }
        if tlp.isCompletion {
            // A peer's completion (redirected up by ACS Completion Redirect) for a requester no
            // port claims: nowhere to go.
            hop(tlp, ingress: ingressName(ingress), egress: "drop", simulator)
            counters.dropped += 1
            return true
        }
        if tlp.isIDRoutedMessage, tlp.messageCode == TLP.invalidationCompletion {
            hop(tlp, ingress: ingressName(ingress), egress: "IOMMU", simulator)
            host?.invalidationCompleted(requester: tlp.requesterID)
            return true
        }
        if tlp.kind == .memoryWrite, Self.interruptRange.contains(tlp.address) {
            let data = tlp.payload.first ?? 0
            let delivered = host?.interrupt(requester: tlp.requesterID, address: tlp.address, data: data, clock: simulator.now) ?? true
            hop(tlp, ingress: ingressName(ingress), egress: delivered ? "interrupt" : "IOMMU", simulator)
            guard delivered else {
                counters.translationFaults += 1
                return true
            }
            let keep = max(0, interruptHistory)
            if interruptMessages.count >= max(1, 2 * keep) { interruptMessages.removeFirst(interruptMessages.count - keep) }
            interruptMessages.append((simulator.now, tlp.requesterID, tlp.address, data))
            interruptMessageCount += 1
            return true
        }
        guard tlp.kind == .memoryRead || tlp.kind == .memoryWrite else { return refuse(tlp, ingress: ingress, label: "UR", simulator) }
        if tlp.kind == .memoryRead, tlp.addressType == 1 { return translationRequest(tlp, ingress: ingress, simulator) }
        // Where the request lands: through the host's IOMMU when there is a host (a blocked
        // read gets UR, a blocked write is dropped; the IOMMU records the fault), else the
        // plain memory below `hostMemoryLimit`.
        let target: UInt64
        if let host {
            let length = tlp.kind == .memoryRead ? 4 * tlp.length : 4 * tlp.payload.count
            guard let translated = host.translate(requester: tlp.requesterID, address: tlp.address, length: length, write: tlp.kind == .memoryWrite,
                                                  addressType: tlp.addressType, clock: simulator.now) else {
                counters.translationFaults += 1
                return refuse(tlp, ingress: ingress, label: "IOMMU", simulator)
            }
            guard host.contains(translated) else { return refuse(tlp, ingress: ingress, label: "UR", simulator) }
            target = translated
        } else {
            guard tlp.address < hostMemoryLimit else { return refuse(tlp, ingress: ingress, label: "UR", simulator) }
            target = tlp.address
        }
        let delta = target &- tlp.address
        // A read waits (and is logged once, when taken) until all its completions fit.
        if tlp.kind == .memoryRead {
            guard let channel = reverse(of: ingress), channel.room >= Self.readCompletionCount(tlp, chunk: completionPayload) else { return false }
        }
        hop(tlp, ingress: ingressName(ingress), egress: "memory", simulator)
        if tlp.kind == .memoryWrite {
            store(target, tlp, clock: simulator.now)
            return true
        }
        Self.forEachReadCompletion(tlp, completer: 0, chunk: completionPayload, dwords: { self.load($0 &+ delta, dwords: $1) }) {
            _ = send($0, to: ingress, from: "memory", simulator)
        }
        return true
    }

    /// A Translation Request (ATS 1.1 §2.2): the IOMMU translates the page and the root complex
    /// answers with one Translation Completion entry, R and W in bits 0-1 and the translated
    /// address in bits 63:12 (R = W = 0: no translation; without a host: UR).
    func translationRequest(_ tlp: TLP, ingress: Int, _ simulator: Simulator) -> Bool {
        guard let host else { return refuse(tlp, ingress: ingress, label: "UR", simulator) }
        guard let channel = reverse(of: ingress), channel.room >= 1 else { return false }
        let t = host.translationRequest(requester: tlp.requesterID, address: tlp.address & ~0xFFF, clock: simulator.now)
        let entry = t.map { ($0.address & ~0xFFF) | ($0.read ? 1 : 0) | ($0.write ? 2 : 0) } ?? 0
        hop(tlp, ingress: ingressName(ingress), egress: "translation", simulator)
        return send(TLP(kind: .completionWithData, requesterID: tlp.requesterID, tag: tlp.tag, length: 2, targetID: 0, byteCount: 8,
                        payload: [UInt32(truncatingIfNeeded: entry), UInt32(entry >> 32)]), to: ingress, from: "translation", simulator)
    }

    /// A CPU load or store of the host's own registers (the IOMMU's), answered in the root complex.
    func hostRegisters(_ tlp: TLP, host: any HostMemoryPort, _ simulator: Simulator) -> Bool {
        hop(tlp, ingress: "cpu", egress: "iommu", simulator)
        if tlp.kind == .memoryWrite {
            for (k, dw) in tlp.payload.enumerated() { host.writeRegister(tlp.address + UInt64(4 * k), dw, byteEnables: Endpoint.byteEnables(tlp, dw: k)) }
            return true
        }
        let data = (0..<tlp.length).map { host.readRegister(tlp.address + UInt64(4 * $0)) }
        return send(TLP(kind: .completionWithData, requesterID: tlp.requesterID, tag: tlp.tag, length: tlp.length, targetID: 0, byteCount: 4 * tlp.length,
                        lowerAddress: UInt8(tlp.address & 0x7F), payload: data), to: 0, from: "iommu", simulator)
    }

    /// A dword of host memory (the host's, or the plain one).
    func load(_ address: UInt64) -> UInt32 { host?.read32(address) ?? hostMemory[address] ?? 0 }

    /// `count` dwords of host memory from `address` (the host's in one call).
    func load(_ address: UInt64, dwords count: Int) -> [UInt32] {
        if let host { return host.read(address, dwords: count) }
        return (0..<count).map { load(address &+ UInt64(4 * $0)) }
    }

    /// Writes memory write `tlp`'s payload at `address` of host memory (the host's, in one
    /// call, or the plain one): only the enabled bytes (PCIe Base 4.0 §2.2.5).
    func store(_ address: UInt64, _ tlp: TLP, clock: UInt64) {
        if let host {
            return host.write(address, payload: tlp.payload, firstBE: tlp.firstBE, lastBE: tlp.lastBE, requester: tlp.requesterID, clock: clock)
        }
        for (k, value) in tlp.payload.enumerated() {
            let dword = address + UInt64(4 * k), mask = ConfigWrite.byteMask(Endpoint.byteEnables(tlp, dw: k))
            if mask == ~0 {
                hostMemory[dword] = value
            } else if mask != 0 {
                hostMemory[dword] = (hostMemory[dword] ?? 0) & ~mask | value & mask
            }
        }
    }

    /// The completions answering memory read `tlp` from `memory` (by dword address): the
    /// enabled bytes from the first to the last, split so that every completion but the last
    /// ends at a multiple of `chunk` bytes; each carries the bytes still to come (Byte Count)
    /// and its start's low address bits (Lower Address) (PCIe Base 4.0 §2.3.1.1, §2.2.9).
    public static func readCompletions(_ tlp: TLP, completer: UInt16, chunk: Int, memory: (UInt64) -> UInt32) -> [TLP] {
        readCompletions(tlp, completer: completer, chunk: chunk, dwords: { address, n in (0..<n).map { memory(address + UInt64(4 * $0)) } })
    }

    /// The same, with memory read a completion's dwords at a time (`dwords(address, count)`).
    public static func readCompletions(_ tlp: TLP, completer: UInt16, chunk: Int, dwords: (UInt64, Int) -> [UInt32]) -> [TLP] {
        var out: [TLP] = []
        forEachReadCompletion(tlp, completer: completer, chunk: chunk, dwords: dwords) { out.append($0) }
        return out
    }

    /// The same, each handed to `body` in order as it is made (no list).
    static func forEachReadCompletion(_ tlp: TLP, completer: UInt16, chunk: Int, dwords: (UInt64, Int) -> [UInt32], _ body: (TLP) -> Void) {
        var (start, end) = readSpan(tlp)
        while start < end {
            let stop = min(end, (start / UInt64(chunk) + 1) * UInt64(chunk))
            let firstDW = start & ~3, dws = Int((stop - firstDW + 3) / 4)
            body(TLP(kind: .completionWithData, requesterID: tlp.requesterID, tag: tlp.tag, length: dws, targetID: completer,
                     byteCount: Int(end - start), lowerAddress: UInt8(start & 0x7F), payload: dwords(firstDW, dws)))
            start = stop
        }
    }

    /// How many completions answer memory read `tlp`: one per `chunk`-aligned block its bytes touch.
    static func readCompletionCount(_ tlp: TLP, chunk: Int) -> Int {
        let (start, end) = readSpan(tlp)
        return start < end ? Int((end - 1) / UInt64(chunk) - start / UInt64(chunk)) + 1 : 0
    }

    /// The bytes memory read `tlp` asks for: from its first enabled byte to just past its last.
    static func readSpan(_ tlp: TLP) -> (start: UInt64, end: UInt64) {
        let firstByte = tlp.firstBE == 0 ? 0 : tlp.firstBE.trailingZeroBitCount
        let lastEnables = tlp.length == 1 ? tlp.firstBE : tlp.lastBE
        let lastByte = lastEnables == 0 ? 3 : 7 - lastEnables.leadingZeroBitCount
        return (tlp.address + UInt64(firstByte), tlp.address + UInt64(4 * (tlp.length - 1) + lastByte) + 1)
    }

    /// A TLP passes this node (`HopRecord`).
    func hop(_ tlp: TLP, ingress: @autoclosure () -> String, egress: @autoclosure () -> String, _ simulator: Simulator) {
        hopRecord.record(tlp, node: path, clock: simulator.now, ingress: ingress, egress: egress)
    }
}
