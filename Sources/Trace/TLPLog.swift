import Foundation
import PCIe

/// One line per TLP per hop (DESIGN.md §7): clock, where (node and ports), direction, type,
/// requester, completer or address or target ID, tag, length, status.
public final class TLPLog {
    let handle: FileHandle
    var buffer = ""
    public private(set) var lines = 0

    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 16)
        append("# clock node ingress->egress type requester target tag length status")
    }

    func append(_ line: String) {
        buffer += line
        buffer += "\n"
        if buffer.utf8.count >= 1 << 16 { flush() }
    }

    func flush() {
        handle.write(Data(buffer.utf8))
        buffer.removeAll(keepingCapacity: true)
    }

    /// The line for one hop.
    public static func line(_ hop: Hop) -> String {
        let t = hop.tlp
        let target: String
        if t.isConfig {
            target = "id=\(BDF(t.targetID)) reg=0x\(String(t.register, radix: 16))"
        } else if t.isCompletion {
            target = "cpl=\(BDF(t.targetID))"
        } else {
            target = "addr=0x\(String(t.address, radix: 16))"
        }
        let status = t.isCompletion ? t.status.label : "-"
        return "\(hop.clock) \(hop.node) \(hop.ingress)->\(hop.egress) \(t.kind.rawValue) req=\(BDF(t.requesterID)) \(target) tag=\(t.tag) len=\(t.length) \(status)"
    }

    public func record(_ hop: Hop) {
        append(Self.line(hop))
        lines += 1
    }

    public func close() throws {
        flush()
        try handle.close()
    }
}
