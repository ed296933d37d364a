import Foundation

/// Classic libpcap capture files (the format tcpdump, Wireshark and text2pcap read and write;
/// draft-ietf-opsawg-pcap §4-5): a 24-byte file header (magic 0xA1B2C3D4 for microsecond or
/// 0xA1B23C4D for nanosecond timestamps, in either byte order; version 2.4; snap length; link
/// type), then per packet a 16-byte record header (seconds, fraction, captured length, original
/// length) and the captured bytes. Only Ethernet (link type 1) is a model's wire.
public enum Pcap {
    /// One captured frame: its bytes (without FCS, as captures have them) and when it was seen.
    public struct Record: Sendable, Equatable {
        public var nanoseconds: UInt64
        public var bytes: [UInt8]
        /// The frame's length on the wire when the capture cut it short.
        public var originalLength: Int
        public init(nanoseconds: UInt64, bytes: [UInt8], originalLength: Int? = nil) {
            self.nanoseconds = nanoseconds
            self.bytes = bytes
            self.originalLength = originalLength ?? bytes.count
        }
    }

    /// A file that is not a pcap the model can take: which file, which field, what was found.
    public struct FormatError: Error, Sendable, Equatable, CustomStringConvertible {
        public let file: String
        public let field: String
        public let message: String
        public var description: String { "\(file): \(field): \(message)" }
    }

    static let micro: UInt32 = 0xA1B2_C3D4, nano: UInt32 = 0xA1B2_3C4D
    public static let linkTypeEthernet: UInt32 = 1

    /// Reads every record of a classic pcap file.
    public static func read(path: String) throws -> [Record] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError(file: path, field: "file", message: "cannot be read")
        }
        return try parse(Array(data), file: path)
    }

    public static func parse(_ bytes: [UInt8], file: String) throws -> [Record] {
        func fail(_ field: String, _ message: String) -> FormatError { FormatError(file: file, field: field, message: message) }
        guard bytes.count >= 24 else { throw fail("file header", "\(bytes.count) bytes; a pcap file starts with a 24-byte header") }
        func word(_ at: Int, swapped: Bool) -> UInt32 {
            let w = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            return swapped ? w.byteSwapped : w
        }
        let magic = word(0, swapped: false)
        let swapped: Bool, nanosecond: Bool
        switch magic {
        case micro: (swapped, nanosecond) = (false, false)
        case nano: (swapped, nanosecond) = (false, true)
        case micro.byteSwapped: (swapped, nanosecond) = (true, false)
        case nano.byteSwapped: (swapped, nanosecond) = (true, true)
        case 0x0A0D_0D0A:
            throw fail("magic", "this is a pcapng file; save it as classic pcap (editcap -F pcap IN OUT)")
        default:
            throw fail("magic", "0x\(String(magic, radix: 16)) is not a pcap magic number (a1b2c3d4 or a1b23c4d)")
        }
        let major = UInt16(truncatingIfNeeded: word(4, swapped: swapped)), minor = UInt16(truncatingIfNeeded: word(4, swapped: swapped) >> 16)
        guard major == 2 else { throw fail("version", "\(major).\(minor); only version 2.x exists") }
        let linkType = word(20, swapped: swapped) & 0x0FFF_FFFF
        guard linkType == linkTypeEthernet else { throw fail("link type", "\(linkType); only Ethernet (1) frames reach a MAC port") }
        var records: [Record] = [], at = 24
        while at < bytes.count {
            let n = records.count
            guard at + 16 <= bytes.count else { throw fail("record \(n) header", "the file ends inside it") }
            let seconds = UInt64(word(at, swapped: swapped)), fraction = UInt64(word(at + 4, swapped: swapped))
            let captured = Int(word(at + 8, swapped: swapped)), original = Int(word(at + 12, swapped: swapped))
            guard fraction < (nanosecond ? 1_000_000_000 : 1_000_000) else {
                throw fail("record \(n) timestamp", "fraction \(fraction) is not below one second")
            }
            guard captured <= 262_144 else { throw fail("record \(n) captured length", "\(captured) bytes is more than any capture holds") }
            guard at + 16 + captured <= bytes.count else { throw fail("record \(n) data", "the file ends \(at + 16 + captured - bytes.count) bytes early") }
            records.append(Record(nanoseconds: seconds * 1_000_000_000 + fraction * (nanosecond ? 1 : 1_000),
                                  bytes: Array(bytes[(at + 16)..<(at + 16 + captured)]), originalLength: max(original, captured)))
            at += 16 + captured
        }
        return records
    }

    /// The bytes of a classic pcap file with nanosecond timestamps (magic 0xA1B23C4D,
    /// little-endian), Ethernet link type.
    public static func encode(_ records: [Record]) -> [UInt8] {
        var out = header
        for r in records { append(r, to: &out) }
        return out
    }

    /// The file header: nanosecond magic, version 2.4, snaplen 262144, Ethernet.
    static var header: [UInt8] {
        var out: [UInt8] = []
        put32(nano, &out); put16(2, &out); put16(4, &out); put32(0, &out); put32(0, &out); put32(262_144, &out); put32(linkTypeEthernet, &out)
        return out
    }

    static func put32(_ v: UInt32, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    static func put16(_ v: UInt16, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }

    /// One record: seconds, nanoseconds, captured and original length, the bytes.
    static func append(_ r: Record, to out: inout [UInt8]) {
        put32(UInt32(truncatingIfNeeded: r.nanoseconds / 1_000_000_000), &out)
        put32(UInt32(r.nanoseconds % 1_000_000_000), &out)
        put32(UInt32(r.bytes.count), &out)
        put32(UInt32(max(r.originalLength, r.bytes.count)), &out)
        out.append(contentsOf: r.bytes)
    }

    /// Writes `records` as a classic pcap file.
    public static func write(_ records: [Record], path: String) throws {
        let handle = try OutputFile.create(path)
        defer { try? handle.close() }
        handle.write(Data(encode(records)))
    }
}

/// A pcap file written as a run goes (records buffered, flushed every 64 KiB), so a long run
/// does not hold its frames in memory.
public final class PcapWriter {
    public let path: String
    let handle: FileHandle
    var buffer: [UInt8]
    public private(set) var frames = 0
    public private(set) var bytes = 0

    public init(path: String) throws {
        let handle = try OutputFile.create(path)
        self.path = path
        self.handle = handle
        buffer = Pcap.header
    }

    public func record(nanoseconds: UInt64, bytes frame: [UInt8]) {
        Pcap.append(Pcap.Record(nanoseconds: nanoseconds, bytes: frame), to: &buffer)
        frames += 1
        bytes += frame.count
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() throws {
        flush()
        try handle.close()
    }
}
