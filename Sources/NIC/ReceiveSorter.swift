import RTL

/// The L2 sorter as a clocked stage after a MAC port: one frame per clock from its input
/// channel (whose latency is the sorter's pipeline depth), sorted by `L2Sorter.receive` on the
/// filter tables the registers set at that clock, one copy per selected pool handed to
/// `deliver`, drops counted by reason (sriov-facts §1.3). The pools' receive queues take the copies once they exist (NIC
/// part 2); until then `deliver` is a counting sink.
public final class ReceiveSorter: Component {
    public let path: String
    public let input: Channel<EthernetFrame>
    /// The port's filters as the register maps decode them, read at each frame.
    public var tables: () -> FilterTables<Concrete>
    /// Gets each copy: (pool, frame, clock).
    public var deliver: ((Int, EthernetFrame, UInt64) -> Void)?
    /// The filters' version (it changes whenever a register write may have changed them): when
    /// set, decisions are remembered for frames with the same header until it changes.
    public var tablesVersion: (() -> UInt64)?
    public private(set) var memo = DecisionMemo<L2Sorter.Decision<Concrete>>()
    /// Sees each decision: (frame, pool bitmap, drop reason, clock).
    public var decided: ((EthernetFrame, UInt64, L2Sorter.DropReason, UInt64) -> Void)?

    // Registers (counters).
    public private(set) var poolFrames: [UInt64]
    public private(set) var poolBytes: [UInt64]
    public private(set) var drops: [L2Sorter.DropReason: UInt64] = [:]
    /// The last decision, for traces: pool bitmap and drop reason.
    public private(set) var lastPools: UInt64 = 0
    public private(set) var lastReason: L2Sorter.DropReason = .delivered

    public init(_ simulator: Simulator, path: String, input: Channel<EthernetFrame>, pools: Int, tables: @escaping () -> FilterTables<Concrete>) {
        self.path = path
        self.input = input
        self.tables = tables
        poolFrames = Array(repeating: 0, count: pools)
        poolBytes = poolFrames
        input.consumer = self
        simulator.add(self)
    }

    public var lineTrace: String {
        "\(path) pools=0x\(String(lastPools, radix: 16)) last=\(lastReason) delivered=\(poolFrames.reduce(0, +)) dropped=\(drops.values.reduce(0, +))"
    }

    public func tick(_ simulator: Simulator) {
        guard let frame = input.pop() else { return }
        let header = frame.header
        func decide() -> L2Sorter.Decision<Concrete> { L2Sorter.receive(header, tables()) }
        let decision = tablesVersion.map { memo.value(for: .init(header), version: $0(), decide) } ?? decide()
        lastPools = decision.pools.value
        lastReason = L2Sorter.DropReason(rawValue: decision.dropReason.value) ?? .delivered
        if lastReason != .delivered { drops[lastReason, default: 0] += 1 }
        decided?(frame, lastPools, lastReason, simulator.now)
        for pool in PoolBits(lastPools) where pool < poolFrames.count {
            poolFrames[pool] += 1
            poolBytes[pool] += UInt64(frame.bytes.count)
            deliver?(pool, frame, simulator.now)
        }
        if input.valid { simulator.wake(self, after: 1) }
    }
}
