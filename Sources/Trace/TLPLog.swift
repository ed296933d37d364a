import Foundation
import PCIe

/// One line per TLP per hop (DESIGN.md §7): clock, where (node and ports), direction, type,
/// requester, completer or address or target ID, tag, length, status.
public final class TLPLog {
    let file: LineFile
    public var lines: Int { file.lines }

    public init(path: String) throws {
        file = try LineFile(path: path, header: "# clock node ingress->egress type requester target tag length status")
    }

    /// The line for one hop.
    public static func line(_ hop: Hop) -> String {
        let t = hop.tlp
        let target: String
        if t.isConfig {
            target = "id=\(BDF(t.targetID)) reg=0x\(String(t.register, radix: 16))"
        } else if t.isCompletion {
            target = "cpl=\(BDF(t.targetID))"
        } else if t.isIDRoutedMessage {
            target = "id=\(BDF(t.targetID)) code=0x\(String(t.messageCode, radix: 16))"
        } else {
            target = "addr=0x\(String(t.address, radix: 16))" + (t.addressTypeLabel.map { " at=\($0)" } ?? "")
        }
        let status = t.isCompletion ? t.status.label : "-"
        return "\(hop.clock) \(hop.node) \(hop.ingress)->\(hop.egress) \(t.kind.rawValue) req=\(BDF(t.requesterID)) \(target) tag=\(t.tag) len=\(t.length) \(status)"
    }

    public func record(_ hop: Hop) { file.append(Self.line(hop)) }

    public func close() throws { try file.close() }
}
