import Foundation
import NIC
import RTL
import Testing
import Trace

/// Wire timing of a MAC port: frames arrive at line rate exactly, never faster.
@Suite("MAC port")
struct MACPortTests {
    /// A port at `gbps` Gb/s on a 250 MHz clock, its received frames recorded with their clock.
    static func port(gbps: UInt64) -> (Simulator, MACPort, Channel<EthernetFrame>) {
        let simulator = Simulator(clockHz: 250_000_000)
        let channel = Channel<EthernetFrame>(simulator, path: "nic0.port0.rx", capacity: 1 << 20, latency: 1)
        let port = MACPort(simulator, path: "nic0.port0", bitsPerSecond: gbps * 1_000_000_000, output: channel)
        return (simulator, port, channel)
    }

    static func frame(bytes: Int) -> EthernetFrame {
        EthernetFrame([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00] + Array(repeating: 0xA5, count: bytes - 14))
    }

    @Test("a 10 Gb/s burst of 64- and 1518-byte frames arrives at line rate exactly", arguments: [64, 1518])
    func lineRate(size: Int) {
        let (simulator, port, _) = Self.port(gbps: 10)
        let frame = Self.frame(bytes: size - EthernetFrame.fcs)
        #expect(frame.size == size)
        let count = 10_000
        let arrivals = (0..<count).map { _ in port.offer(frame, atClock: 0, simulator: simulator) }
        // Frame k's last FCS bit is at k * (8 + size + 12) * 8 + (8 + size) * 8 bit times; a
        // bit is 0.1 ns at 10 Gb/s, a clock 4 ns: the arrival is the first clock at or after it.
        let period = (8 + size + 12) * 8, first = (8 + size) * 8
        for k in [0, 1, 2, 3, 4, 5, 99, 1_000, count - 1] {
            let bits = k * period + first
            #expect(arrivals[k] == UInt64((bits + 39) / 40), "frame \(k)")
        }
        // Never faster than the wire: any two frames are at least their wire time apart, up to
        // the rounding of each to a clock.
        for k in 1..<count {
            let gap = Double(arrivals[k] - arrivals[0]) * 4e-9
            #expect(gap >= Double(k * period) * 1e-10 - 4e-9, "frame \(k) early")
        }
        // The rate over the burst: 14,880,952 frames/s for 64 bytes, 812,744 for 1518.
        let seconds = Double(arrivals[count - 1] - arrivals[0]) * 4e-9
        let rate = Double(count - 1) / seconds
        let expected = 1e10 / Double(period)
        #expect(abs(rate - expected) / expected < 1e-4, "\(rate) frames/s, line rate \(expected)")
        // The frames come out on those clocks.
        simulator.run(clocks: arrivals[count - 1] + 10)
        #expect(port.received == UInt64(count))
        #expect(port.receivedBytes == UInt64(count * size))
    }

    @Test("frames offered later than the wire is free keep their time; runts are dropped")
    func offeredTimes() {
        let (simulator, port, channel) = Self.port(gbps: 1)
        let a = port.offer(Self.frame(bytes: 60), atClock: 1_000, simulator: simulator)
        // 1 Gb/s: a bit per ns, 4 bits per clock; 72 bytes of preamble..FCS = 576 bits = 144 clocks.
        #expect(a == 1_000 + 144)
        let b = port.offer(Self.frame(bytes: 60), atClock: 0, simulator: simulator)
        #expect(b == a + (12 + 8 + 64) * 8 / 4, "back to back: the gap, then the next frame's preamble to FCS")
        port.offer(EthernetFrame([1, 2, 3]), atClock: 5_000, simulator: simulator)
        simulator.run(clocks: 6_000)
        #expect(port.received == 2)
        #expect(port.runts == 1)
        #expect(channel.count == 2)
    }

    @Test("a VCD shows the busy line rising on the clock a frame's preamble starts, a clock nothing ticks in")
    func busyLineInTrace() throws {
        let (simulator, port, _) = Self.port(gbps: 10)
        simulator.probe("top.mac.busy", width: 1) { clock in port.busy(at: clock) ? 1 : 0 }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mac-\(UUID().uuidString).vcd").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let vcd = try VCDWriter(path: path, probes: simulator.probes.probes, clockHz: simulator.clockHz)
        // As `iovsim run` traces: every stepped clock sampled, quiet stretches written without stepping.
        simulator.onClock = { clock in vcd.sample(clock: clock, quiet: simulator.quiet) }
        simulator.onQuietClocks = { clocks in for clock in clocks { vcd.sample(clock: clock, quiet: true) } }
        let frame = Self.frame(bytes: 60)
        let arrivals = (0..<3).map { _ in port.offer(frame, atClock: 100, simulator: simulator) }
        simulator.run(clocks: 200)
        try vcd.close()
        // 64-byte frames at 10 Gb/s on a 4 ns clock (40 bits): frame k's preamble starts at bit
        // 4,000 + 672k, on the first clock at or after it; it is busy until its last bit's clock.
        let starts: [UInt64] = (0..<3).map { k in UInt64((4_000 + 672 * k + 39) / 40) }
        var expected: [String] = []
        for k in 0..<3 { expected += ["1@\(starts[k])", "0@\(arrivals[k])"] }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let code = try #require(text.split(separator: "\n").first { $0.hasSuffix(" busy $end") }?.split(separator: " ")[3])
        var time: UInt64 = 0, changes: [String] = []
        for line in text.split(separator: "\n").drop(while: { $0 != "$enddefinitions $end" }) {
            if line.hasPrefix("#") { time = UInt64(line.dropFirst())! / 4_000 }
            if line.dropFirst() == code, time > 0 { changes.append("\(line.prefix(1))@\(time)") }
        }
        #expect(changes == expected, "rises at the preambles' clocks, falls at the arrivals")
        #expect(starts[1] > arrivals[0] + 1, "the second preamble starts on a clock of its own (the gap)")
    }
}
