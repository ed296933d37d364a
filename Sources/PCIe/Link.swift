import RTL

/// A TLP on a link, with a serial number for logs: the TLP its sender made, or dwords made any
/// other way (such as a malformed packet a test injects). The dwords of a sender's TLP are its
/// encoding, made only when something reads them (a trace); debug builds check at the send that
/// they decode back to it.
public struct Packet: Sendable {
    public var serial: UInt64
    /// The sender's TLP or raw dwords: one or the other, so a copy of a packet on its way
    /// through the fabric retains one buffer.
    let content: Content
    enum Content: Sendable {
        case tlp(TLP)
        case raw([UInt32])
    }

    public init(dws: [UInt32], serial: UInt64) {
        content = .raw(dws)
        self.serial = serial
    }

    public init(tlp: TLP, serial: UInt64) {
        content = .tlp(tlp)
        self.serial = serial
        assert(TLP.decode(tlp.encode()) == .success(tlp), "\(tlp) does not survive its encoding")
    }

    /// The sender's TLP, nil for raw dwords.
    public var tlp: TLP? {
        if case .tlp(let tlp) = content { return tlp }
        return nil
    }

    /// The dwords on the wire, header first.
    public var dws: [UInt32] {
        switch content {
        case .tlp(let tlp): tlp.encode()
        case .raw(let dws): dws
        }
    }

    /// DW0's top byte, Fmt[2:0] and Type[4:0] (PCIe Base 4.0 §2.2.1), without encoding the rest.
    public var fmtType: UInt32 {
        switch content {
        case .tlp(let tlp): tlp.fmtType
        case .raw(let dws): (dws.first ?? 0) >> 24
        }
    }

    /// The TLP: the sender's as it is, else the dwords decoded; nil when they do not decode
    /// (what a hop routes: no `Result` built for a sender's TLP).
    public var decodedTLP: TLP? { tlp ?? (try? decoded.get()) }

    /// The TLP: the sender's, else the dwords decoded.
    public var decoded: Result<TLP, TLP.DecodeError> {
        switch content {
        case .tlp(let tlp): .success(tlp)
        case .raw(let dws): TLP.decode(dws)
        }
    }

}

/// A PCIe link between an upstream component and a downstream one: one channel each way, with
/// the model file's latency (clocks) and bandwidth (bytes per clock) (DESIGN.md §3).
public final class Link {
    public let path: String
    /// Toward the device (downstream) and toward the root (upstream).
    public let down: Channel<Packet>
    public let up: Channel<Packet>

    public init(_ simulator: Simulator, path: String, latency: Int, bytesPerClock: Int?, capacity: Int = 32) {
        self.path = path
        down = Channel(simulator, path: path + ".down", capacity: capacity, latency: latency, bytesPerClock: bytesPerClock)
        up = Channel(simulator, path: path + ".up", capacity: capacity, latency: latency, bytesPerClock: bytesPerClock)
    }
}

/// One forwarding decision, for TLP logs and tests: at `node`, a TLP from `ingress` went to
/// `egress` (port names; "up" for the upstream side, "UR"/"ACS" when refused).
public struct Hop: Sendable {
    public let clock: UInt64
    public let node: String
    public let ingress: String
    public let egress: String
    public let tlp: TLP
}

/// Receives every hop; the TLP log and tests subscribe.
public typealias HopObserver = (Hop) -> Void

/// What a node keeps of the TLPs passing it: a count per kind (`TLP.Kind.index`) for run
/// summaries, and the observer (the TLP log, tests), told where each came from and went; the
/// names are made only when someone observes.
public struct HopRecord {
    public var observer: HopObserver?
    public private(set) var byKind = Array(repeating: UInt64(0), count: TLP.Kind.allCases.count)

    public init() {}

    mutating func record(_ tlp: TLP, node: String, clock: UInt64, ingress: () -> String, egress: () -> String) {
        byKind[tlp.kind.index] += 1
        if let observer { observer(Hop(clock: clock, node: node, ingress: ingress(), egress: egress(), tlp: tlp)) }
    }
}

/// Counters every node keeps, for run summaries.
public struct FabricCounters: Sendable, Equatable {
    public var forwarded: UInt64 = 0
    public var unsupportedRequests: UInt64 = 0
    public var acsViolations: UInt64 = 0
    public var malformed: UInt64 = 0
    /// Posted requests refused, malformed packets and unroutable completions: dropped, counted.
    public var dropped: UInt64 = 0
    public var completionsGenerated: UInt64 = 0
    public var nonPostedReceived: UInt64 = 0
    /// Root complex: device requests the host's IOMMU blocked.
    public var translationFaults: UInt64 = 0
}

/// The host above a root complex, as devices' memory requests meet it (the Host module gives
/// one: its memory behind the IOMMU). A request never crosses a 4 KiB boundary, so one
/// translation serves a whole TLP.
public protocol HostMemoryPort: AnyObject {
    /// The host address a device's request at `address` reaches, or nil when the IOMMU blocks
    /// it (and records the fault).
    func translate(requester: UInt16, address: UInt64, length: Int, write: Bool, addressType: UInt8, clock: UInt64) -> UInt64?
    /// A Translation Request (ATS 1.1 §2.1, a memory read with Address Type 01): the host page
    /// `address` translates to and the permissions, or nil (R = W = 0 in the completion).
    func translationRequest(requester: UInt16, address: UInt64, clock: UInt64) -> (address: UInt64, read: Bool, write: Bool)?
    /// A device's Invalidation Completion (ATS 1.1 §3.2) for an Invalidate Request the host sent.
    func invalidationCompleted(requester: UInt16)
    /// `address` is host memory.
    func contains(_ address: UInt64) -> Bool
    func read32(_ address: UInt64) -> UInt32
    /// `count` dwords from dword-aligned `address`, as `read32` of each.
    func read(_ address: UInt64, dwords count: Int) -> [UInt32]
    /// A device's write of the enabled bytes of a dword (the host may check whose page it is).
    func write32(_ address: UInt64, _ value: UInt32, byteEnables: UInt8, requester: UInt16, clock: UInt64)
    /// A device's memory write of `payload` from `address`: the enabled bytes of each dword, the
    /// first dword's by `firstBE`, the last's by `lastBE` (PCIe Base 4.0 §2.2.5), as `write32`
    /// of each.
    func write(_ address: UInt64, payload: [UInt32], firstBE: UInt8, lastBE: UInt8, requester: UInt16, clock: UInt64)
    /// A device's interrupt message (a write to 0xFEEx_xxxx): true when it is delivered, false
    /// when interrupt remapping blocks it.
    func interrupt(requester: UInt16, address: UInt64, data: UInt32, clock: UInt64) -> Bool
    /// The host's own registers the CPU reaches through the root complex (the IOMMU's, at
    /// its DRHD base): whether `address` is one, and dword loads and stores of them.
    func ownsRegister(_ address: UInt64) -> Bool
    func readRegister(_ address: UInt64) -> UInt32
    func writeRegister(_ address: UInt64, _ value: UInt32, byteEnables: UInt8)
}

extension HostMemoryPort {
    public func read(_ address: UInt64, dwords count: Int) -> [UInt32] { (0..<count).map { read32(address &+ UInt64(4 * $0)) } }

    public func write(_ address: UInt64, payload: [UInt32], firstBE: UInt8, lastBE: UInt8, requester: UInt16, clock: UInt64) {
        for (k, dw) in payload.enumerated() {
            write32(address + UInt64(4 * k), dw, byteEnables: TLP.byteEnables(dw: k, of: payload.count, firstBE: firstBE, lastBE: lastBE),
                    requester: requester, clock: clock)
        }
    }

    /// A device's Invalidation Completion for an Invalidate Request the host sent it.
    public func invalidationCompleted(requester: UInt16) {}

    /// Without an IOMMU there is nothing to translate with: no translation.
    public func translationRequest(requester: UInt16, address: UInt64, clock: UInt64) -> (address: UInt64, read: Bool, write: Bool)? { nil }
}
