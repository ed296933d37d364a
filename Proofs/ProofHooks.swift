import Host
import NIC
import PCIe

/// Test-only mutations of the decision logic the proofs run, one per family, each the one-line
/// change a hardware bug would be: a test turns one on and asserts that its family's proof
/// becomes violated on a platform where it held. The simulator's components take the same
/// hooks, so a replay runs the mutated logic too.
public struct ProofHooks: Sendable, Equatable {
    public var routing: RoutingHooks
    public var translation: TranslationHooks
    public var interrupt: InterruptHooks
    public var sorter: SorterHooks
    public var transmit: TransmitHooks
    public var window: WindowHooks

    public init(routing: RoutingHooks = RoutingHooks(), translation: TranslationHooks = TranslationHooks(), interrupt: InterruptHooks = InterruptHooks(),
                sorter: SorterHooks = SorterHooks(), transmit: TransmitHooks = TransmitHooks(), window: WindowHooks = WindowHooks()) {
        self.routing = routing
        self.translation = translation
        self.interrupt = interrupt
        self.sorter = sorter
        self.transmit = transmit
        self.window = window
    }
}
