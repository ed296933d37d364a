import RTL

/// An SR-IOV endpoint on a link, clocked: answers configuration requests for its PFs and VFs
/// (capturing its bus number from Type 0 requests, claiming Type 1 requests for the further
/// buses its VFs occupy, SR-IOV 1.1 §2.1.2), decodes memory requests against PF BARs (with the
/// PF's Memory Space Enable) and VF apertures (with VF MSE), and sends requests of its own.
/// What lies behind the BARs is the `registers` target's (the NIC's register files); without
/// one, reads return zeros and writes are counted.
public final class Endpoint: Component {
    public let path: String
    public var device: SRIOVDevice {
        willSet { holdAsClockBegan() }
        didSet {
            windows = nil
            configVersion &+= 1
        }
    }
    /// Bumped on every change to the device (config space, bus, VFs): what traces of it watch.
    public private(set) var configVersion: UInt64 = 0
    /// The simulator whose clock the device's logic sees config changes a clock after (none:
    /// at once, as between clocks).
    public var clock: Simulator? {
        get { clockReference.simulator }
        set { clockReference = SimulatorReference(newValue) }
    }
    var clockReference = SimulatorReference(nil)
    /// The device as the clock being stepped began, once a config write (or anything else)
    /// changed it in that clock: what `DeviceFunctions` answers the NIC's logic
    /// from until the next clock (DESIGN.md §3). A Bus Master Enable, an MSI-X Function Mask or
    /// a VF Enable written in a clock reaches the DMA engine and the interrupt unit in the next,
    /// whichever ticks first.
    var asClockBegan: SRIOVDevice?
    /// The clock `asClockBegan` is for (.max: none) and `configVersion` then.
    var heldClock = UInt64.max, heldVersion: UInt64 = 0

    /// The clock being stepped, if one is.
    var steppedClock: UInt64? { clockReference.steppedClock }

    /// The device is about to change: in a clock being stepped, the first change keeps the
    /// device as the clock began for the NIC's logic.
    func holdAsClockBegan() {
        guard let now = steppedClock, heldClock != now else { return }
        (asClockBegan, heldClock, heldVersion) = (device, now, configVersion)
    }

    /// Whether the device is held as a clock began that is the one being stepped (else it is
    /// let go: that clock is over).
    func holding() -> Bool {
        guard heldClock != .max else { return false }
        if heldClock == steppedClock { return true }
        (asClockBegan, heldClock) = (nil, .max)
        return false
    }

    /// `configVersion` as the device's logic sees it now (as the clock began, if the device
    /// changed in the clock being stepped).
    public var seenConfigVersion: UInt64 { holding() ? heldVersion : configVersion }

    /// `body` on the device as the device's logic sees it now (as the clock began, if it
    /// changed in the clock being stepped).
    @inline(__always)
    public func seenDevice<R>(_ body: (SRIOVDevice) -> R) -> R {
        if holding(), let held = asClockBegan { return body(held) }
        return body(device)
    }

    /// The memory windows the device decodes (PF BARs with Memory Space Enable, VF BARs with
    /// VF MSE, in the order `decodeBAR` looks), made when first needed after any change.
    var windows: [Window]?

    struct Window {
        let function: (pf: Int, vf: Bool)
        let bar: Int
        let base: UInt64
        /// The BAR's size (a VF BAR: each VF's aperture) and how many apertures follow.
        let size: UInt64
        let count: Int
    }
    public var link: Link? { didSet { linkRef = link.map { .passUnretained($0) } } }
    /// The same, uncounted, for the tick (the property above holds it): a read of the
    /// property was retained and released, several times a tick.
    var linkRef: Unmanaged<Link>?
    public var observer: HopObserver? {
        get { hopRecord.observer }
        set { hopRecord.observer = newValue }
    }
    /// TLPs that passed this node, by kind (`TLP.Kind.index`), for run summaries.
    public var hops: [UInt64] { hopRecord.byKind }
    var hopRecord = HopRecord()
    /// The device's memory-mapped registers, by function, BAR and offset.
    public var registers: (any MemoryMappedRegisters)?
    /// Requests the device's DMA engine issues (the endpoint puts them on the link behind its
    /// own completions), and where completions for them go.
    public var deviceRequests: Channel<TLP>? {
        didSet { deviceRequests?.consumer = self }
    }
    public var deviceCompletions: Channel<TLP>?
    /// After a config write to a function (MSI-X Function Mask, Bus Master Enable ...).
    public var configWritten: ((SRIOVDevice.FunctionID) -> Void)?
    /// A message routed by ID to one of the device's functions (an ATS Invalidate Request);
    /// the message to send back, if any (its Invalidation Completion).
    public var messageReceived: ((TLP) -> TLP?)?
    /// After a Function Level Reset of a function.
    public var functionReset: ((SRIOVDevice.FunctionID) -> Void)?
    var outbox = FIFO<TLP>()
    var serial: UInt64 = 0
    /// Memory writes received, by function (for tests and reports).
    public var memoryWritesReceived: [SRIOVDevice.FunctionID: Int] {
        var counts: [SRIOVDevice.FunctionID: Int] = [:]
        for (p, perPF) in writesReceived.enumerated() {
            for (k, n) in perPF.enumerated() where n > 0 { counts[k == 0 ? .pf(p) : .vf(pf: p, index: k - 1)] = n }
        }
        return counts
    }
    /// Memory writes received per PF, per function by `FunctionID.place`, counted by index per write.
    var writesReceived: [[Int]] = []

    /// Memory writes `function` received.
    public func memoryWrites(to function: SRIOVDevice.FunctionID) -> Int {
        let (p, k) = function.place
        return p < writesReceived.count && k < writesReceived[p].count ? writesReceived[p][k] : 0
    }
    /// Completions received for the device's own reads (counted, not kept: runs are long).
    public private(set) var completionsReceived: UInt64 = 0
    public private(set) var counters = FabricCounters()

    public init(path: String, device: SRIOVDevice) {
        self.path = path
        self.device = device
    }

    /// One line of state: bus, enabled functions, queued requests, counters.
    public var lineTrace: String {
        "\(path) bus=\(String(device.bus, radix: 16)) functions=\(device.functions.count) outbox=\(outbox.count) " +
            "writes_in=\(writesReceived.joined().reduce(0, +)) cpl_in=\(completionsReceived) ur=\(counters.unsupportedRequests)"
    }

    /// Queues a request the device issues (a VF's DMA or peer write).
    public func send(_ tlp: TLP, simulator: Simulator) {
        outbox.append(tlp)
        simulator.wake(self, at: simulator.now)
    }

    /// The highest bus the device's functions occupy.
    var lastBus: UInt8 { device.lastBus }

    public func tick(_ simulator: Simulator) {
        linkRef?._withUnsafeGuaranteedRef { tick(link: $0, simulator) }
    }

    /// The clock's work with the link in hand.
    func tick(link: Link, _ simulator: Simulator) {
        if let tlp = outbox.first, link.up.ready {
            serial += 1
            link.up.push(Packet(tlp: tlp, serial: serial), bytes: tlp.wireBytes)
            outbox.removeFirst()
        } else if link.up.ready, let tlp = deviceRequests?.pop() {
            hop(tlp, ingress: "dma", egress: "link", simulator)
            serial += 1
            let bytes = tlp.wireBytes
            link.up.push(Packet(tlp: tlp, serial: serial), bytes: bytes)   // the TLP moves into the link
            if deviceRequests?.valid ?? false { simulator.wake(self, after: 1) }
        }
        // Taken whatever the upstream direction holds: completions need no room (an endpoint
        // advertises infinite completion credits, PCIe Base 4.0 §2.6.1) and the replies to
        // requests wait in the outbox. Waiting for room upstream here could deadlock against a
        // root port that waits for room downstream.
        if let packet = link.down.pop() { receive(packet, simulator) }
        if !outbox.isEmpty { simulator.wake(self, after: 1) }
    }

    /// Queues a completion behind whatever the device already has to send.
    func reply(_ tlp: TLP, simulator: Simulator) {
        outbox.append(tlp)
        counters.completionsGenerated += 1
        simulator.wake(self, after: 1)
    }

    func receive(_ packet: Packet, _ simulator: Simulator) {
        guard let tlp = packet.decodedTLP else {
            counters.malformed += 1
            return
        }
        hop(tlp, ingress: "link", egress: destination(of: tlp), simulator)
        if tlp.isCompletion {
            completionsReceived += 1
            deviceCompletions?.push(tlp)
            return
        }
        if tlp.isConfig {
            config(tlp, simulator)
        } else if tlp.kind == .memoryRead || tlp.kind == .memoryWrite {
            memory(tlp, simulator)
        } else if tlp.isIDRoutedMessage, device.function(at: tlp.targetID) != nil, let handler = messageReceived {
            if let answer = handler(tlp) { reply(answer, simulator: simulator) }
        } else {
            counters.dropped += 1
        }
    }

    /// Which function a received TLP is for, for the hop log: a completion's requester, a
    /// config request's target, a memory request's decoded BAR; "UR" where none is.
    func destination(of tlp: TLP) -> String {
        let function: SRIOVDevice.FunctionID?
        if tlp.isCompletion || tlp.isConfig || tlp.isIDRoutedMessage {
            function = device.function(at: tlp.isCompletion ? tlp.requesterID : tlp.targetID)
        } else if tlp.kind == .memoryRead || tlp.kind == .memoryWrite {
            function = decodeMemory(tlp.address)
        } else {
            function = nil
        }
        return function.map { "\($0)" } ?? "UR"
    }

    func config(_ tlp: TLP, _ simulator: Simulator) {
        let bus = UInt8(tlp.targetID >> 8)
        if tlp.kind == .configRead0 || tlp.kind == .configWrite0 {
            if device.bus != bus { device.bus = bus }
        } else if !(bus > device.bus && bus <= lastBus) {
            return unsupported(tlp, simulator)
        }
        let isWrite = tlp.kind == .configWrite0 || tlp.kind == .configWrite1
        guard device.function(at: tlp.targetID) != nil else { return unsupported(tlp, simulator) }
        var data: UInt32 = 0
        if isWrite {
            let function = device.function(at: tlp.targetID)
            for access in ConfigWrite.accesses(byteEnables: tlp.firstBE) {
                device.configWrite(rid: tlp.targetID, offset: tlp.register + access.offset, size: access.size,
                                   value: (tlp.payload.first ?? 0) >> UInt32(8 * access.offset))
            }
            for reset in device.takeResets() { functionReset?(reset) }
            if let function { configWritten?(function) }
        } else {
            data = device.configRead(rid: tlp.targetID, offset: tlp.register, size: 4) ?? 0
        }
        reply(TLP(kind: isWrite ? .completion : .completionWithData, requesterID: tlp.requesterID, tag: tlp.tag,
                  targetID: tlp.targetID, byteCount: 4, payload: isWrite ? [] : [data]), simulator: simulator)
    }

    /// The function whose enabled memory range holds `address`.
    public func decodeMemory(_ address: UInt64) -> SRIOVDevice.FunctionID? { decodeBAR(address)?.function }

    /// The function, BAR index and offset in that BAR of `address`, if an enabled memory range
    /// holds it.
    public func decodeBAR(_ address: UInt64) -> (function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64)? {
        if windows == nil { windows = Self.windows(of: device) }
        for w in windows! where address >= w.base {
            let index = (address - w.base) / w.size
            guard index < UInt64(w.count) else { continue }
            let offset = address - (w.base &+ index &* w.size)
            return (w.function.vf ? .vf(pf: w.function.pf, index: Int(index)) : .pf(w.function.pf), w.bar, offset)
        }
        return nil
    }

    /// The windows of `device`: each PF's memory BARs when its Memory Space Enable is set, then
    /// its VF BARs when VF MSE is set and it has VFs: VF n's aperture of VF BARk is base + n *
    /// size, so decode costs the same however many VFs there are.
    static func windows(of device: SRIOVDevice) -> [Window] {
        var out: [Window] = []
        for (p, pf) in device.pfs.enumerated() {
            let command = pf.config.read(offset: Type0Header.commandOffset, size: 2)!
            if command & 0x2 != 0 {
                for bar in pf.definition.header.bars where bar.kind != .io && bar.size > 0 {
                    out.append(Window(function: (p, false), bar: bar.index, base: bar.base(in: pf.config, at: Type0Header.barOffset + 4 * bar.index),
                                      size: bar.size, count: 1))
                }
            }
            guard pf.vfMemorySpaceEnable, !pf.vfs.isEmpty else { continue }
            for bar in pf.vfBARs where bar.definition.size > 0 {
                out.append(Window(function: (p, true), bar: bar.definition.index, base: bar.base, size: bar.definition.size, count: pf.vfs.count))
            }
        }
        return out
    }

    /// Byte enables of DW `k` of a `length`-DW request (PCIe Base 4.0 §2.2.5).
    static func byteEnables(_ tlp: TLP, dw k: Int) -> UInt8 {
        TLP.byteEnables(dw: k, of: tlp.length, firstBE: tlp.firstBE, lastBE: tlp.lastBE)
    }

    func memory(_ tlp: TLP, _ simulator: Simulator) {
        guard let (function, bar, offset) = decodeBAR(tlp.address) else { return unsupported(tlp, simulator) }
        if tlp.kind == .memoryWrite {
            let (p, k) = function.place
            if p >= writesReceived.count { writesReceived += Array(repeating: [], count: p + 1 - writesReceived.count) }
            if k >= writesReceived[p].count { writesReceived[p] += Array(repeating: 0, count: k + 1 - writesReceived[p].count) }
            writesReceived[p][k] += 1
            for (k, dw) in tlp.payload.enumerated() {
                registers?.write(function, bar: bar, offset: (offset & ~3) + UInt64(4 * k), value: dw, byteEnables: Self.byteEnables(tlp, dw: k))
            }
            return
        }
        let data = (0..<tlp.length).map { k -> UInt32 in
            let enables = Self.byteEnables(tlp, dw: k)
            guard enables != 0, let registers else { return 0 }
            return registers.read(function, bar: bar, offset: (offset & ~3) + UInt64(4 * k), byteEnables: enables)
        }
        // Byte Count and Lower Address from the first enabled byte (§2.3.1.1).
        let firstByte = UInt64(tlp.firstBE == 0 ? 0 : tlp.firstBE.trailingZeroBitCount)
        reply(TLP(kind: .completionWithData, requesterID: tlp.requesterID, tag: tlp.tag, length: tlp.length, targetID: device.rid(of: function),
                  byteCount: 4 * tlp.length, lowerAddress: UInt8((tlp.address & 0x7C) | firstByte),
                  payload: data), simulator: simulator)
    }

    func unsupported(_ tlp: TLP, _ simulator: Simulator) {
        counters.unsupportedRequests += 1
        device.unsupportedRequest(by: tlp.isConfig ? device.function(at: tlp.targetID) : nil)
        if tlp.isPosted {
            counters.dropped += 1
            return
        }
        reply(TLP(kind: .completion, requesterID: tlp.requesterID, tag: tlp.tag, targetID: UInt16(device.bus) << 8,
                  status: .unsupportedRequest, byteCount: 4), simulator: simulator)
    }

    /// A TLP passes this node (`HopRecord`).
    func hop(_ tlp: TLP, ingress: @autoclosure () -> String, egress: @autoclosure () -> String, _ simulator: Simulator) {
        hopRecord.record(tlp, node: path, clock: simulator.now, ingress: ingress, egress: egress)
    }
}

/// What lies behind a device's memory BARs: register files that reads and writes reach, by
/// function, BAR index and dword offset in the BAR (the NIC implements it).
public protocol MemoryMappedRegisters: AnyObject {
    func read(_ function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64, byteEnables: UInt8) -> UInt32
    func write(_ function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64, value: UInt32, byteEnables: UInt8)
}
