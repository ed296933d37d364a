import PCIe
import Proofs

/// A text view of the configured platform: each routing element's ports with bus ranges and
/// windows, and each function with its routing ID, owner and memory ranges (like `lspci -tv`
/// with the numbers a bring-up engineer checks).
public enum TopologyReport {
    public static func render(_ state: PlatformState, summarizeVFsAbove limit: Int = 8) -> String {
        var out = ""
        for element in state.elements {
            out += "\(element.name)\n"
            for (k, port) in element.ports.enumerated() {
                out += "  [\(k)] \(port.name) \(BDF(port.rid)) bus [\(hex2(port.secondaryBus))-\(hex2(port.subordinateBus))]"
                out += " mem \(window(port.memoryWindow)) pref \(window(port.prefetchableWindow))"
                out += " ARIFwd\(port.ariForwarding ? "+" : "-") ACSCtl=\(String(port.acsControl, radix: 16))\n"
                let below = state.functions.filter { $0.path.last?.element == element.name && $0.path.last?.port == k }
                for (n, function) in below.enumerated() {
                    if below.count > limit && n >= limit / 2 && n < below.count - limit / 2 {
                        if n == limit / 2 { out += "        ... \(below.count - limit) more\n" }
                        continue
                    }
                    let ranges = function.ranges.map { "\($0.label) \(hex($0.base))+\(hex($0.size))" }.joined(separator: ", ")
                    out += "      \(BDF(function.rid)) \(function.name) [\(function.owner ?? "host")] \(ranges)\n"
                }
            }
        }
        return out
    }

    static func window(_ w: (base: UInt64, limit: UInt64)) -> String {
        w.base > w.limit ? "closed" : "\(hex(w.base))-\(hex(w.limit))"
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
}
