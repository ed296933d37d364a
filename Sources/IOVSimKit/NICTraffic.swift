import Foundation
import NIC
import Proofs
import RTL
import Trace

/// The frames of an `iovsim run`: pcap files and the model's generators fed to the NIC's ports
/// (onto a wire, or sent by a function's pool), and what came out written as pcaps (one per
/// wire direction per port, one per pool that received frames) and as a frame log.
final class NICTraffic {
    /// Where a pcap's frames go: a port's wire, or a function's pool (transmitted by it).
    struct Target: CustomStringConvertible {
        let device: String
        let port: Int
        let function: FunctionName?
        var description: String { function?.description ?? "\(device).port\(port)" }
    }

    struct Input {
        /// The option that gave it, for messages: `--pcap-in FILE@TARGET` or `--frame SPEC`.
        let option: String
        let records: [Pcap.Record]
        let target: Target
        /// The clock its first frame goes at (default: when the traffic starts).
        var at: UInt64?
    }

    let platform: Platform
    let inputs: [Input]
    var sources: [FrameSource] = []
    var writers: [String: PcapWriter] = [:]
    var directory: String?
    var log: FrameLog?
    /// Called with every file created, so a failed run can remove it.
    var created: (String) -> Void = { _ in }
    /// The first error writing a pcap mid-run (reported when the run ends).
    var writeError: OutputError?

    /// Checks every `--pcap-in` and `--frame` target and reads every file, before the first clock.
    init(platform: Platform, pcapIn: [(path: String, target: String?)], frames: [FrameReplay] = []) throws {
        self.platform = platform
        let model = platform.model
        let first = model.effectivePlatform.device[0].name
        var inputs: [Input] = []
        for (path, text) in pcapIn {
            guard model.device.nic != nil else { throw UsageError("--pcap-in \(path): \(platform.model.name) has no NIC ([device.nic]) to take frames") }
            let option = "--pcap-in \(path)@\(text ?? "\(first).port0")"
            let target = try Self.target(text ?? "\(first).port0", model: model, option: option)
            do {
                inputs.append(Input(option: option, records: try Pcap.read(path: path), target: target))
            } catch let error as Pcap.FormatError {
                throw InputError(path: path, reason: error.message + " (\(error.field))")
            } catch {
                throw InputError(path: path, reason: (error as NSError).localizedDescription)
            }
        }
        for frame in frames {
            guard model.device.nic != nil else { throw UsageError("--frame \(frame): \(platform.model.name) has no NIC ([device.nic]) to take frames") }
            let option = "--frame \(frame)"
            let target = try Self.target(frame.from, model: model, option: option)
            inputs.append(Input(option: option, records: [Pcap.Record(nanoseconds: 0, bytes: frame.frame.bytes)], target: target, at: frame.clock))
        }
        self.inputs = inputs
        // The sources are components: made now, before the first clock; fed from `start`.
        for input in inputs {
            let port = platform.nics[input.target.device]!.ports[input.target.port]
            sources.append(FrameSource(platform.simulator, path: "\(port.path).pcap\(sources.count)", port: port))
        }
        for generator in model.generator ?? [] {
            let parts = generator.port.split(separator: ".")
            let port = platform.nics[String(parts[0])]!.ports[Int(parts[1].dropFirst(4))!]
            sources.append(FrameSource(platform.simulator, path: "\(port.path).generator\(sources.count)", port: port))
        }
    }

    /// `nic0.port1`, `nic0.pf0` or `nic0.pf0.vf3`.
    static func target(_ text: String, model: ModelFile, option: String) throws -> Target {
        let parts = text.split(separator: ".").map(String.init)
        if parts.count == 2, parts[1].hasPrefix("port"), let n = Int(parts[1].dropFirst(4)),
           model.effectivePlatform.device.contains(where: { $0.name == parts[0] }), model.device.pf.indices.contains(n) {
            return Target(device: parts[0], port: n, function: nil)
        }
        if let function = FunctionName(text, model: model) { return Target(device: function.device, port: function.pf, function: function) }
        let device = model.effectivePlatform.device[0].name
        throw UsageError("\(option): '\(text)' is not a port or function of \(model.name) (expected \(device).port0 for the wire, or \(device).pf0.vf1 for frames that VF sends)")
    }

    /// `value * numerator / denominator` without overflow in the product; saturates at the
    /// largest clock (a capture hours long, a generator of millions of frames).
    static func scaled(_ value: UInt64, _ numerator: UInt64, _ denominator: UInt64) -> UInt64 {
        let (high, low) = value.multipliedFullWidth(by: numerator)
        guard high < denominator else { return .max }
        return denominator.dividingFullWidth((high, low)).quotient
    }

    func nanoseconds(_ clock: UInt64) -> UInt64 { Self.scaled(clock, 1_000_000_000, platform.simulator.clockHz) }

    /// The pcap directory, created if missing.
    func makeDirectory(_ directory: String?) throws {
        self.directory = directory
        if let directory {
            do { try OutputFile.createDirectory(directory) } catch let failure as OutputFile.Failure {
                throw OutputError(path: directory, reason: failure.reason)
            }
        }
    }

    /// Opens the pcaps and hooks every port's observers (before the first clock).
    func openOutputs(frameLog: FrameLog?) throws {
        log = frameLog
        for name in platform.nics.keys.sorted() {
            for port in platform.nics[name]!.ports {
                try hook(port)
            }
        }
    }

    /// The writer for `name` in the pcap directory, created on first use.
    func writer(_ name: String) -> PcapWriter? {
        guard let directory, writeError == nil else { return nil }
        if let w = writers[name] { return w }
        let path = (directory as NSString).appendingPathComponent("\(name).pcap")
        do {
            let w = try PcapWriter(path: path)
            created(path)
            writers[name] = w
            return w
        } catch {
            writeError = OutputError(path: path, reason: (error as? OutputFile.Failure)?.reason ?? "\(error)")
            return nil
        }
    }

    func hook(_ port: EthernetPort) throws {
        let name = port.path
        // Both wire files exist from the start, empty if no frame passes.
        let wireIn = "\(name).wire-in", wireOut = "\(name).wire-out"
        _ = writer(wireIn)
        _ = writer(wireOut)
        if let writeError { throw writeError }
        // Names and log lines are made only when there is a pcap or a log to take them.
        let poolNames = directory == nil ? [] : (0..<port.pools).map { "\(name).pool\($0)" }
        port.receiveMAC.arrived = { [unowned self] frame, clock, outcome in
            writer(wireIn)?.record(nanoseconds: nanoseconds(clock), bytes: frame.bytes)
            log?.record(clock: clock, port: name, stage: "wire-in", outcome: outcome.rawValue, frame: frame.bytes)
        }
        port.sorter.decided = { [unowned self] frame, pools, reason, clock in
            guard let log else { return }
            let outcome = reason == .delivered
                ? "pools=" + (0..<64).filter { pools >> UInt64($0) & 1 == 1 }.map(String.init).joined(separator: ",")
                : "dropped: \(reason)"
            log.record(clock: clock, port: name, stage: "sorter", outcome: outcome, frame: frame.bytes)
        }
        port.poolReceived = { [unowned self] pool, frame, clock, _ in
            guard pool < poolNames.count else { return }
            writer(poolNames[pool])?.record(nanoseconds: nanoseconds(clock), bytes: frame.bytes)
        }
        port.transmitter.decided = { [unowned self] request, toWire, local, reason, clock in
            guard let log else { return }
            let outcome: String
            if reason != .sent {
                outcome = "pool=\(request.pool) dropped: \(reason)"
            } else {
                let copies = (0..<64).filter { local >> UInt64($0) & 1 == 1 }.map(String.init).joined(separator: ",")
                outcome = "pool=\(request.pool) \(toWire ? "wire" : "-") local=\(copies.isEmpty ? "-" : copies)"
            }
            log.record(clock: clock, port: name, stage: "tx", outcome: outcome, frame: request.frame.bytes)
        }
        port.wireTransmitted = { [unowned self] frame, clock in
            writer(wireOut)?.record(nanoseconds: nanoseconds(clock), bytes: frame.bytes)
            log?.record(clock: clock, port: name, stage: "wire-out", outcome: "sent", frame: frame.bytes)
        }
    }

    /// Starts the pcaps' and the generators' frames, from now (after the PF drivers' set-up).
    func start() throws {
        let simulator = platform.simulator
        let now = simulator.now
        for (input, source) in zip(inputs, sources) {
            let nic = platform.nics[input.target.device]!
            if let f = input.target.function {
                guard let pool = platform.pool(device: f.device, pf: f.pf, vf: f.vf) else {
                    throw UsageError("\(input.option): \(f) has no pool on the \(nic.registers.ports[f.pf].map.family) after bring-up")
                }
                source.target = .pool(pool)
            }
            // The capture's own spacing, from its first frame, in clocks.
            let records = input.records, t0 = records.map(\.nanoseconds).min() ?? 0
            let now = max(now, input.at ?? now)
            var k = 0
            source.next = {
                guard k < records.count else { return nil }
                defer { k += 1 }
                let offset = Self.scaled(records[k].nanoseconds - t0, simulator.clockHz, 1_000_000_000)
                return (EthernetFrame(records[k].bytes), now &+ min(offset, .max - now))
            }
            source.start(simulator)
        }
        for (generator, source) in zip(platform.model.generator ?? [], sources.dropFirst(inputs.count)) {
            let port = source.port
            var weights: [FrameGenerator.Kind: Int] = [:]
            for kind in FrameGenerator.Kind.allCases { weights[kind] = generator.mix?.weight(kind) ?? (kind == .unicast ? 1 : 0) }
            let nic = platform.nics[String(port.path.split(separator: ".")[0])]!
            var frames = FrameGenerator(seed: generator.seed ?? 1, weights: weights, tables: nic.registers.filters(port: port.index).tables, size: generator.size)
            let load = UInt64(generator.load ?? 100), total = generator.frames
            let bitsPerSecond = port.receiveMAC.bitsPerSecond
            var k = 0, bits: UInt64 = 0
            source.next = {
                guard k < total else { return nil }
                k += 1
                let (_, frame) = frames.next()
                // At `load` percent a frame's wire time is stretched by 100 / load.
                let offset = Self.scaled(bits, 100 * simulator.clockHz, load * bitsPerSecond)
                let earliest = now &+ min(offset, .max - now)
                bits += UInt64(frame.wireBytes * 8)
                return (frame, earliest)
            }
            source.start(simulator)
        }
    }

    /// Closes the files; the first write error, if any.
    func close() throws {
        if let writeError { throw writeError }
        for path in writers.keys.sorted() {
            do { try writers[path]!.close() } catch { throw OutputError(path: writers[path]!.path, reason: "write failed") }
        }
    }

    /// The summary's NIC lines: per port what came in, was sorted, sent and dropped; per pool
    /// what it got; per pcap written its frames and bytes.
    func report() -> [String] {
        var lines: [String] = []
        for name in platform.nics.keys.sorted() {
            let dma = platform.nics[name]!.dma
            for port in platform.nics[name]!.ports {
                let mac = port.receiveMAC, sorter = port.sorter, tx = port.transmitter
                var line = "\(port.path): wire in \(mac.received + mac.runts + mac.overruns) frames (\(mac.received) accepted, \(mac.runts) runts, \(mac.overruns) overruns)"
                line += "; sorter: \(Self.dropped(sorter.drops))"
                line += "; tx: \(tx.toWireFrames) to the wire, \(tx.loopedFrames) looped back, \(Self.dropped(tx.drops))"
                lines.append(line)
                let pools = (0..<port.pools).filter { port.poolFrames[$0] > 0 }.map { pool in
                    "\(pool)\(label(port, pool)) \(port.poolFrames[pool])"
                }
                if !pools.isEmpty { lines.append("  frames per pool: " + pools.joined(separator: ", ")) }
                let q = dma.counters(port: port.index)
                lines.append("  queues: \(q.receivedFrames) frames into host memory, \(q.noDescriptor) dropped (no descriptor, queue off), "
                             + "\(q.missed) missed (packet buffer full); \(q.transmittedFrames) sent from Tx rings (\(q.transmitOversize) oversize dropped); "
                             + "\(q.queueErrors) queue errors")
            }
            let r = dma.requester, i = dma.interrupts
            lines.append("\(name) DMA: \(r.writesIssued) writes, \(r.readsIssued) reads issued (\(r.tagStalls) clocks waiting for a tag), "
                         + "\(r.failedReads) failed reads, \(r.unexpectedCompletions) unexpected completions; MSI-X: \(i.messages) messages "
                         + "(\(i.throttled) held by EITR, \(i.maskedEvents) pending while masked)")
            if !r.atc.isEmpty || r.translationRequests > 0 {
                lines.append("\(name) ATS: on for \(r.atc.count) function\(r.atc.count == 1 ? "" : "s"); \(r.translationRequests) translation requests, "
                             + "\(r.translatedRequests) translated requests, \(r.translationFailures) requests dropped without a translation; "
                             + "\(r.invalidationsApplied) invalidations applied\(r.ignoresInvalidations ? " (the device ignores them)" : ""); "
                             + "ATC entries: \(r.atc.values.reduce(0) { $0 + $1.entries.count })")
            }
        }
        for note in platform.nicNotes { lines.append("note: \(note)") }
        for name in writers.keys.sorted() {
            let w = writers[name]!
            lines.append("pcap \(w.path): \(w.frames) frames, \(w.bytes) bytes")
        }
        return lines
    }

    /// "3 dropped: 1 oversize for the port; 2 VLAN filter": the total, then each reason's count.
    static func dropped<Reason: RawRepresentable & CustomStringConvertible>(_ drops: [Reason: UInt64]) -> String where Reason.RawValue == UInt64 {
        let reasons = drops.filter { $0.value > 0 }.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key)" }
        return "\(drops.values.reduce(0, +)) dropped" + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; "))
    }

    /// " (nic0.pf0.vf3)" for a pool a function owns.
    func label(_ port: EthernetPort, _ pool: Int) -> String {
        let device = String(port.path.split(separator: ".")[0])
        guard let pfPool = platform.pool(device: device, pf: port.index, vf: nil) else { return "" }
        return pool == pfPool ? " (\(device).pf\(port.index))" : pool < pfPool ? " (\(device).pf\(port.index).vf\(pool))" : ""
    }
}

/// An input file that cannot be read or is not what it should be (a pcap in another format).
public struct InputError: StatusError {
    public let path: String
    public let reason: String
    public var status: ToolStatus { .noInput }
    public var description: String { "\(path): \(reason)" }
}
