import Host
import NIC
import RTL

/// The model's `[[traffic]]`: frames each VM's driver sends (sizes drawn from the entry's seed,
/// else the run's), queued on the driver with the clock each may go (its share of the line
/// rate), from the run's start. A frame goes to the
/// MAC of the destination VF as its driver learnt it (VF_RESET), or to a station beyond the
/// wire; its payload starts with the traffic entry and the frame's number, so every frame is
/// unique, then counts bytes.
enum VMTraffic {
    /// Gives every entry's frames to its driver, drawn as they go; returns how many there are.
    @discardableResult
    static func start(_ platform: Platform) -> Int {
        let now = platform.simulator.now
        var queued = 0
        for (t, traffic) in (platform.model.traffic ?? []).enumerated() {
            guard let driver = platform.vfDrivers[traffic.from], driver.phase == .running, let from = FunctionName(traffic.from, model: platform.model),
                  let port = platform.nics[from.device]?.ports[from.pf] else { continue }
            let destination = traffic.to == "wire" ? 0x02_77_00_00_00_00 | UInt64(t) : (platform.vfDrivers[traffic.to]?.mac ?? 0)
            guard destination != 0 else { continue }
            var rng = DeterministicRNG(seed: traffic.seed ?? platform.runSeed &+ UInt64(t))
            let load = UInt64(traffic.load ?? 10), bitsPerSecond = port.receiveMAC.bitsPerSecond
            var bits: UInt64 = 0, k = 0
            let clockHz = platform.simulator.clockHz, source = driver.mac
            driver.send(frames: traffic.frames) {
                let length = [60, 124, 252, 508, 1020, 1514][Int(rng.next() % 6)]
                let frame = Self.frame(to: destination, from: source, length: length, entry: t, number: k)
                let due = now &+ min(NICTraffic.scaled(bits, 100 * clockHz, load * bitsPerSecond), .max - now)
                bits += UInt64(frame.wireBytes * 8)
                k += 1
                return (frame, due)
            }
            queued += traffic.frames
        }
        return queued
    }

    /// `length` bytes (FCS not included): destination, source, EtherType 0x88B5 (local
    /// experimental), the entry and number as 4 bytes each, then a counting payload.
    static func frame(to destination: UInt64, from source: UInt64, length: Int, entry: Int, number: Int) -> EthernetFrame {
        func be32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } }
        var bytes = MACWords.octets(destination) + MACWords.octets(source) + [0x88, 0xB5] + be32(entry) + be32(number)
        bytes.reserveCapacity(length)
        while bytes.count < length { bytes.append(UInt8(truncatingIfNeeded: bytes.count)) }
        return EthernetFrame(bytes)
    }
}
