/// An uncounted reference to the simulator (its owner holds it), for state that a component
/// shares with others outside channels and must show each side's changes to the other from
/// the next clock (DESIGN.md §3): which clock, if any, is being stepped. Read per access, so
/// without reference counting.
public struct SimulatorReference {
    @usableFromInline let reference: Unmanaged<Simulator>?

    public init(_ simulator: Simulator?) { reference = simulator.map { .passUnretained($0) } }

    public var simulator: Simulator? { reference?.takeUnretainedValue() }

    /// The clock being stepped, if one is (nil between clocks and without a simulator: a
    /// change shows at once).
    @inlinable
    public var steppedClock: UInt64? { reference?._withUnsafeGuaranteedRef { $0.inStep ? $0.now : nil } }
}
