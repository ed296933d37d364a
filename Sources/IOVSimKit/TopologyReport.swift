import PCIe
import Proofs

/// A text view of the configured platform: each routing element's ports with bus ranges and
/// windows, and each function with its routing ID, owner and memory ranges (like `lspci -tv`
/// with the numbers a bring-up engineer checks).
public enum TopologyReport {
    /// Below a port with more than `limit` functions, runs of host-owned VFs are folded into one
    /// "... N more" line; PFs and functions a VM owns are always listed. A function whose bus is
    /// outside its port's [secondary, subordinate] range is marked UNREACHABLE.
    public static func render(_ state: PlatformState, summarizeVFsAbove limit: Int = 8) -> String {
        var out = ""
        // Functions grouped by the port directly above, once: the cost is linear in functions.
        var below: [String: [PlatformState.Function]] = [:]
        for function in state.functions {
            guard let hop = function.path.last else { continue }
            below["\(hop.element)#\(hop.port)", default: []].append(function)
        }
        for element in state.elements {
            out += "\(element.name)\n"
            for (k, port) in element.ports.enumerated() {
                out += "  [\(k)] \(port.name) \(BDF(port.rid)) bus [\(hex2(port.secondaryBus))-\(hex2(port.subordinateBus))]"
                out += " mem \(window(port.memoryWindow)) pref \(window(port.prefetchableWindow))"
                out += " ARIFwd\(port.ariForwarding ? "+" : "-") ACSCtl=\(String(port.acsControl, radix: 16))\n"
                let functions = below["\(element.name)#\(k)"] ?? []
                let fold = functions.count > limit
                var folded = 0
                func flush() {
                    if folded > 0 { out += "        ... \(folded) more (host-owned VFs; --all lists them)\n" }
                    folded = 0
                }
                for (n, function) in functions.enumerated() {
                    let keep = !fold || function.owner != nil || !function.name.contains(".vf") || n < limit / 2 || n >= functions.count - limit / 2
                    let bus = BDF(function.rid).bus
                    let reachable = bus >= port.secondaryBus && bus <= port.subordinateBus
                    guard keep || !reachable else {
                        folded += 1
                        continue
                    }
                    flush()
                    let ranges = function.ranges.map { "\($0.label) \(hex($0.base))+\(hex($0.size))" }.joined(separator: ", ")
                    let mark = reachable ? "" : " UNREACHABLE (bus \(hex2(bus)) outside [\(hex2(port.secondaryBus))-\(hex2(port.subordinateBus))])"
                    out += "      \(BDF(function.rid)) \(function.name) [\(function.owner ?? "host")] \(ranges)\(mark)\n"
                }
                flush()
            }
        }
        return out
    }

    static func window(_ w: (base: UInt64, limit: UInt64)) -> String {
        w.base > w.limit ? "closed" : "\(hex(w.base))-\(hex(w.limit))"
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
}
