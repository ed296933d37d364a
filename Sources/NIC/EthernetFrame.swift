import RTL

/// A frame as a MAC port sees it: the bytes from the destination address to the end of the
/// payload, without the FCS (as captures and drivers hold frames). On the wire it also takes
/// a 7-byte preamble, the SFD, padding up to 60 bytes, the 4-byte FCS and a 12-byte
/// inter-frame gap (IEEE 802.3 §3.1.1, §4.4.2).
public struct EthernetFrame: Sendable, Equatable {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public static let preambleAndSFD = 8, fcs = 4, interFrameGap = 12, minimumSize = 64

    /// The frame's size as size limits count it: destination address through FCS, padded to 64.
    public var size: Int { max(bytes.count + Self.fcs, Self.minimumSize) }

    /// Bytes of wire time the frame takes, gap included: 84 for a minimum frame.
    public var wireBytes: Int { Self.wireBytes(size: size) }
    /// Bytes a frame of `size` bytes (FCS included) takes on the wire: preamble, SFD and
    /// inter-frame gap added.
    public static func wireBytes(size: Int) -> Int { preambleAndSFD + size + interFrameGap }

    /// A frame of `size` bytes (FCS included) from `source` to `destination`, with an 802.1Q tag
    /// for `vlan` if given, an IPv4 EtherType and a counting payload.
    public init(destination: UInt64, source: UInt64, size: Int, vlan: UInt16? = nil) {
        // Built in one array of its final size (a generator makes one per frame on the wire).
        let header = vlan == nil ? 14 : 18
        let payload = max(0, size - Self.fcs - header)
        var bytes = [UInt8](copies: 0, count: header + payload)
        bytes.withUnsafeMutableBufferPointer { b in
            for k in 0..<6 {
                b[k] = UInt8(truncatingIfNeeded: destination >> UInt64(40 - 8 * k))
                b[6 + k] = UInt8(truncatingIfNeeded: source >> UInt64(40 - 8 * k))
            }
            if let vlan {
                (b[12], b[13], b[14], b[15]) = (0x81, 0x00, UInt8(vlan >> 8 & 0x0F), UInt8(vlan & 0xFF))
            }
            (b[header - 2], b[header - 1]) = (0x08, 0x00)
            for k in 0..<payload { b[header + k] = UInt8(truncatingIfNeeded: k) }
        }
        self.init(bytes)
    }

    /// Shorter than a destination, a source and an EtherType: not a frame a MAC accepts.
    public var isRunt: Bool { bytes.count < 14 }

    /// The header fields the sorter reads; an 802.1Q tag is TPID 0x8100 after the source.
    public var header: FrameHeader<Concrete> {
        func mac(_ at: Int) -> UInt64 { (0..<6).reduce(0) { $0 << 8 | UInt64(at + $1 < bytes.count ? bytes[at + $1] : 0) } }
        let tagged = bytes.count >= 16 && bytes[12] == 0x81 && bytes[13] == 0x00
        let tci = tagged ? UInt64(bytes[14]) << 8 | UInt64(bytes[15]) : 0
        return FrameHeader(destination: Bits(mac(0)), source: Bits(mac(6)), tagged: Bit(tagged), vlanID: Bits(tci & 0xFFF),
                           length: Bits(UInt64(min(size, 0xFFFF))))
    }

    /// The frame with an 802.1Q tag (TPID 0x8100, priority 0) for `vlan` inserted after the
    /// source address, as the MAC inserts a pool's default VLAN (VMVIR).
    public func tagged(vlan: UInt16) -> EthernetFrame {
        guard bytes.count >= 12 else { return self }
        return EthernetFrame(Array(bytes[0..<12]) + [0x81, 0x00, UInt8(vlan >> 8 & 0x0F), UInt8(vlan & 0xFF)] + bytes[12...])
    }
}
