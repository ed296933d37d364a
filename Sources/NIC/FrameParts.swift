import RTL

/// The data of a Tx frame's buffers as their DMA reads finish (82599 §7.2.3: a frame is one or
/// more data descriptors, each a buffer read from host memory), in descriptor order. A frame of
/// one buffer — the usual case — keeps it without a list (one allocation fewer per frame).
struct FrameParts {
    let count: Int
    private var first: [UInt8]?
    private var rest: [[UInt8]?]

    init(count: Int) {
        self.count = count
        rest = count > 1 ? [[UInt8]?](copies: nil, count: count - 1) : []
    }

    /// Part `k`'s bytes arrived.
    mutating func set(_ k: Int, _ bytes: [UInt8]) {
        if k == 0 { first = bytes } else { rest[k - 1] = bytes }
    }

    /// Every part has arrived.
    var complete: Bool { first != nil && rest.allSatisfy { $0 != nil } }

    /// The parts joined in order (those not arrived left out).
    func joined(capacity: Int) -> [UInt8] {
        guard count > 1 else { return first ?? [] }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(capacity)
        if let first { bytes += first }
        for part in rest { if let part { bytes += part } }
        return bytes
    }
}
