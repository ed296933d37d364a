@testable import NIC
import PCIe
import RTL
import Testing

/// The DMA engine on its own, clocked, with a test host at the other end of its request and
/// completion channels: a host that answers reads out of order, or with Completer Abort.
@Suite("DMA engine with a test host")
struct DMAEngineTests {
    /// Host memory behind the engine's channels: writes land, reads are answered (split at 64
    /// bytes) with `status`; with `reverse`, answers to each batch of reads go in reverse order.
    final class TestHost: Component {
        let path = "host"
        let requests: Channel<TLP>
        let completions: Channel<TLP>
        var memory: [UInt64: UInt32] = [:]
        var status: TLP.CompletionStatus = .successful
        var reverse = false
        var held: [TLP] = []
        var lastArrival: UInt64 = 0
        var answeredOutOfOrder = 0

        init(_ simulator: Simulator, engine: DMAEngine) {
            requests = engine.requests
            completions = engine.completions
            simulator.add(self)
            requests.consumer = self
        }

        func tick(_ simulator: Simulator) {
            while let tlp = requests.pop() {
                if tlp.kind == .memoryWrite {
                    for (k, dw) in tlp.payload.enumerated() { memory[tlp.address + UInt64(4 * k)] = dw }
                } else {
                    held.append(tlp)
                    lastArrival = simulator.now
                }
            }
            guard !held.isEmpty else { return }
            // With `reverse`, wait until three reads are in (or 50 clocks pass without another),
            // then answer the last first.
            if reverse && held.count < 3 && simulator.now < lastArrival + 50 {
                simulator.wake(self, at: lastArrival + 50)
                return
            }
            let batch = reverse ? held.reversed() : held
            if reverse && held.count > 1 { answeredOutOfOrder += held.count }
            held = []
            for read in batch {
                if status != .successful {
                    completions.push(TLP(kind: .completion, requesterID: read.requesterID, tag: read.tag, targetID: 0, status: status, byteCount: 4))
                    continue
                }
                for c in FabricNode.readCompletions(read, completer: 0, chunk: 64, memory: { self.memory[$0] ?? 0 }) { completions.push(c) }
            }
        }
    }

    /// Pool n is VF n at RID 0x0180 + n; every function a bus master; PCIe defaults.
    final class Functions: DeviceFunctions {
        var failed: [(SRIOVDevice.FunctionID, TLP.CompletionStatus)] = []
        func enabledVFs(port: Int) -> Int { 63 }
        func routingID(_ function: SRIOVDevice.FunctionID) -> UInt16 {
            if case .vf(_, let i) = function { return 0x0180 + UInt16(i) }
            return 0x0100
        }
        func busMasterEnabled(_ function: SRIOVDevice.FunctionID) -> Bool { true }
        var requestSettings: DMARequester.Settings { DMARequester.Settings(maxPayload: 128, maxReadRequest: 128, tags: 8) }
        var atsEnabledRequesters: Set<UInt16> { [] }
        func msixControl(_ function: SRIOVDevice.FunctionID) -> (enabled: Bool, functionMask: Bool)? { nil }
        func requestFailed(_ function: SRIOVDevice.FunctionID, status: TLP.CompletionStatus) { failed.append((function, status)) }
        var functionsVersion: UInt64 { 0 }
    }

    struct Rig {
        let simulator = Simulator(clockHz: 250_000_000)
        let nic: NetworkController
        let host: TestHost
        let functions = Functions()

        init() {
            nic = NetworkController(simulator, path: "nic", configuration: .init(map: .i82599, ports: 1, bitsPerSecond: 10_000_000_000))
            host = TestHost(simulator, engine: nic.dma)
            nic.dma.functions = functions
        }

        /// VF `vf`'s driver writes a ring register of its queue 0 through its BAR0 view.
        func write(vf: Int, _ name: String, _ value: UInt32) {
            let offset = VFRegisterWindow.queueRegisterOffset(name, queue: 0, family: "82599")!
            nic.registers.write(.vf(pf: 0, index: vf), bar: 0, offset: UInt64(offset), value: value, byteEnables: 0xF)
        }

        func field(_ register: String, _ field: String, _ value: UInt32) -> UInt32 {
            nic.registers.ports[0].map.register(named: register)!.field(field)!.setting(value, in: 0)
        }

        func run(_ clocks: UInt64 = 200_000) { simulator.run(clocks: clocks) }
    }

    @Test("Tx payload reads answered last-first (and split): frames reach the transmit switch whole and in order")
    func outOfOrderCompletions() {
        let rig = Rig()
        rig.host.reverse = true
        let vf = 1, ring: UInt64 = 0x1000
        var frames: [[UInt8]] = []
        for k in 0..<6 {
            let length = 100 + 150 * k
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 3 + k) }
            frames.append(bytes)
            let buffer = 0x10_0000 + UInt64(k) * 0x1000
            for i in stride(from: 0, to: length, by: 4) {
                rig.host.memory[buffer + UInt64(i)] = (0..<4).reduce(UInt32(0)) { $0 | UInt32(i + $1 < length ? bytes[i + $1] : 0) << UInt32(8 * $1) }
            }
            let d = AdvancedTxDescriptor.data(address: buffer, length: length, endOfPacket: true, reportStatus: true, payloadLength: length)
            for (j, dw) in d.array.enumerated() { rig.host.memory[ring + UInt64(16 * k + 4 * j)] = dw }
        }
        var sent: [[UInt8]] = []
        rig.nic.ports[0].transmitter.decided = { request, _, _, _, _ in sent.append(request.frame.bytes) }
        rig.write(vf: vf, "TDBAL", UInt32(ring))
        rig.write(vf: vf, "TDLEN", 16 * 8)
        rig.write(vf: vf, "TXDCTL", rig.field("TXDCTL[0]", "ENABLE", 1))
        rig.write(vf: vf, "TDT", 6)
        rig.run()
        #expect(rig.host.answeredOutOfOrder > 0, "the host did answer reads out of order")
        #expect(sent == frames, "whole and in order")
        #expect(rig.nic.dma.requester.tagsInUse == 0 && rig.nic.dma.requester.unexpectedCompletions == 0)
    }

    @Test("a descriptor fetch completed with Completer Abort stops the queue (enable bit cleared, failure readable, counted) and is logged by the requester")
    func completerAbort() {
        let rig = Rig()
        rig.host.status = .completerAbort
        rig.write(vf: 2, "RDBAL", 0x2000)
        rig.write(vf: 2, "RDLEN", 16 * 8)
        rig.write(vf: 2, "RXDCTL", rig.field("RXDCTL[0]", "ENABLE", 1))
        rig.write(vf: 2, "RDT", 4)
        rig.run()
        let ring = rig.nic.dma.receiveRing(port: 0, queue: 4)
        #expect(ring.failure == .completerAbort && !ring.enabled)
        #expect(rig.nic.registers.ports[0].peek("RXDCTL[4]", field: "ENABLE") == 0)
        #expect(rig.nic.dma.counters(port: 0).queueErrors == 1)
        #expect(rig.functions.failed.count == 1 && rig.functions.failed.first?.1 == .completerAbort)
        // The engine keeps going: with the host answering again, re-enabling the queue works.
        rig.host.status = .successful
        rig.write(vf: 2, "RXDCTL", rig.field("RXDCTL[0]", "ENABLE", 1))
        rig.run()
        #expect(rig.nic.dma.receiveRing(port: 0, queue: 4).enabled && rig.nic.dma.receiveRing(port: 0, queue: 4).cached == 4)
    }

    /// A component that writes a register in its tick at one clock (as the endpoint delivers
    /// a driver's MMIO write): added before the NIC, so it ticks before the engine in that clock.
    final class Writer: Component {
        let path = "writer"
        var at: UInt64 = .max
        var write: () -> Void = {}
        func tick(_ simulator: Simulator) { if simulator.now == at { write() } }
    }

    @Test("a doorbell rung in clock t is acted on in clock t + 1, whether or not the engine ticks in clock t", arguments: [false, true])
    func doorbellNextClock(engineBusy: Bool) {
        let simulator = Simulator(clockHz: 250_000_000)
        let writer = Writer()
        simulator.add(writer)
        let nic = NetworkController(simulator, path: "nic", configuration: .init(map: .i82599, ports: 1, bitsPerSecond: 10_000_000_000))
        let host = TestHost(simulator, engine: nic.dma)
        let functions = Functions()   // the engine holds it uncounted
        nic.dma.functions = functions
        func write(_ name: String, _ value: UInt32) {
            let offset = VFRegisterWindow.queueRegisterOffset(name, queue: 0, family: "82599")!
            nic.registers.write(.vf(pf: 0, index: 1), bar: 0, offset: UInt64(offset), value: value, byteEnables: 0xF)
        }
        let d = AdvancedTxDescriptor.data(address: 0x10_0000, length: 60, endOfPacket: true, reportStatus: true, payloadLength: 60)
        for (j, dw) in d.array.enumerated() { host.memory[0x1000 + UInt64(4 * j)] = dw }
        write("TDBAL", 0x1000)
        write("TDLEN", 16 * 8)
        write("TXDCTL", nic.registers.ports[0].map.register(named: "TXDCTL[0]")!.field("ENABLE")!.setting(1, in: 0))
        simulator.run(clocks: 100)
        // The tail write lands at clock 500; with `engineBusy` the engine also ticks then (as it
        // does whenever it has other work): it must not see the write before clock 501.
        var reads: [UInt64] = []
        nic.dma.issued = { tlp, clock in if tlp.kind == .memoryRead { reads.append(clock) } }
        writer.at = 500
        writer.write = { write("TDT", 1) }
        simulator.wake(writer, at: 500)
        if engineBusy { simulator.wake(nic.dma, at: 500) }
        simulator.run(clocks: 1_000)
        #expect(reads.first == 501, "the descriptor fetch goes out in the clock after the doorbell")
        #expect(nic.dma.counters(port: 0).transmittedFrames == 1, "and the frame goes")
        withExtendedLifetime(functions) {}
    }
}

/// Vectors that fall due on the same clock fire in device order (PF, then its VFs, by vector),
/// whatever order they were held in: a dictionary's order differs between processes, and it
/// made two runs of the 82576 model send their MSI writes in different orders.
@Suite("EITR expiry order")
struct InterruptExpiryTests {
    @Test("due vectors come out in device order for any order they were deferred in", arguments: [1, 2, 3, 4, 5])
    func order(seed: Int) throws {
        let nic = NetworkController(Simulator(clockHz: 250_000_000), path: "nic", configuration: .init(map: .i82576, ports: 2, bitsPerSecond: 1_000_000_000))
        let unit = nic.dma.interrupts
        var keys: [InterruptUnit.Key] = [.init(function: .pf(0), vector: 0), .init(function: .pf(1), vector: 0)]
        for p in 0..<2 { for v in 0..<7 { for vector in 0..<2 { keys.append(.init(function: .vf(pf: p, index: v), vector: vector)) } } }
        var rng = DeterministicRNG(seed: UInt64(seed))
        for k in keys.indices.reversed() { keys.swapAt(k, Int(rng.next() % UInt64(k + 1))) }
        for key in keys { unit.hold(key, until: 100) }
        unit.hold(.init(function: .vf(pf: 0, index: 0), vector: 3), until: 101)   // not due yet
        let due = unit.due(at: 100)
        #expect(due.count == keys.count)
        #expect(due == keys.sorted())
        #expect(due.first == .init(function: .pf(0), vector: 0) && due[1] == .init(function: .vf(pf: 0, index: 0), vector: 0))
        #expect(due.last == .init(function: .vf(pf: 1, index: 6), vector: 1))
        #expect(unit.nextDue == 100)
        for key in due { unit.release(key) }
        #expect(unit.nextDue == 101)
        unit.release(.init(function: .vf(pf: 0, index: 0), vector: 3))
        #expect(unit.nextDue == nil)
    }
}
