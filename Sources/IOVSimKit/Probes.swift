import Foundation
import Host
import NIC
import PCIe
import RTL

/// Registers the platform's signals as probes at elaboration (DESIGN.md §3): TLPs in flight on
/// every link direction, the counters of every routing element and endpoint, and config-space
/// registers and fields straight from their one definition.
enum PlatformProbes {
    /// Config registers traced for every PF, and for bridges.
    static let pfRegisters = ["Command", "SR-IOV Control", "NumVFs", "First VF Offset", "VF Stride", "System Page Size", "VF BAR0"]
    static let portRegisters = ["Command", "Primary Bus Number", "Secondary Bus Number", "Subordinate Bus Number", "Memory Base",
                                "Memory Limit", "Prefetchable Memory Base", "Prefetchable Memory Limit", "ACS Control", "Device Control 2"]
    /// VFs per PF traced besides every VF a VM owns.
    static let tracedVFs = 8

    /// "SR-IOV Control" -> "sriov_control", "Secondary Bus Number" -> "secondary_bus_number".
    static func snake(_ name: String) -> String {
        name.replacingOccurrences(of: "-", with: "").lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.reduce(into: "") { out, c in
            if !(c == "_" && out.hasSuffix("_")) { out.append(c) }
        }.trimmingCharacters(in: CharacterSet(charactersIn: "_"))
    }

    /// A field's spec name in snake case, acronyms kept whole: "vfMSE" -> "vf_mse",
    /// "busMasterEnable" -> "bus_master_enable", "numVFs" -> "num_vfs",
    /// "directTranslatedP2PEnable" -> "direct_translated_p2p_enable".
    static func snake(field: String) -> String {
        let c = Array(field)
        var out = ""
        for i in c.indices {
            if i > 0, c[i].isUppercase {
                let next = i + 1 < c.count ? c[i + 1] : nil
                // An acronym's plural "s" ("VFs") does not start a word.
                let plural = next == "s" && (i + 2 >= c.count || !c[i + 2].isLowercase)
                let startsWord = c[i - 1].isLowercase || ((c[i - 1].isUppercase || c[i - 1].isNumber) && next?.isLowercase == true && !plural)
                if startsWord { out.append("_") }
            }
            out.append(contentsOf: c[i].lowercased())
        }
        return out
    }

    /// A register and each of its fields, read through `config` when sampled.
    /// `read(offset, size)` reads the function's config space in place (a probe that copied the
    /// config space on every sample cost more than the simulation it traced).
    /// `changes`: the version of the config space (see `Probe.changes`).
    static func config(_ simulator: Simulator, prefix: String, register: ConfigRegister, changes: ProbeChanges, read: @escaping (Int, Int) -> UInt32?) {
        let name = "\(prefix).\(snake(register.name))"
        simulator.probe(name, width: register.size * 8, changes: changes) { UInt64(read(register.offset, register.size) ?? 0) }
        guard register.fields.count > 1 else { return }
        for field in register.fields {
            simulator.probe("\(name)_.\(snake(field: field.name))", width: field.width, changes: changes) {
                guard let value = read(register.offset, register.size) else { return 0 }
                return UInt64((value & field.mask) >> UInt32(field.lsb))
            }
        }
    }

    /// The fields the probes show of a channel's oldest packet, decoded once per packet: the
    /// oldest item is the one after every item popped (probes are sampled after the commit), so
    /// the pop count names it without copying it.
    final class Head {
        struct Fields {
            var type: UInt64 = 0, requester: UInt64 = 0, target: UInt64 = 0, tag: UInt64 = 0, length: UInt64 = 0
        }
        let channel: Channel<Packet>
        var item: UInt64 = .max
        var fields = Fields()
        init(_ channel: Channel<Packet>) { self.channel = channel }
        /// The oldest packet's fields (all zero without one; only the type for a malformed one).
        var current: Fields {
            guard channel.count > 0 else { return Fields() }
            if item != channel.popped, let head = channel.oldest {
                item = channel.popped
                fields = Fields(type: UInt64(head.fmtType))
                if let t = try? head.decoded.get() {
                    fields.requester = UInt64(t.requesterID)
                    fields.target = t.isConfig || t.isCompletion ? UInt64(t.targetID) : t.address
                    fields.tag = UInt64(t.tag)
                    fields.length = UInt64(t.length)
                }
            }
            return fields
        }
    }

    static func channel(_ simulator: Simulator, _ channel: Channel<Packet>, path: String) {
        let head = Head(channel)
        // A channel changes when its producer pushes or its consumer pops, in their ticks.
        let ends = [channel.producer, channel.consumer].compactMap { $0 }
        let changes = ends.count == 2 ? simulator.ticks(of: ends) : nil
        simulator.probe("\(path).valid", width: 1, changes: changes) { channel.count > 0 ? 1 : 0 }
        simulator.probe("\(path).count", width: 8, changes: changes) { UInt64(min(channel.count, 255)) }
        simulator.probe("\(path).type", width: 8, changes: changes) { head.current.type }
        simulator.probe("\(path).requester", width: 16, changes: changes) { head.current.requester }
        simulator.probe("\(path).target", width: 64, changes: changes) { head.current.target }
        simulator.probe("\(path).tag", width: 8, changes: changes) { head.current.tag }
        simulator.probe("\(path).length", width: 11, changes: changes) { head.current.length }
    }

    /// A port's wires, sorter decisions and per-pool counters (the first pools and the last,
    /// as for VFs: a 64-pool port would otherwise add hundreds of signals).
    static func nic(_ sim: Simulator, _ port: EthernetPort) {
        let p = "top.\(port.path)"
        // Each stage's counters change in its own ticks (a pool's in the sorter's or the
        // transmit switch's); a MAC's busy line with the time.
        let rx = sim.ticks(of: [port.receiveMAC]), sorter = sim.ticks(of: [port.sorter]), tx = sim.ticks(of: [port.transmitter])
        let txmac = sim.ticks(of: [port.transmitMAC]), pools = sim.ticks(of: [port.sorter, port.transmitter])
        sim.probe("\(p).rxmac.busy", width: 1) { clock in port.receiveMAC.busy(at: clock) ? 1 : 0 }
        sim.probe("\(p).rxmac.frames", width: 32, changes: rx) { port.receiveMAC.received & 0xFFFF_FFFF }
        sim.probe("\(p).rxmac.runts", width: 32, changes: rx) { port.receiveMAC.runts & 0xFFFF_FFFF }
        sim.probe("\(p).sorter.pools", width: 64, changes: sorter) { port.sorter.lastPools }
        sim.probe("\(p).sorter.drop_reason", width: 3, changes: sorter) { port.sorter.lastReason.rawValue }
        sim.probe("\(p).sorter.dropped", width: 32, changes: sorter) { port.sorter.drops.values.reduce(0, +) & 0xFFFF_FFFF }
        sim.probe("\(p).txswitch.drop_reason", width: 2, changes: tx) { port.transmitter.lastReason.rawValue }
        sim.probe("\(p).txswitch.looped", width: 32, changes: tx) { port.transmitter.loopedFrames & 0xFFFF_FFFF }
        sim.probe("\(p).txmac.busy", width: 1) { clock in port.transmitMAC.busy(at: clock) ? 1 : 0 }
        sim.probe("\(p).txmac.frames", width: 32, changes: txmac) { port.transmitMAC.received & 0xFFFF_FFFF }
        for pool in Set(Array(0..<min(port.pools, tracedVFs)) + [port.pools - 1]).sorted() {
            sim.probe("\(p).pool\(pool).frames", width: 32, changes: pools) { port.poolFrames[pool] & 0xFFFF_FFFF }
            sim.probe("\(p).pool\(pool).bytes", width: 32, changes: pools) { port.poolBytes[pool] & 0xFFFF_FFFF }
        }
    }

    static func register(_ platform: Platform) {
        let sim = platform.simulator
        platform.host?.registerProbes(sim, prefix: "top.rc", changes: sim.ticks(of: [platform.rootComplex]))
        drivers(platform)
        for name in platform.nics.keys.sorted() {
            let controller = platform.nics[name]!
            for port in controller.ports { nic(sim, port) }
            let pools = controller.ports.first?.pools ?? 0
            // The engine's state changes in its ticks; its registers also in the endpoint's (MMIO).
            let changes = sim.ticks(of: [controller.dma] + (platform.endpoints[name].map { [$0] } ?? []))
            controller.dma.registerProbes(sim, prefix: "top.\(name)", pools: Set(Array(0..<min(pools, tracedVFs)) + [pools - 1]).sorted(), changes: changes)
        }
        let owners = platform.owners()
        for link in platform.links {
            channel(sim, link.down, path: "top.\(link.path).down")
            channel(sim, link.up, path: "top.\(link.path).up")
        }
        for node in platform.elements {
            let portsChanged = sim.changes { node.portsVersion }
            sim.probe("top.\(node.path).forwarded", width: 32) { node.counters.forwarded & 0xFFFF_FFFF }
            sim.probe("top.\(node.path).unsupported_requests", width: 32) { node.counters.unsupportedRequests & 0xFFFF_FFFF }
            sim.probe("top.\(node.path).acs_violations", width: 32) { node.counters.acsViolations & 0xFFFF_FFFF }
            for (k, port) in node.ports.enumerated() {
                for name in portRegisters {
                    guard let register = port.config.register(named: name) else { continue }
                    config(sim, prefix: "top.\(node.path).\(port.name).cfg", register: register, changes: portsChanged) {
                        node.ports[k].config.read(offset: $0, size: $1)
                    }
                }
            }
        }
        for name in platform.endpoints.keys.sorted() {
            let endpoint = platform.endpoints[name]!
            let version = sim.changes { endpoint.configVersion }
            let endpointTicks = sim.ticks(of: [endpoint])
            sim.probe("top.\(name).bus", width: 8, changes: version) { UInt64(endpoint.device.bus) }
            for p in endpoint.device.pfs.indices {
                for register in pfRegisters {
                    guard let r = endpoint.device.pfs[p].config.register(named: register) else { continue }
                    config(sim, prefix: "top.\(name).pf\(p).cfg", register: r, changes: version) { endpoint.device.pfs[p].config.read(offset: $0, size: $1) }
                }
                // The first VFs and every VF a VM owns (a 512-VF device would otherwise add
                // thousands of signals nobody asked for).
                let total = Int(endpoint.device.pfs[p].definition.sriov?.capability.totalVFs ?? 0)
                let owned = owners.keys.compactMap { FunctionName($0, model: platform.model) }
                    .filter { $0.device == name && $0.pf == p }.compactMap(\.vf)
                for v in Set(Array(0..<min(tracedVFs, total)) + owned.filter { $0 < total }).sorted() {
                    // Read in place: a copy of the VF per sample was most of a traced run.
                    let present = { endpoint.device.pfs[p].vfs.count > v }
                    sim.probe("top.\(name).pf\(p).vf\(v).present", width: 1, changes: version) { present() ? 1 : 0 }
                    sim.probe("top.\(name).pf\(p).vf\(v).rid", width: 16, changes: version) { present() ? UInt64(endpoint.device.pfs[p].vfs[v].rid) : 0 }
                    if let command = endpoint.device.pfs[p].config.register(named: "Command") {
                        sim.probe("top.\(name).pf\(p).vf\(v).cfg.command", width: 16, changes: version) {
                            present() ? UInt64(endpoint.device.pfs[p].vfs[v].config.read(offset: command.offset, size: 2) ?? 0) : 0
                        }
                    }
                    // Counted in the endpoint's ticks only.
                    sim.probe("top.\(name).pf\(p).vf\(v).writes_received", width: 32, changes: endpointTicks) {
                        UInt64(endpoint.memoryWrites(to: .vf(pf: p, index: v))) & 0xFFFF_FFFF
                    }
                }
            }
        }
    }

    /// The host CPU and the drivers that will run on it: each VM's VF driver by the function
    /// it drives (`top.vm1.nic0.pf0.vf0.driver.phase`: 1 probe, 2 reset, 3 mailbox, 4 rings,
    /// 5 running, 6 failed; frames taken and posted; interrupts), each PF's mailbox service.
    /// The drivers start at bring-up, after the probes exist: each probe reads 0 until then.
    static func drivers(_ platform: Platform) {
        let sim = platform.simulator
        // Programs change their state only when the CPU runs them.
        let ran = sim.changes { [unowned(unsafe) platform] in platform.cpu.activity }
        sim.probe("top.cpu.programs_running", width: 8, changes: ran) { [unowned(unsafe) platform] in UInt64(min(platform.cpu.running, 255)) }
        sim.probe("top.cpu.loads", width: 32, changes: ran) { [unowned(unsafe) platform] in platform.cpu.loads & 0xFFFF_FFFF }
        sim.probe("top.cpu.stores", width: 32, changes: ran) { [unowned(unsafe) platform] in platform.cpu.stores & 0xFFFF_FFFF }
        guard platform.model.host.map({ $0.iommu ?? true }) ?? false else { return }
        for vm in platform.model.vm ?? [] {
            for function in vm.functions where function.contains(".vf") {
                let prefix = "top.\(vm.name).\(function).driver"
                // Looked up once it exists (the probes are made before the drivers).
                let driver = Found { [unowned(unsafe) platform] in platform.vfDrivers[function] }
                sim.probe("\(prefix).phase", width: 3, changes: ran) { driver.value?.phase.rawValue ?? 0 }
                sim.probe("\(prefix).rx_frames", width: 32, changes: ran) { (driver.value?.receivedFrames ?? 0) & 0xFFFF_FFFF }
                sim.probe("\(prefix).tx_frames", width: 32, changes: ran) { (driver.value?.sentFrames ?? 0) & 0xFFFF_FFFF }
                sim.probe("\(prefix).interrupts", width: 32, changes: ran) { (driver.value?.interrupts ?? 0) & 0xFFFF_FFFF }
            }
        }
        for name in platform.nics.keys.sorted() {
            for p in platform.model.device.pf.indices where platform.model.device.pf[p].sriov != nil {
                let service = { [unowned(unsafe) platform] in platform.mailboxServices["\(name).pf\(p)"] }
                sim.probe("top.\(name).pf\(p).driver.mailbox_answered", width: 16, changes: ran) { min(service()?.answered ?? 0, 0xFFFF) }
            }
        }
    }
}

/// A value a probe finds once it exists (a driver made after the probes were): looked for until
/// found, then kept.
final class Found<Value: AnyObject> {
    let find: () -> Value?
    var kept: Value?
    init(_ find: @escaping () -> Value?) { self.find = find }
    var value: Value? {
        if kept == nil { kept = find() }
        return kept
    }
}
