import Foundation

/// One line per frame per stage (DESIGN.md §7, like the TLP log): clock, where (port and
/// stage), what happened, then the frame's length, destination, source and VLAN.
///
///     1234 nic0.port0 wire-in accepted len=60 dst=02:00:00:00:00:01 src=02:10:00:00:00:01
///     1238 nic0.port0 sorter pools=1,7 len=60 dst=ff:ff:ff:ff:ff:ff src=02:10:00:00:00:01
///     2001 nic0.port0 tx pool=2 dropped: source MAC is not the pool's (anti-spoofing) len=60 ...
public final class FrameLog {
    let handle: FileHandle
    var buffer = ""
    public private(set) var lines = 0

    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        self.handle = handle
        append("# clock port stage outcome len dst src [vlan]")
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
        append("\(clock) \(port) \(stage) \(outcome) \(Self.describe(frame))")
        lines += 1
    }

    func append(_ line: String) {
        buffer += line
        buffer += "\n"
        if buffer.utf8.count >= 1 << 16 {
            handle.write(Data(buffer.utf8))
            buffer.removeAll(keepingCapacity: true)
        }
    }

    public func close() throws {
        handle.write(Data(buffer.utf8))
        buffer.removeAll()
        try handle.close()
    }
}
