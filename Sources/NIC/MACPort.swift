import RTL

/// The receive side of one Ethernet port (IEEE 802.3): frames arrive no faster than the line
/// rate allows, each taking its preamble, SFD, bytes, FCS and inter-frame gap of wire time, and
/// are handed to the next stage on the clock their last bit arrives. Wire time is kept in bit
/// times, exactly, so a long burst drifts by no fraction of a clock: 64-byte frames at
/// 10 Gb/s arrive every 67.2 ns, 14,880,952 frames per second.
///
/// A frame offered before the wire is free waits for it (a source cannot be faster than the
/// wire); one the next stage cannot take when it arrives is dropped and counted, as a MAC with
/// a full receive FIFO does. Runts (no complete header) are dropped and counted.
public final class MACPort: Component {
    public let path: String
    /// Line rate in bits per second (1 Gb/s: 1_000_000_000).
    public let bitsPerSecond: UInt64
    let clockHz: UInt64
    /// Where received frames go.
    public let output: Channel<EthernetFrame>
    /// Sees each frame as its last bit arrives: (frame, clock, what became of it).
    public var arrived: ((EthernetFrame, UInt64, Outcome) -> Void)?

    public enum Outcome: String, Sendable {
        case accepted, runt, overrun
    }

    // Registers.
    /// Frames offered and not yet received, in order: (frame, clock its last bit arrives).
    var inFlight = FIFO<(frame: EthernetFrame, start: UInt64, arrival: UInt64)>()
    /// Bit time at which the wire is free for the next frame's preamble.
    var wireFreeBit: UInt64 = 0
    public private(set) var received: UInt64 = 0
    public private(set) var receivedBytes: UInt64 = 0
    public private(set) var runts: UInt64 = 0
    public private(set) var overruns: UInt64 = 0
    /// Its number in the simulator (it wakes itself per frame).
    var componentIndex = 0

    public init(_ simulator: Simulator, path: String, bitsPerSecond: UInt64, output: Channel<EthernetFrame>) {
        precondition(bitsPerSecond > 0, "\(path): line rate must be positive")
        self.path = path
        self.bitsPerSecond = bitsPerSecond
        self.clockHz = simulator.clockHz
        self.output = output
        output.producer = self
        componentIndex = simulator.add(self)
    }

    /// The first bit time at or after a clock edge, and the first clock edge at or after a bit
    /// time: exact, in 128 bits, rounding toward later so nothing is early.
    func bitTime(ofClock clock: UInt64) -> UInt64 {
        let (high, low) = clock.multipliedFullWidth(by: bitsPerSecond)
        guard high < clockHz else { return Self.never }
        let (q, r) = clockHz.dividingFullWidth((high, low))
        return r == 0 ? q : q + 1
    }

    func clock(ofBitTime bits: UInt64) -> UInt64 {
        let (high, low) = bits.multipliedFullWidth(by: clockHz)
        guard high < bitsPerSecond else { return Self.never }
        let (q, r) = bitsPerSecond.dividingFullWidth((high, low))
        return r == 0 ? q : q + 1
    }

    /// Beyond any run: a frame offered this late never arrives.
    static let never = UInt64.max / 4

    /// Puts `frame` on the wire no earlier than `clock`; returns the clock its last bit arrives
    /// (`never` for a time no run reaches, e.g. a capture's timestamp a century on).
    @discardableResult
    public func offer(_ frame: EthernetFrame, atClock earliest: UInt64, simulator: Simulator) -> UInt64 {
        let start = max(bitTime(ofClock: earliest), wireFreeBit)
        guard start < Self.never else { return Self.never }
        let end = start + UInt64(EthernetFrame.preambleAndSFD + frame.size) * 8
        wireFreeBit = end + UInt64(EthernetFrame.interFrameGap) * 8
        let arrival = clock(ofBitTime: end)
        inFlight.append((frame, clock(ofBitTime: start), arrival))
        if inFlight.count == 1 { simulator.wake(index: componentIndex, at: arrival) }
        return arrival
    }

    /// A frame is on the wire at `clock` (from its preamble to its last bit).
    public func busy(at clock: UInt64) -> Bool { inFlight.first.map { $0.start <= clock } ?? false }

    public var lineTrace: String {
        "\(path) in_flight=\(inFlight.count) received=\(received) runts=\(runts) overruns=\(overruns)"
    }

    public func tick(_ simulator: Simulator) {
        while let oldest = inFlight.first, oldest.arrival <= simulator.now {
            let frame = oldest.frame
            inFlight.removeFirst()
            let outcome: Outcome
            if frame.isRunt {
                runts += 1
                outcome = .runt
            } else if output.push(frame, bytes: frame.size) {
                received += 1
                receivedBytes += UInt64(frame.size)
                outcome = .accepted
            } else {
                overruns += 1
                outcome = .overrun
            }
            arrived?(frame, simulator.now, outcome)
        }
        if let oldest = inFlight.first { simulator.wake(index: componentIndex, at: oldest.arrival) }
    }
}
