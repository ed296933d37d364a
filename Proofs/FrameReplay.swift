import NIC

/// A frame to send in a cycle run (`iovsim run --frame`): how an L2 or anti-spoofing
/// counterexample is replayed. `from` is a port's wire (`nic0.port0`) or a function that sends
/// it (`nic0.pf0.vf0`); `length` counts the destination through the FCS.
public struct FrameReplay: Sendable, Equatable, CustomStringConvertible {
    public var from: String
    public var destination: UInt64
    public var source: UInt64
    public var vlan: UInt16?
    public var length: Int
    /// The clock it is sent at (nil: right after bring-up).
    public var clock: UInt64?

    public init(from: String, destination: UInt64, source: UInt64, vlan: UInt16? = nil, length: Int, clock: UInt64? = nil) {
        self.from = from
        self.destination = destination
        self.source = source
        self.vlan = vlan
        self.length = length
        self.clock = clock
    }

    /// `from=nic0.port0,dst=02:00:00:00:00:01,src=02:10:00:00:00:01,vlan=5,len=64,at=150000`.
    public var description: String {
        "from=\(from),dst=\(MACWords.text(destination)),src=\(MACWords.text(source))" + (vlan.map { ",vlan=\($0)" } ?? "") + ",len=\(length)"
            + (clock.map { ",at=\($0)" } ?? "")
    }

    /// The frame's bytes.
    public var frame: EthernetFrame { EthernetFrame(destination: destination, source: source, size: length, vlan: vlan) }

    /// Parses `description`'s form: `from` and `dst` required; `src` (default 02:10:00:00:00:01,
    /// a station outside the platform), `vlan` (1...4094), `len` (64...9018, default 64), `at`.
    public static func parse(_ text: String) -> FrameReplay? {
        var fields: [String: String] = [:]
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, fields.updateValue(String(pair[1]), forKey: String(pair[0])) == nil else { return nil }
        }
        guard Set(fields.keys).isSubset(of: ["from", "dst", "src", "vlan", "len", "at"]), let from = fields["from"], !from.isEmpty,
              let destination = fields["dst"].flatMap(MACWords.parse) else { return nil }
        var replay = FrameReplay(from: from, destination: destination, source: 0x02_10_00_00_00_01, length: 64)
        if let text = fields["src"] {
            guard let source = MACWords.parse(text) else { return nil }
            replay.source = source
        }
        if let text = fields["vlan"] {
            guard let vlan = UInt16(text), (1...4094).contains(vlan) else { return nil }
            replay.vlan = vlan
        }
        if let text = fields["len"] {
            guard let length = Int(text), (64...9018).contains(length) else { return nil }
            replay.length = length
        }
        if let text = fields["at"] {
            guard let clock = UInt64(text) else { return nil }
            replay.clock = clock
        }
        return replay
    }
}
