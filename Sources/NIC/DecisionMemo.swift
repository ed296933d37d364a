import RTL

/// The results of a pure decision (`L2Sorter.receive`, `TransmitSwitch.transmit`) on the
/// concrete algebra, by the header fields and pool it was asked about, for one version of the
/// filter registers it reads. A frame whose fields and pool were seen since the registers last
/// changed gets the same decision the generic function gave then, without evaluating it again:
/// the hardware's decision is still the one description (its result, remembered), and the
/// prover runs the same function symbolically. At most `limit` entries are kept; past that the
/// memo starts over (traffic with ever-new addresses costs an evaluation per frame, as before).
public struct DecisionMemo<Value> {
    public struct Key: Hashable {
        var destination: UInt64
        var source: UInt64
        /// Tagged (bit 12) and the VLAN ID, the length (bits 16...31), the pool (bits 32...).
        var rest: UInt64

        public init(_ header: FrameHeader<Concrete>, pool: Int = 0) {
            destination = header.destination.value
            source = header.source.value
            rest = header.tagged.value << 12 | header.vlanID.value | header.length.value << 16 | UInt64(pool) << 32
        }
    }

    public static var limit: Int { 4096 }
    var version: UInt64 = .max
    var values: [Key: Value] = [:]
    /// Decisions taken from the memo and evaluated, for reports and tests.
    public private(set) var hits: UInt64 = 0
    public private(set) var evaluations: UInt64 = 0

    public init() {}

    /// The decision for `key` under the registers' `version`, evaluated by `decide` when the memo
    /// does not have it.
    public mutating func value(for key: Key, version: UInt64, _ decide: () -> Value) -> Value {
        if version != self.version || values.count >= Self.limit {
            values.removeAll(keepingCapacity: true)
            self.version = version
        }
        if let value = values[key] {
            hits += 1
            return value
        }
        evaluations += 1
        let value = decide()
        values[key] = value
        return value
    }
}
