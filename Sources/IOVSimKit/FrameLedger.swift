import Host
import NIC

/// Every frame addressed to a VM, followed to its end (issue 10's accounting): a frame from the
/// wire or from another VM's driver is offered to each VF (of a VM with a driver) its
/// destination names, a broadcast to every such VF on the port; each copy ends delivered (the
/// VM's driver took it from its ring, byte for byte the frame that was sent), dropped with the
/// stage and reason that dropped it, or is still in flight. A copy the NIC hands to a VF the
/// frame was not addressed to is a leak; a delivered frame that differs from what was sent is
/// corrupt. Per VM: offered = delivered + dropped + in flight.
final class FrameLedger {
    struct Account {
        var offered: UInt64 = 0
        var delivered: UInt64 = 0
        var deliveredBytes: UInt64 = 0
        var drops: [String: UInt64] = [:]
        /// Copies handed to this VF's pool not addressed to it, and delivered ones of those.
        var leaked: UInt64 = 0
        var corrupted: UInt64 = 0
        /// Frames this VF's driver posted, to the wire and to other VFs.
        var posted: UInt64 = 0
        var postedBytes: UInt64 = 0
        var toWire: UInt64 = 0
        /// Frames given to the pool, oldest first, and whether each was addressed to the VF.
        var pool: [(bytes: [UInt8], expected: Bool)] = []
        var poolHead = 0
        /// Frames the driver posted and the transmit switch has not decided yet.
        var sending: [[UInt8]] = []
        var sendingHead = 0
        var dropped: UInt64 { drops.values.reduce(0, +) }
        var inFlight: Int64 { Int64(offered) - Int64(delivered) - Int64(dropped) }
    }

    let platform: Platform
    /// Per VF with a driver (`nic0.pf0.vf1`).
    private(set) var accounts: [String: Account] = [:]
    /// VF name by (device, port, pool), and the port each driver's VF is on.
    var functionByPool: [String: [Int: [Int: String]]] = [:]

    init(platform: Platform) {
        self.platform = platform
        for (name, _) in platform.vfDrivers {
            guard let f = FunctionName(name, model: platform.model), let vf = f.vf, let pool = platform.pool(device: f.device, pf: f.pf, vf: vf) else { continue }
            functionByPool[f.device, default: [:]][f.pf, default: [:]][pool] = name
            accounts[name] = Account()
        }
    }

    /// The VFs (with drivers) on `device`'s port `port` that a frame with these bytes is addressed to.
    func addressees(_ bytes: [UInt8], device: String, port: Int) -> [String] {
        guard bytes.count >= 6 else { return [] }
        let destination = bytes.prefix(6).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let names = functionByPool[device]?[port]?.values.sorted() ?? []
        if destination == 0xFFFF_FFFF_FFFF { return names }
        return names.filter { platform.vfDrivers[$0]?.mac == destination }
    }

    func drop(_ names: [String], _ reason: String) {
        for name in names { accounts[name]!.drops[reason, default: 0] += 1 }
    }

    /// Copies a stage handed to `pools`: addressees whose pool is missing are dropped with
    /// `reason`; pools of VFs not addressed are leaks (the frames are then followed as such).
    func handed(_ bytes: [UInt8], to pools: UInt64, addressees: [String], device: String, port: Int, missing reason: String) {
        let byPool = functionByPool[device]?[port] ?? [:]
        for name in addressees {
            guard let pool = byPool.first(where: { $0.value == name })?.key else { continue }
            if pools >> UInt64(pool) & 1 == 0 { drop([name], reason) }
        }
        for (pool, name) in byPool where pools >> UInt64(pool) & 1 == 1 && !addressees.contains(name) {
            accounts[name]!.leaked += 1
        }
    }

    /// Hooks the NIC's stages (after the pcap and log hooks, which keep running) and the drivers.
    func attach() {
        for device in platform.nics.keys.sorted() {
            let nic = platform.nics[device]!
            for port in nic.ports {
                let p = port.index
                let arrived = port.receiveMAC.arrived
                port.receiveMAC.arrived = { [unowned self] frame, clock, outcome in
                    arrived?(frame, clock, outcome)
                    let names = addressees(frame.bytes, device: device, port: p)
                    for name in names { accounts[name]!.offered += 1 }
                    if outcome != .accepted { drop(names, "MAC: \(outcome.rawValue)") }
                }
                let sorted = port.sorter.decided
                port.sorter.decided = { [unowned self] frame, pools, reason, clock in
                    sorted?(frame, pools, reason, clock)
                    let names = addressees(frame.bytes, device: device, port: p)
                    if reason != .delivered {
                        drop(names, "sorter: \(reason)")
                    } else {
                        handed(frame.bytes, to: pools, addressees: names, device: device, port: p, missing: "sorter: not selected")
                    }
                }
                let decided = port.transmitter.decided
                port.transmitter.decided = { [unowned self] request, toWire, local, reason, clock in
                    decided?(request, toWire, local, reason, clock)
                    guard let sender = functionByPool[device]?[p]?[request.pool] else { return }
                    var account = accounts[sender]!
                    if account.sendingHead < account.sending.count {
                        if account.sending[account.sendingHead] != request.frame.bytes { account.corrupted += 1 }
                        account.sendingHead += 1
                    }
                    if reason == .sent, toWire { account.toWire += 1 }
                    accounts[sender] = account
                    let names = addressees(request.frame.bytes, device: device, port: p).filter { $0 != sender }
                    if reason != .sent {
                        drop(names, "transmit switch: \(reason)")
                    } else {
                        handed(request.frame.bytes, to: local, addressees: names, device: device, port: p, missing: "transmit switch: not looped back")
                    }
                }
                let received = port.poolReceived
                port.poolReceived = { [unowned self] pool, frame, clock, looped in
                    received?(pool, frame, clock, looped)
                    guard let name = functionByPool[device]?[p]?[pool] else { return }
                    let expected = addressees(frame.bytes, device: device, port: p).contains(name)
                    accounts[name]!.pool.append((frame.bytes, expected))
                }
            }
            nic.dma.receiveDropped = { [unowned self] p, pool, frame, reason, _ in
                guard let name = functionByPool[device]?[p]?[pool], let entry = take(name) else { return }
                if entry.expected { drop([name], "queue: \(reason)") }
            }
        }
        for (name, driver) in platform.vfDrivers where accounts[name] != nil {
            guard let f = FunctionName(name, model: platform.model) else { continue }
            driver.received = { [unowned self] frame, _ in
                guard let entry = take(name) else { return }
                if entry.bytes != frame.bytes { accounts[name]!.corrupted += 1 }
                if entry.expected {
                    accounts[name]!.delivered += 1
                    accounts[name]!.deliveredBytes += UInt64(frame.bytes.count)
                }
            }
            driver.posted = { [unowned self] frame, _ in
                accounts[name]!.posted += 1
                accounts[name]!.postedBytes += UInt64(frame.bytes.count)
                accounts[name]!.sending.append(frame.bytes)
                for to in addressees(frame.bytes, device: f.device, port: f.pf) where to != name { accounts[to]!.offered += 1 }
            }
        }
    }

    /// The oldest frame in `name`'s pool (the next one its queue delivers or drops).
    func take(_ name: String) -> (bytes: [UInt8], expected: Bool)? {
        var account = accounts[name]!
        guard account.poolHead < account.pool.count else { return nil }
        let entry = account.pool[account.poolHead]
        account.poolHead += 1
        if account.poolHead > 1024, account.poolHead * 2 > account.pool.count {
            account.pool.removeFirst(account.poolHead)
            account.poolHead = 0
        }
        accounts[name] = account
        return entry
    }

    /// One VM's accounts summed.
    func total(vm: String) -> Account {
        let names = platform.model.vm?.first { $0.name == vm }?.functions ?? []
        var sum = Account()
        for name in names {
            guard let a = accounts[name] else { continue }
            sum.offered += a.offered
            sum.delivered += a.delivered
            sum.deliveredBytes += a.deliveredBytes
            sum.leaked += a.leaked
            sum.corrupted += a.corrupted
            sum.posted += a.posted
            sum.postedBytes += a.postedBytes
            sum.toWire += a.toWire
            for (reason, n) in a.drops { sum.drops[reason, default: 0] += n }
        }
        return sum
    }

    /// The summary's per-VM lines: received and sent, offered = delivered + dropped (by
    /// reason) + in flight, interrupts, the VM's IOTLB hit rate and faults, leaks and corruption.
    func report() -> [String] {
        var lines: [String] = []
        for vm in platform.model.vm ?? [] {
            let a = total(vm: vm.name)
            let drivers = vm.functions.compactMap { platform.vfDrivers[$0] }
            guard !drivers.isEmpty else { continue }
            let reasons = a.drops.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            var line = "\(vm.name): received \(a.delivered) frames (\(a.deliveredBytes) bytes), sent \(a.posted) (\(a.postedBytes) bytes, \(a.toWire) to the wire); "
            line += "offered \(a.offered) = \(a.delivered) delivered + \(a.dropped) dropped\(reasons.isEmpty ? "" : " (" + reasons.joined(separator: "; ") + ")") + \(a.inFlight) in flight"
            line += "; \(drivers.reduce(0) { $0 + $1.interrupts }) interrupts, \(drivers.reduce(0) { $0 + $1.watchdogRuns }) watchdog passes"
            if let host = platform.host, let machine = platform.vmm?.machines[vm.name] {
                let tlb = host.iommu.iotlb.byDomain[machine.domain] ?? (0, 0)
                let lookups = tlb.hits + tlb.misses
                line += lookups == 0 ? "; IOTLB: no lookups" : "; IOTLB \(String(format: "%.1f", 100 * Double(tlb.hits) / Double(lookups)))% of \(lookups) lookups hit"
                let faults = host.iommu.faults.filter { host.assignment[$0.sourceID] == vm.name }.count
                line += "; \(faults) fault\(faults == 1 ? "" : "s")"
            }
            line += "; \(a.leaked) leaked, \(a.corrupted) corrupted"
            let unsent = drivers.reduce(0) { $0 + $1.unsent }
            if unsent > 0 { line += "; \(unsent) still queued to send" }
            lines.append(line)
        }
        return lines
    }
}
