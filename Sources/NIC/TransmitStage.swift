import RTL

/// A frame a pool hands to the port to send: what a Tx queue gives the MAC once the DMA engine
/// of NIC part 2 has fetched it; until then frames are put here directly (a pcap aimed at a
/// function, `--pcap-in FILE@nic0.pf0.vf1`).
public struct TransmitRequest: Sendable {
    public var pool: Int
    public var frame: EthernetFrame
    /// Bytes it holds in the Tx packet buffer (0: not from a Tx queue).
    public var bufferBytes: Int
    public init(pool: Int, frame: EthernetFrame, bufferBytes: Int = 0) {
        self.pool = pool
        self.frame = frame
        self.bufferBytes = bufferBytes
    }
}

/// The transmit switch as a clocked stage: one request per clock from its input channel,
/// decided by `TransmitSwitch.transmit` on the registers' settings at that clock. A frame that
/// fails an anti-spoof check is dropped and the malicious-driver event raised (`spoofed`); a
/// sent frame (with the pool's VLAN inserted if VMVIR says so) goes to the wire (`toWire`)
/// and, with VM-to-VM switching on, one copy to each other local pool that accepts it
/// (`deliver`).
public final class TransmitStage: Component {
    public let path: String
    public let input: Channel<TransmitRequest>
    public let filters: () -> (tables: FilterTables<Concrete>, settings: TransmitSwitch.Settings<Concrete>)
    /// The filters' version, as `ReceiveSorter.tablesVersion`.
    public var filtersVersion: (() -> UInt64)?
    public private(set) var memo = DecisionMemo<TransmitSwitch.Decision<Concrete>>()
    public var toWire: ((EthernetFrame, UInt64) -> Void)?
    /// Gets each local copy: (pool, frame, clock).
    public var deliver: ((Int, EthernetFrame, UInt64) -> Void)?
    /// A sent frame: (sending pool, frame as sent, clock).
    public var sent: ((Int, EthernetFrame, UInt64) -> Void)?
    public var spoofed: ((Int, UInt64) -> Void)?
    /// Sees each decision: (request, to wire, local pools, reason, clock).
    public var decided: ((TransmitRequest, Bool, UInt64, TransmitSwitch.DropReason, UInt64) -> Void)?
    /// The port's Tx packet buffer accounting: (request, goes to the wire).
    var released: ((TransmitRequest, Bool) -> Void)?

    // Registers (counters).
    public private(set) var toWireFrames: UInt64 = 0
    public private(set) var loopedFrames: UInt64 = 0
    public private(set) var drops: [TransmitSwitch.DropReason: UInt64] = [:]
    public private(set) var lastReason: TransmitSwitch.DropReason = .sent

    public init(_ simulator: Simulator, path: String, input: Channel<TransmitRequest>,
                filters: @escaping () -> (tables: FilterTables<Concrete>, settings: TransmitSwitch.Settings<Concrete>)) {
        self.path = path
        self.input = input
        self.filters = filters
        input.consumer = self
        simulator.add(self)
    }

    public var lineTrace: String {
        "\(path) wire=\(toWireFrames) looped=\(loopedFrames) dropped=\(drops.values.reduce(0, +)) last=\(lastReason)"
    }

    public func tick(_ simulator: Simulator) {
        guard let request = input.pop() else { return }
        defer { if input.valid { simulator.wake(self, after: 1) } }
        let header = request.frame.header
        let pool = request.pool & 63
        func decide() -> TransmitSwitch.Decision<Concrete> {
            let (tables, settings) = filters()
            return TransmitSwitch.transmit(header, pool: Bits(UInt64(pool)), tables, settings)
        }
        let decision = filtersVersion.map { memo.value(for: .init(header, pool: pool), version: $0(), decide) } ?? decide()
        let reason = TransmitSwitch.DropReason(rawValue: decision.dropReason.value) ?? .sent
        lastReason = reason
        let local = decision.localPools.value
        decided?(request, decision.toWire.isSet, local, reason, simulator.now)
        released?(request, reason == .sent && decision.toWire.isSet)
        guard reason == .sent else {
            drops[reason, default: 0] += 1
            if decision.spoofed.isSet { spoofed?(request.pool, simulator.now) }
            return
        }
        let frame = decision.frame.tagged.isSet && !header.tagged.isSet ? request.frame.tagged(vlan: UInt16(decision.frame.vlanID.value)) : request.frame
        sent?(request.pool, frame, simulator.now)
        if decision.toWire.isSet {
            toWireFrames += 1
            toWire?(frame, simulator.now)
        }
        for pool in PoolBits(local) {
            loopedFrames += 1
            deliver?(pool, frame, simulator.now)
        }
    }
}

/// The end of a channel that hands each item to a closure the clock it arrives (a wire's far
/// end, a pool's receive side until the queues of NIC part 2 take it).
public final class ChannelSink<Item>: Component {
    public let path: String
    public let input: Channel<Item>
    public var take: ((Item, UInt64) -> Void)?
    public private(set) var taken: UInt64 = 0

    public init(_ simulator: Simulator, path: String, input: Channel<Item>) {
        self.path = path
        self.input = input
        input.consumer = self
        simulator.add(self)
    }

    public var lineTrace: String { "\(path) taken=\(taken)" }

    public func tick(_ simulator: Simulator) {
        // This runs unspecialised (a generic class's tick): `popValid` hands out `Item`, not `Item?`.
        while input.valid {
            let item = input.popValid()
            taken += 1
            take?(item, simulator.now)
        }
    }
}
