import PCIe
import Proofs
import RTL

/// Stand-in workload until the NIC datapath exists: the VFs assigned to VMs (all enabled VFs
/// when the model has no VMs) issue DMA to host memory, memory writes and reads of 1-16 DWs at
/// random cache lines of their own 64 KiB buffer (VF k's at k MiB), at random clocks. Every
/// choice comes from the run's seeded RNG, so a seed fixes the traffic; the buffers bound the
/// host memory a long run touches.
public final class TrafficGenerator: Component {
    public let path = "top.dma"
    let platform: Platform
    /// (endpoint, VF routing ID, name).
    var sources: [(endpoint: Endpoint, rid: UInt16, name: String)] = []
    /// One request every `interval` clocks on average.
    public var interval: UInt64 = 8
    public private(set) var issued: [String: Int] = [:]
    public private(set) var requests: UInt64 = 0

    public init(platform: Platform) { self.platform = platform }

    /// Picks the sources from the configured state (after bring-up) and starts.
    public func start(state: PlatformState) {
        let owned = state.functions.filter { $0.owner != nil && $0.name.contains(".vf") }
        let chosen = owned.isEmpty ? state.functions.filter { $0.name.contains(".vf") } : owned
        sources = chosen.compactMap { f in
            platform.endpoints[String(f.name.split(separator: ".")[0])].map { ($0, f.rid, f.name) }
        }
        if !sources.isEmpty { platform.simulator.wake(self, at: platform.simulator.now) }
    }

    public var lineTrace: String { "\(path) sources=\(sources.count) requests=\(requests)" }

    public func tick(_ simulator: Simulator) {
        guard !sources.isEmpty else { return }
        if simulator.rng.next() % interval == 0 {
            let index = Int(simulator.rng.next() % UInt64(sources.count))
            let source = sources[index]
            let length = Int(1 + simulator.rng.next() % 16)
            let address = UInt64(index) << 20 | (simulator.rng.next() % 0x1_0000) & ~0x3F
            let write = simulator.rng.next() % 2 == 0
            let tlp = TLP(kind: write ? .memoryWrite : .memoryRead, requesterID: source.rid, tag: UInt8(truncatingIfNeeded: requests),
                          length: length, firstBE: 0xF, lastBE: length > 1 ? 0xF : 0, address: address,
                          payload: write ? (0..<length).map { _ in UInt32(truncatingIfNeeded: simulator.rng.next()) } : [])
            // Through the NIC's DMA engine where there is one (it owns the tags), else straight out.
            if let dma = platform.nics[source.endpoint.path]?.dma {
                dma.issue(requester: source.rid, write: write, address: address, dwords: tlp.payload, length: length, simulator)
            } else {
                source.endpoint.send(tlp, simulator: simulator)
            }
            issued[source.name, default: 0] += 1
            requests += 1
        }
        simulator.wake(self, after: 1)
    }
}
