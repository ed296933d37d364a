import Foundation
import NIC
import PCIe
import Proofs
import RTL
import Trace

/// `iovsim run`: elaborate a model, bring it up (firmware and SR-PCIM over config TLPs), run the
/// DMA workload for the rest of the clocks, with optional VCD and TLP log, and summarise.
public enum Runner {
    public struct Options {
        public var cycles: UInt64 = 100_000
        public var seed: UInt64?
        public var vcd: String?
        public var signals: [String] = []
        public var from: UInt64 = 0
        public var to: UInt64 = .max
        public var tlpLog: String?
        public var progress = false
        /// Pinned $date for byte-comparable VCDs.
        public var vcdDate: String?
        /// Memory writes to issue right after bring-up (or at their clock), each from a function
        /// (`nic0.pf0.vf0`) to an address: how a peer-to-peer, DMA or interrupt counterexample
        /// of `iovsim prove` is replayed in cycles.
        public var writes: [ReplayWrite] = []
        /// pcap files of frames, each onto a port's wire (`nic0.port0`, the default: the first
        /// device's port 0) or sent by a function (`nic0.pf0.vf1`).
        public var pcapIn: [(path: String, target: String?)] = []
        /// Frames given on the command line (`--frame`): how an L2 or anti-spoofing counterexample
        /// of `iovsim prove` is replayed.
        public var frames: [FrameReplay] = []
        /// Directory for the pcaps the run writes (wire in/out per port, one per pool).
        public var pcapOut: String?
        /// One line per frame per stage.
        public var frameLog: String?
        /// Called after every clock with the platform, e.g. by tests that sample probes
        /// themselves to check the VCD against.
        public var clockObserver: ((Platform, UInt64) -> Void)?
        /// The order components tick in within a clock (`Simulator.TickOrder`): results must be
        /// the same either way; tests run models both ways to check it.
        public var tickOrder = Simulator.TickOrder.declaration
        public init() {}
    }

    /// The `count` names nearest `glob`: the longest run of the glob's text before its first
    /// wildcard that a name starts with, then the fewest differing characters, then by name.
    static func closest(to glob: String, among names: [String], count: Int = 5) -> [String] {
        let literal = Array(glob.prefix { !"*?[".contains($0) })
        func shared(_ name: String) -> Int { zip(literal, name).prefix { $0 == $1 }.count }
        /// Edit distance (Levenshtein), one row at a time.
        func distance(_ name: String) -> Int {
            let b = Array(name)
            var row = Array(0...b.count)
            for (i, x) in literal.enumerated() {
                var diagonal = row[0]
                row[0] = i + 1
                for (j, y) in b.enumerated() {
                    let above = row[j + 1]
                    row[j + 1] = min(above + 1, row[j] + 1, diagonal + (x == y ? 0 : 1))
                    diagonal = above
                }
            }
            return row[b.count]
        }
        let ranked = names.map { (name: $0, shared: shared($0), distance: distance($0)) }
        return ranked.sorted { ($0.shared, -$0.distance, $1.name) > ($1.shared, -$1.distance, $0.name) }.prefix(count).map(\.name)
    }

    /// One dword `data` that `function` writes to `address`, after bring-up or at `clock`.
    public struct ReplayWrite: Sendable, Equatable {
        public var function: String
        public var address: UInt64
        public var clock: UInt64?
        public var data: UInt32
        public init(function: String, address: UInt64, clock: UInt64? = nil, data: UInt32 = 0) {
            self.function = function
            self.address = address
            self.clock = clock
            self.data = data
        }
    }

    public struct Summary: Sendable {
        public var model = ""
        public var clocks: UInt64 = 0
        public var simulatedSeconds = 0.0
        public var wallSeconds = 0.0
        public var bringUpClocks: UInt64 = 0
        public var configAccesses = 0
        public var tlpHopsByType: [String: Int] = [:]
        public var dmaRequests: UInt64 = 0
        public var perFunction: [(name: String, writesReceived: Int)] = []
        /// Per VM: what its drivers received and sent, the drops with their reasons, interrupts,
        /// its share of the IOTLB, faults (`FrameLedger`).
        public var vms: [String] = []
        /// Per VM's VF: frames offered, delivered, dropped, in flight, leaked, corrupted.
        public var accounts: [String: (offered: UInt64, delivered: UInt64, dropped: UInt64, inFlight: Int64, leaked: UInt64, corrupted: UInt64)] = [:]
        public var vcdBytes = 0
        public var vcdSignals = 0
        public var tlpLogLines = 0
        public var componentTicks: UInt64 = 0
        /// Per port and pool: frames in, sorted, sent, dropped; the pcaps written.
        public var nic: [String] = []
        /// The host's lines (IOMMU, VMs, guard) and the guard's reports.
        public var host: [String] = []
        public var guardViolations = 0
        public var frameLogLines = 0
        /// The clocks asked for (`--cycles`), when the run went further (bring-up is not cut short).
        public var requestedClocks: UInt64?

        public var clocksPerSecond: Double { wallSeconds > 0 ? Double(clocks) / wallSeconds : 0 }

        public func render() -> String {
            var out = "model \(model): \(clocks) clocks = \(String(format: "%.3f", simulatedSeconds * 1e6)) us simulated in \(String(format: "%.2f", wallSeconds)) s wall (\(String(format: "%.0f", clocksPerSecond)) clocks/s, \(componentTicks) component ticks)\n"
            out += "bring-up: \(configAccesses) config and MMIO requests, \(bringUpClocks) clocks; NIC DMA requests issued: \(dmaRequests)\n"
            if let requested = requestedClocks, requested < clocks {
                out += "note: --cycles \(requested) ends before "
                    + (requested < bringUpClocks ? "bring-up and the drivers' set-up do (\(bringUpClocks) clocks)" : "the replayed writes have had 1,000 clocks")
                    + "; the run went on to clock \(clocks)\n"
            }
            out += "TLP hops by type: " + tlpHopsByType.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
            let active = perFunction.filter { $0.writesReceived > 0 }
            if !active.isEmpty {
                out += "MMIO writes received per function: " + active.map { "\($0.name) \($0.writesReceived)" }.joined(separator: "; ") + "\n"
            }
            if vcdBytes > 0 { out += "VCD: \(vcdSignals) signals, \(vcdBytes) bytes\n" }
            if tlpLogLines > 0 { out += "TLP log: \(tlpLogLines) lines\n" }
            for line in nic { out += line + "\n" }
            for line in host { out += line + "\n" }
            for line in vms { out += line + "\n" }
            if frameLogLines > 0 { out += "frame log: \(frameLogLines) lines\n" }
            return out
        }
    }

    public static func run(file: String, options: Options) throws -> Summary {
        let start = ContinuousClock.now
        let model = try ModelLoader.load(path: file)
        let platform = try Platform(model: model, seed: options.seed)
        platform.simulator.tickOrder = options.tickOrder
        let simulator = platform.simulator
        // At the end, the drivers stop and the clock hook lets go of the platform.
        defer {
            platform.stopDrivers()
            simulator.onClock = nil
            simulator.onQuietClocks = nil
        }
        var summary = Summary()
        summary.model = model.name

        // Everything that can be checked is checked before the first clock: --write targets,
        // globs, output paths. Output files are removed again if the run fails.
        for write in options.writes where FunctionName(write.function, model: model) == nil {
            throw UsageError("--write \(write.function)@0x\(String(write.address, radix: 16))\(write.clock.map { "@\($0)" } ?? ""): '\(write.function)' is not a function of \(file) (expected DEVICE.pfN or DEVICE.pfN.vfM, e.g. \(model.effectivePlatform.device[0].name).pf0.vf0)")
        }
        for glob in options.signals where simulator.probes.matching([glob]).isEmpty && !Glob.matches(glob, "top.clk") {
            let closest = Self.closest(to: glob, among: ["top.clk"] + simulator.probes.probes.map(\.path))
            throw UsageError("--signals '\(glob)' matches no signal; the closest: \(closest.joined(separator: ", "))")
        }
        var created: [String] = []
        var succeeded = false
        defer { if !succeeded { for path in created { try? FileManager.default.removeItem(atPath: path) } } }
        func output<T>(_ path: String, _ open: () throws -> T) throws -> T {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw OutputError(path: path, reason: "is a directory")
            }
            do {
                let opened = try open()
                created.append(path)
                return opened
            } catch let failure as OutputFile.Failure {
                throw OutputError(path: path, reason: failure.reason)
            } catch {
                throw OutputError(path: path, reason: (error as NSError).localizedDescription)
            }
        }
        var vcd: VCDWriter?
        if let path = options.vcd {
            let writer = try output(path) {
                try VCDWriter(path: path, probes: simulator.probes.probes, clockHz: simulator.clockHz,
                              options: .init(globs: options.signals, from: options.from, to: options.to, date: options.vcdDate))
            }
            vcd = writer
            summary.vcdSignals = writer.probes.count
        }
        let log = try options.tlpLog.map { path in try output(path) { try TLPLog(path: path) } }
        let frames = try NICTraffic(platform: platform, pcapIn: options.pcapIn, frames: options.frames)
        if options.pcapOut != nil || options.frameLog != nil, platform.nics.isEmpty {
            throw UsageError("\(options.pcapOut != nil ? "--pcap-out" : "--frame-log"): \(file) has no NIC ([device.nic]), so no frames")
        }
        frames.created = { created.append($0) }
        try frames.makeDirectory(options.pcapOut)
        let frameLog = try options.frameLog.map { path in try output(path) { try FrameLog(path: path) } }
        try frames.openOutputs(frameLog: frameLog)
        if let log { platform.observer = { hop in log.record(hop) } }
        let progress = options.progress ? Progress(total: options.cycles) : nil
        let observer = options.clockObserver
        // Only a trace, a progress line on a terminal or an observer looks at every clock;
        // without one the simulator skips the clocks where nothing is due.
        if vcd != nil || progress?.enabled == true || observer != nil {
            simulator.onClock = { clock in
                vcd?.sample(clock: clock, quiet: simulator.quiet)
                progress?.update(clock: clock)
                observer?(platform, clock)
            }
            // Clocks where nothing is due are quiet: the trace writes their edges without the
            // simulator stepping them (an observer sees every clock).
            if observer == nil {
                simulator.onQuietClocks = { clocks in
                    for clock in clocks { vcd?.sample(clock: clock, quiet: true) }
                    if let last = clocks.last { progress?.update(clock: last) }
                }
            }
        }
        platform.bringUp()
        summary.bringUpClocks = platform.bringUpClocks
        summary.configAccesses = platform.configAccesses
        let state = platform.state()
        /// A replayed write: one dword from the function's routing ID, issued by the NIC's DMA
        /// engine where there is one (so a function with ATS sends it through its ATC, as its
        /// DMA would), else put on the device's link as it is.
        func send(_ write: ReplayWrite) throws {
            let device = String(write.function.split(separator: ".")[0])
            guard let function = state.functions.first(where: { $0.name == write.function }), let endpoint = platform.endpoints[device] else {
                throw VacuousError(file: file, reasons: ["--write: \(write.function) does not exist after bring-up"])
            }
            if let nic = platform.nics[device] {
                nic.dma.issue(requester: function.rid, write: true, address: write.address & ~3, dwords: [write.data], length: 1, simulator)
            } else {
                endpoint.send(TLP(kind: .memoryWrite, requesterID: function.rid, length: 1, address: write.address & ~3, payload: [write.data]), simulator: simulator)
            }
        }
        for write in options.writes where write.clock == nil { try send(write) }
        let ledger = FrameLedger(platform: platform)
        ledger.attach()
        try platform.startTraffic(frames)
        // Writes at a clock go when the traffic has run to it (a counterexample taken there).
        for write in options.writes.filter({ $0.clock != nil }).sorted(by: { $0.clock! < $1.clock! }) {
            if write.clock! > simulator.now { simulator.run(clocks: write.clock! - simulator.now) }
            try send(write)
        }
        // A replayed write gets at least 1,000 clocks to travel, however short the run.
        let end = max(options.cycles, options.writes.isEmpty ? 0 : simulator.now + 1_000)
        if simulator.now < end { simulator.run(clocks: end - simulator.now) }
        progress?.finish()
        do {
            try vcd?.close()
            try log?.close()
            try frameLog?.close()
            try frames.close()
        } catch let error as OutputError {
            throw error
        } catch {
            throw OutputError(path: options.vcd ?? options.tlpLog ?? "", reason: "write failed (\((error as NSError).localizedDescription))")
        }
        succeeded = true

        let elapsed = ContinuousClock.now - start
        summary.wallSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        summary.clocks = simulator.now
        summary.requestedClocks = options.cycles < simulator.now ? options.cycles : nil
        summary.simulatedSeconds = simulator.simulatedSeconds
        summary.tlpHopsByType = Dictionary(uniqueKeysWithValues: platform.hopsByKind.map { ($0.key.rawValue, Int($0.value)) })
        summary.dmaRequests = platform.nics.values.reduce(0) { $0 + $1.dma.requester.writesIssued + $1.dma.requester.readsIssued }
        summary.vms = ledger.report()
        for (name, a) in ledger.accounts { summary.accounts[name] = (a.offered, a.delivered, a.dropped, a.inFlight, a.leaked, a.corrupted) }
        summary.vcdBytes = vcd?.bytesWritten ?? 0
        summary.tlpLogLines = log?.lines ?? 0
        summary.componentTicks = simulator.ticks
        summary.nic = frames.report()
        summary.host = platform.hostReport()
        summary.guardViolations = (platform.host?.violationReports ?? 0) + (platform.host?.interruptViolationCount ?? 0)
        summary.frameLogLines = frameLog?.lines ?? 0
        for name in platform.endpoints.keys.sorted() {
            let endpoint = platform.endpoints[name]!
            for function in endpoint.device.functions {
                let label = "\(name).\(function.id)"
                summary.perFunction.append((label, endpoint.memoryWrites(to: function.id)))
            }
        }
        return summary
    }
}

/// A progress line on a terminal (clocks done, clocks/s, ETA) for runs longer than a second;
/// silent when stderr is not a TTY.
final class Progress {
    let total: UInt64
    let start = ContinuousClock.now
    var lastPrint = ContinuousClock.now
    var printed = false
    let enabled = isatty(2) != 0

    init(total: UInt64) { self.total = total }

    func update(clock: UInt64) {
        guard enabled, clock & 0x3FFF == 0 else { return }
        let now = ContinuousClock.now
        guard now - start > .seconds(1), now - lastPrint > .milliseconds(250) else { return }
        lastPrint = now
        let seconds = Double((now - start).components.seconds) + Double((now - start).components.attoseconds) * 1e-18
        let rate = Double(clock) / max(seconds, 1e-9)
        let eta = rate > 0 && total > clock ? Double(total - clock) / rate : 0
        FileHandle.standardError.write(Data(String(format: "\r%llu/%llu clocks  %.0f clocks/s  ETA %.0f s ", clock, total, rate, eta).utf8))
        printed = true
    }

    func finish() {
        if printed { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
