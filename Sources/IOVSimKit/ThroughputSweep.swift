import Foundation
import NIC
import PCIe
import RTL

/// `iovsim run MODEL --sweep-frame-sizes`: the sustained receive rate of each port, for 64 to
/// 1518-byte frames, and what limits it. Per size, a fresh platform from the model (its own
/// generators and `[[traffic]]` left out) is brought up with its VMs' drivers; then each port's
/// wire offers frames of that size back to back at the line rate, addressed in turn to the
/// VFs the VMs' drivers run on that port. After a warm-up the window is measured: frames the
/// DMA engine wrote into host memory per port, the packet buffer's misses (MPC) and the
/// frames that found no descriptor (RNBC), the upstream PCIe link's busy clocks and bytes, and
/// the clocks the DMA engine waited for a free tag.
public enum ThroughputSweep {
    public static let sizes = [64, 128, 256, 512, 1024, 1518]
    /// Clocks run after the drivers are up, before the measured window.
    public static let warmUp: UInt64 = 50_000

    public struct Row: Sendable {
        public let size: Int
        public let port: String
        /// Frames per second at the line rate (preamble, SFD and inter-frame gap included).
        public let lineMpps: Double
        /// Frames per second written into host memory, and their bits (frames with FCS).
        public let mpps: Double
        public let gbps: Double
        public let limit: String
        /// Frames written into host memory in the window: a rate is good to one of them.
        public let frames: UInt64
    }

    public struct Report: Sendable {
        public let model: String
        public let window: UInt64
        public let clockHz: UInt64
        /// Per port, the VFs frames were addressed to.
        public let receivers: [String: [String]]
        public let rows: [Row]

        public func render() -> String {
            var out = "\(model): receive throughput per port, frames back to back at the line rate to the VMs' VFs; "
            out += "\(window) clocks (\(String(format: "%.3f", Double(window) / Double(clockHz) * 1000)) ms) measured after \(ThroughputSweep.warmUp) of warm-up\n"
            for (port, vfs) in receivers.sorted(by: { $0.key < $1.key }) { out += "  \(port): \(vfs.joined(separator: ", "))\n" }
            let header = ["bytes", "port", "line rate Mpps", "Mpps", "Gb/s", "limited by"]
            let lines = rows.map { [String($0.size), $0.port, String(format: "%.3f", $0.lineMpps), String(format: "%.3f", $0.mpps), String(format: "%.2f", $0.gbps), $0.limit] }
            let widths = header.indices.map { k in ([header[k]] + lines.map { $0[k] }).map(\.count).max()! }
            func row(_ cells: [String]) -> String {
                cells.enumerated().map { k, cell in k == cells.count - 1 ? cell : cell.padding(toLength: widths[k], withPad: " ", startingAt: 0) }.joined(separator: "  ")
            }
            out += row(header) + "\n"
            for line in lines { out += row(line) + "\n" }
            // A short window holds few large frames: say how far a rate can be off (over 1%).
            if let fewest = rows.min(by: { $0.frames < $1.frames }), fewest.frames < 100 {
                out += "note: \(fewest.port) took \(fewest.frames) frames of \(fewest.size) bytes in the window: a rate is good to one frame "
                    + "(\(String(format: "%.1f", 100 / Double(max(fewest.frames, 1))))%); a longer --cycles narrows it\n"
            }
            return out
        }
    }

    /// The sweep over `sizes`, measuring `window` clocks per size.
    public static func run(file: String, seed: UInt64? = nil, window: UInt64, sizes: [Int] = sizes) throws -> Report {
        var model = try ModelLoader.load(path: file)
        guard model.device.nic != nil else { throw UsageError("--sweep-frame-sizes: \(model.name) has no NIC ([device.nic]) to take frames") }
        model.generator = nil
        model.traffic = nil
        var rows: [Row] = [], receivers: [String: [String]] = [:], clockHz: UInt64 = 0
        for size in sizes {
            let measured = try measure(model, seed: seed, size: size, window: window)
            guard !measured.receivers.isEmpty else {
                throw UsageError("--sweep-frame-sizes: no VM of \(model.name) has a VF driver up to receive frames ([[vm]] functions)")
            }
            rows += measured.rows
            receivers = measured.receivers
            clockHz = measured.clockHz
        }
        return Report(model: model.name, window: window, clockHz: clockHz, receivers: receivers, rows: rows)
    }

    static func measure(_ model: ModelFile, seed: UInt64?, size: Int, window: UInt64) throws -> (rows: [Row], receivers: [String: [String]], clockHz: UInt64) {
        let platform = try Platform(model: model, seed: seed)
        let simulator = platform.simulator
        let ports = platform.nics.keys.sorted().flatMap { name in platform.nics[name]!.ports.map { (device: name, port: $0) } }
        // The sources are components: made before bring-up, fed once the drivers are up.
        let sources = ports.map { FrameSource(simulator, path: "\($0.port.path).sweep", port: $0.port) }
        defer { platform.stopDrivers() }
        platform.bringUp()
        var receivers: [String: [String]] = [:]
        for ((device, port), source) in zip(ports, sources) {
            let vfs = platform.vfDrivers.filter { name, driver in
                guard let f = FunctionName(name, model: model), driver.phase == .running else { return false }
                return f.device == device && f.pf == port.index
            }.sorted { $0.key < $1.key }
            guard !vfs.isEmpty else { continue }
            receivers[port.path] = vfs.map(\.key)
            let macs = vfs.map(\.value.mac)
            var k = 0
            source.next = {
                defer { k += 1 }
                return (EthernetFrame(destination: macs[k % macs.count], source: FrameGenerator.station, size: size), 0)
            }
            source.start(simulator)
        }
        simulator.run(clocks: warmUp)
        let links = ports.map { platform.endpoints[$0.device]?.link?.up }
        func snapshot() -> [(received: UInt64, missed: UInt64, noDescriptor: UInt64, busy: UInt64, bytes: UInt64, tagStalls: UInt64)] {
            zip(ports, links).map { p, link in
                let nic = platform.nics[p.device]!, c = nic.dma.counters(port: p.port.index)
                return (c.receivedFrames, c.missed, c.noDescriptor, link?.busyClocks ?? 0, link?.bytes ?? 0, nic.dma.requester.tagStalls)
            }
        }
        let before = snapshot()
        simulator.run(clocks: window)
        let after = snapshot()
        let seconds = Double(window) / Double(simulator.clockHz)
        var rows: [Row] = []
        // A device's ports share its link: its bytes are spread over all their frames.
        let linkFrames = Dictionary(ports.indices.map { (ports[$0].device, after[$0].received - before[$0].received) }, uniquingKeysWith: +)
        for (k, p) in ports.enumerated() where receivers[p.port.path] != nil {
            let frames = after[k].received - before[k].received
            let missed = after[k].missed - before[k].missed, noDescriptor = after[k].noDescriptor - before[k].noDescriptor
            let busy = Double(after[k].busy - before[k].busy) / Double(window)
            let shared = linkFrames[p.device] ?? frames
            let bytesPerFrame = shared == 0 ? 0 : Double(after[k].bytes - before[k].bytes) / Double(shared)
            let tagWait = Double(after[k].tagStalls - before[k].tagStalls) / Double(window)
            let line = Double(p.port.bitsPerSecond) / Double(8 * EthernetFrame.wireBytes(size: size))
            let rate = Double(frames) / seconds
            let pcie = String(format: "PCIe upstream %.0f%% busy, %.0f TLP bytes per frame", 100 * busy, bytesPerFrame)
            let limit: String
            if missed + noDescriptor == 0 && rate >= 0.98 * line {
                limit = "wire (\(pcie))"
            } else if busy >= 0.9 {
                let backlog = missed > 0 ? "\(missed) frames missed: packet buffer full" : "the packet buffer filling"
                limit = "PCIe link bandwidth and TLP overhead (\(pcie); \(backlog))"
            } else if tagWait >= 0.5 {
                limit = "tags (the DMA engine waited for a free tag \(String(format: "%.0f", 100 * tagWait))% of clocks; \(pcie))"
            } else if noDescriptor > missed {
                limit = "descriptors (\(noDescriptor) frames found no descriptor: the drivers' refill; \(pcie))"
            } else if missed > 0 {
                limit = "packet buffer (\(missed) frames missed; \(pcie))"
            } else {
                limit = "the frames offered (\(pcie))"
            }
            rows.append(Row(size: size, port: p.port.path, lineMpps: line / 1e6, mpps: rate / 1e6, gbps: rate * Double(8 * size) / 1e9, limit: limit, frames: frames))
        }
        return (rows, receivers, simulator.clockHz)
    }
}
