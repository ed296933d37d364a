import Foundation
import IOVSimKit
import LinuxReference
import PCIe
import Proofs
import Testing

/// Firmware enumeration checked against an independent computation written here from the
/// model file alone: Linux's depth-first bus numbering with VF bus reservation
/// (pci_iov_virtfn_bus over every NumVFs), then window sizing in 1 MiB units with the largest
/// alignment first, and VF BARs as TotalVFs x per-VF size aligned to the per-VF size.
@Suite("Enumeration", .serialized)
struct EnumerationTests {
    struct Expected {
        var rids: [String: UInt16] = [:]
        var bars: [String: UInt64] = [:]            // "nic0.pf0 BAR0", "nic0.pf0 VF BAR3" -> base
        var ports: [String: (UInt8, UInt8)] = [:]    // bus range
        var prefWindows: [String: (UInt64, UInt64)] = [:]
        var memWindows: [String: (UInt64, UInt64)] = [:]
    }

    /// An item to place in a window: size, alignment, what it is.
    struct Item { let size: UInt64; let align: UInt64; let label: String; let child: Node? }
    final class Node {
        let name: String
        var items: [[Item]] = [[], []]   // [non-prefetchable, prefetchable]
        var size = [UInt64(0), 0], align = [UInt64(1 << 20), 1 << 20]
        init(_ name: String) { self.name = name }
    }

    static func up(_ v: UInt64, _ a: UInt64) -> UInt64 { (v + a - 1) / a * a }

    static func expected(_ model: ModelFile) -> Expected {
        var e = Expected()
        let platform = model.effectivePlatform
        var bus = 0
        func attach(_ port: PortModel, node: Node) {
            bus += 1
            let secondary = bus
            if let sw = platform.switch?.first(where: { $0.name == port.below }) {
                bus += 1          // the switch's internal bus, below its upstream port
                let internalBus = bus
                let swNode = Node(sw.name + ".up")
                for dp in sw.port {
                    let child = Node(dp.name)
                    attach(dp, node: child)
                    for w in 0..<2 where child.size[w] > 0 { swNode.items[w].append(Item(size: child.size[w], align: child.align[w], label: dp.name, child: child)) }
                }
                finish(swNode)
                for w in 0..<2 where swNode.size[w] > 0 { node.items[w].append(Item(size: swNode.size[w], align: swNode.align[w], label: swNode.name, child: swNode)) }
                e.ports[sw.name + ".up"] = (UInt8(internalBus), UInt8(bus))
            } else {
                let ari = (port.ariForwarding ?? true) && model.device.pf[0].ari != nil
                for (p, pf) in model.device.pf.enumerated() {
                    e.rids["\(port.below).pf\(p)"] = UInt16(secondary << 8 | p)
                    for bar in pf.bar ?? [] where bar.type != .io {
                        let pref = bar.prefetchable == true && bar.type == .memory64 ? 1 : 0
                        node.items[pref].append(Item(size: bar.size, align: bar.size, label: "\(port.below).pf\(p) BAR\(bar.index)", child: nil))
                    }
                    guard let sriov = pf.sriov else { continue }
                    let instance = platform.device.first { $0.name == port.below }!
                    let routing = { (n: UInt16) in sriov.routing.first { ($0.ari == nil || $0.ari == ari) && ($0.numVFs.map { n >= $0[0] && n <= $0[1] } ?? true) }! }
                    for n in 1...Int(sriov.totalVFs) {
                        let r = routing(UInt16(n))
                        bus = max(bus, Linux.virtfnBus(pfBus: secondary, pfDevfn: p, offset: Int(r.firstVFOffset), stride: Int(r.vfStride), id: n - 1))
                    }
                    let n = Int(instance.vfs ?? sriov.totalVFs)
                    let r = routing(UInt16(n))
                    for id in 0..<n {
                        let vbus = Linux.virtfnBus(pfBus: secondary, pfDevfn: p, offset: Int(r.firstVFOffset), stride: Int(r.vfStride), id: id)
                        let devfn = Linux.virtfnDevfn(pfDevfn: p, offset: Int(r.firstVFOffset), stride: Int(r.vfStride), id: id)
                        e.rids["\(port.below).pf\(p).vf\(id)"] = UInt16(vbus << 8 | devfn)
                    }
                    for bar in sriov.vfBAR {
                        node.items[1].append(Item(size: bar.size * UInt64(sriov.totalVFs), align: bar.size, label: "\(port.below).pf\(p) VF BAR\(bar.index)", child: nil))
                    }
                }
            }
            finish(node)
            e.ports[port.name] = (UInt8(secondary), UInt8(bus))
        }
        func finish(_ node: Node) {
            for w in 0..<2 {
                node.items[w].sort { $0.align != $1.align ? $0.align > $1.align : $0.size > $1.size }
                var cursor: UInt64 = 0
                for item in node.items[w] { cursor = up(cursor, item.align) + item.size; node.align[w] = max(node.align[w], item.align) }
                node.size[w] = cursor == 0 ? 0 : up(cursor, 1 << 20)
            }
        }
        func place(_ node: Node, bases: [UInt64]) {
            for w in 0..<2 {
                if node.size[w] > 0 {
                    if w == 1 { e.prefWindows[node.name] = (bases[w], bases[w] + node.size[w] - 1) } else { e.memWindows[node.name] = (bases[w], bases[w] + node.size[w] - 1) }
                }
                var cursor = bases[w]
                for item in node.items[w] {
                    let base = up(cursor, item.align)
                    if let child = item.child {
                        var childBases = [UInt64(0), 0]
                        childBases[w] = base
                        // A child with both windows gets each from its own list.
                        let otherW = 1 - w
                        if let other = node.items[otherW].firstIndex(where: { $0.child === child }) {
                            childBases[otherW] = placementBase(node, otherW, other, bases[otherW])
                        }
                        if w == 0 || node.items[0].first(where: { $0.child === child }) == nil { place(child, bases: childBases) }
                    } else {
                        e.bars[item.label] = base
                    }
                    cursor = base + item.size
                }
            }
        }
        func placementBase(_ node: Node, _ w: Int, _ index: Int, _ start: UInt64) -> UInt64 {
            var cursor = start
            for (k, item) in node.items[w].enumerated() {
                let base = up(cursor, item.align)
                if k == index { return base }
                cursor = base + item.size
            }
            return start
        }
        var memory: UInt64 = 0xC000_0000, prefetchable: UInt64 = 0x40_0000_0000
        for rp in platform.rootPort {
            let node = Node(rp.name)
            attach(rp, node: node)
            memory = up(memory, node.align[0])
            prefetchable = up(prefetchable, node.align[1])
            place(node, bases: [memory, prefetchable])
            memory += node.size[0]
            prefetchable += node.size[1]
        }
        return e
    }

    @Test("bus:dev.fn, BARs and bridge windows match the independent computation", arguments: ["i82599.toml", "i82576.toml", "sriov-512vf.toml"])
    func enumerate(model name: String) throws {
        let model = try ModelLoader.load(path: Repository.model(name))
        let platform = try Platform(model: model)
        #expect(platform.bringUp().isEmpty, "no PF refused VF Enable")
        let state = platform.state()
        let e = Self.expected(model)
        #expect(state.functions.count == e.rids.count)
        for function in state.functions {
            #expect(function.rid == e.rids[function.name], "\(function.name): \(BDF(function.rid)) vs expected \(e.rids[function.name].map { BDF($0).description } ?? "none")")
            guard !function.name.contains(".vf") else { continue }
            for range in function.ranges {
                #expect(range.base == e.bars["\(function.name) \(range.label)"], "\(function.name) \(range.label)")
            }
        }
        for block in state.vfBlocks {
            for bar in block.vfBARs {
                #expect(bar.base == e.bars["\(block.pfName) VF BAR\(bar.index)"], "\(block.pfName) VF BAR\(bar.index)")
            }
        }
        for element in state.elements {
            for port in element.ports {
                let range = try #require(e.ports[port.name], "port \(port.name)")
                #expect(port.secondaryBus == range.0 && port.subordinateBus == range.1, "\(port.name) bus range [\(port.secondaryBus), \(port.subordinateBus)] vs \(range)")
                let pref = e.prefWindows[port.name], mem = e.memWindows[port.name]
                #expect(pref.map { $0 == port.prefetchableWindow } ?? (port.prefetchableWindow.base > port.prefetchableWindow.limit), "\(port.name) prefetchable window")
                #expect(mem.map { $0 == port.memoryWindow } ?? (port.memoryWindow.base > port.memoryWindow.limit), "\(port.name) memory window")
            }
        }
        // The 512-VF device really spreads over three buses.
        if name == "sriov-512vf.toml" {
            let buses = Set(state.functions.filter { $0.name.hasPrefix("nic0.") }.map { $0.rid >> 8 })
            #expect(buses.count == 3)
        }
    }
}
