import Foundation

/// One line per frame per stage (DESIGN.md §7, like the TLP log): clock, where (port and
/// stage), what happened, then the frame's length, destination, source and VLAN.
///
///     1234 nic0.port0 wire-in accepted len=60 dst=02:00:00:00:00:01 src=02:10:00:00:00:01
///     1238 nic0.port0 sorter pools=1,7 len=60 dst=ff:ff:ff:ff:ff:ff src=02:10:00:00:00:01
///     2001 nic0.port0 tx pool=2 dropped: source MAC is not the pool's (anti-spoofing) len=60 ...
public final class FrameLog {
    let file: LineFile
    public var lines: Int { file.lines }

    public init(path: String) throws {
        file = try LineFile(path: path, header: "# clock port stage outcome len dst src [vlan]")
    }

    static func mac(_ bytes: [UInt8], at offset: Int) -> String {
        (offset..<offset + 6).map { $0 < bytes.count ? String(format: "%02x", bytes[$0]) : "--" }.joined(separator: ":")
    }

    /// The frame's fields as the log shows them.
    public static func describe(_ bytes: [UInt8]) -> String {
        var out = "len=\(bytes.count) dst=\(mac(bytes, at: 0)) src=\(mac(bytes, at: 6))"
        if bytes.count >= 16, bytes[12] == 0x81, bytes[13] == 0x00 { out += " vlan=\(Int(bytes[14] & 0x0F) << 8 | Int(bytes[15]))" }
        return out
    }

    public func record(clock: UInt64, port: String, stage: String, outcome: String, frame: [UInt8]) {
        file.append("\(clock) \(port) \(stage) \(outcome) \(Self.describe(frame))")
    }

    public func close() throws { try file.close() }
}
