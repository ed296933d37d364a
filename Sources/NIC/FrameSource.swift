import RTL

/// Feeds a port frames from a pcap or a generator, lazily (a long run does not hold its frames
/// in memory): each frame once the clock `next` gives it has come, either onto the port's
/// receive wire (where the MAC keeps the line rate; up to two frames are kept offered so a
/// back-to-back burst has no gap, and several sources on one wire interleave in time order)
/// or into the port's transmit switch as sent by `pool`.
public final class FrameSource: Component {
    public enum Target: Sendable {
        case wire
        case pool(Int)
    }

    public let path: String
    public let port: EthernetPort
    public var target: Target
    /// The next frame and the earliest clock it may go, or nil when the source is done; set
    /// before `start`.
    public var next: () -> (EthernetFrame, UInt64)? = { nil }
    var pending: (EthernetFrame, UInt64)?
    var arrivals: [UInt64] = []
    public private(set) var offered: UInt64 = 0
    public private(set) var done = false
    /// Its number in the simulator (it wakes itself per frame).
    var componentIndex = 0

    /// Added at elaboration; idle until `start`.
    public init(_ simulator: Simulator, path: String, port: EthernetPort, target: Target = .wire) {
        self.path = path
        self.port = port
        self.target = target
        componentIndex = simulator.add(self)
    }

    /// Starts feeding (its first frame's clock, or now).
    public func start(_ simulator: Simulator) { simulator.wake(self, at: simulator.now) }

    public var lineTrace: String { "\(path) offered=\(offered) done=\(done)" }

    public func tick(_ simulator: Simulator) {
        let now = simulator.now
        arrivals.removeAll { $0 <= now }
        feeding: while !done {
            if pending == nil { pending = next() }
            guard let (frame, earliest) = pending else {
                done = true
                break feeding
            }
            switch target {
            case .wire:
                guard arrivals.count < 2, earliest <= now else { break feeding }
                arrivals.append(port.receive(frame, atClock: max(earliest, now), simulator: simulator))
            case .pool(let pool):
                guard earliest <= now, port.transmit(frame, fromPool: pool) else { break feeding }
            }
            pending = nil
            offered += 1
        }
        guard !done || !arrivals.isEmpty else { return }
        let wake: UInt64
        switch target {
        case .wire: wake = min(arrivals.min() ?? .max, pending?.1 ?? .max)
        case .pool: wake = pending?.1 ?? now + 1
        }
        simulator.wake(index: componentIndex, at: max(wake, now + 1))
    }
}
