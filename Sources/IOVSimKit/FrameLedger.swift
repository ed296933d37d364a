import Foundation
import Host
import NIC
import RTL

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
        /// Frames given to the pool, oldest first, and whether each was addressed to the VF; and
        /// the looped-back ones of the latest clock held apart: the packet buffer takes a clock's
        /// frames from the wire before its looped ones, whichever stage reported first.
        var pool = FIFO<(bytes: [UInt8], expected: Bool)>()
        var looped: [(bytes: [UInt8], expected: Bool)] = []
        var loopedClock: UInt64 = 0
        /// Frames the driver posted and the transmit switch has not decided yet.
        var sending = FIFO<[UInt8]>()
        var dropped: UInt64 { drops.values.reduce(0, +) }
        var inFlight: Int64 { Int64(offered) - Int64(delivered) - Int64(dropped) }
    }

    let platform: Platform
    /// Per VF with a driver (`nic0.pf0.vf1`): its name and account, numbered (a frame's path
    /// through the hooks looks accounts up by number, not by name).
    private(set) var names: [String] = []
    private var books: [Account] = []
    var number: [String: Int] = [:]
    /// Per port (`device`, index): the VFs on it by pool, their numbers in name order, and by MAC
    /// (each driver's MAC as VF_RESET gave it).
    struct PortBook {
        var byPool: [Int: Int] = [:]
        /// The pool of each VF (by number): `byPool` turned around.
        var poolOf: [Int: Int] = [:]
        var all: [Int] = []
        var byMAC: [UInt64: [Int]] = [:]
    }
    var portBooks: [String: [Int: PortBook]] = [:]

    /// The accounts by VF name.
    var accounts: [String: Account] { Dictionary(uniqueKeysWithValues: zip(names, books)) }

    init(platform: Platform) {
        self.platform = platform
        for (name, _) in platform.vfDrivers.sorted(by: { $0.key < $1.key }) {
            guard let f = FunctionName(name, model: platform.model), let vf = f.vf, let pool = platform.pool(device: f.device, pf: f.pf, vf: vf) else { continue }
            number[name] = names.count
            portBooks[f.device, default: [:]][f.pf, default: PortBook()].byPool[pool] = names.count
            portBooks[f.device, default: [:]][f.pf, default: PortBook()].poolOf[names.count] = pool
            names.append(name)
            books.append(Account())
        }
    }

    /// Fills each port's MAC table from the drivers (once they are up).
    func learnAddresses() {
        for (device, ports) in portBooks {
            for (port, var book) in ports {
                book.all = book.byPool.values.sorted { names[$0] < names[$1] }
                book.byMAC = [:]
                for n in book.all { book.byMAC[platform.vfDrivers[names[n]]?.mac ?? 0, default: []].append(n) }
                portBooks[device]![port] = book
            }
        }
    }

    /// The VFs (with drivers) on a port that a frame with these bytes is addressed to.
    func addressees(_ bytes: [UInt8], _ book: PortBook) -> [Int] {
        guard bytes.count >= 6 else { return [] }
        let destination = bytes.prefix(6).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if destination == 0xFFFF_FFFF_FFFF { return book.all }
        return book.byMAC[destination] ?? []
    }

    func drop(_ accounts: [Int], _ reason: String) {
        for n in accounts { books[n].drops[reason, default: 0] += 1 }
    }

    /// Copies a stage handed to `pools`: addressees whose pool is missing are dropped with
    /// `reason`; pools of VFs not addressed are leaks (the frames are then followed as such).
    func handed(to pools: UInt64, addressees: [Int], _ book: PortBook, missing reason: String) {
        for n in addressees {
            guard let pool = book.poolOf[n] else { continue }
            if pools >> UInt64(pool) & 1 == 0 { drop([n], reason) }
        }
        for pool in PoolBits(pools) {
            if let n = book.byPool[pool], !addressees.contains(n) { books[n].leaked += 1 }
        }
    }

    /// Hooks the NIC's stages (after the pcap and log hooks, which keep running) and the drivers.
    func attach() {
        learnAddresses()
        for device in platform.nics.keys.sorted() {
            let nic = platform.nics[device]!
            for port in nic.ports {
                let book = portBooks[device]?[port.index] ?? PortBook()
                let arrived = port.receiveMAC.arrived
                port.receiveMAC.arrived = { [unowned self] frame, clock, outcome in
                    arrived?(frame, clock, outcome)
                    let to = addressees(frame.bytes, book)
                    for n in to { books[n].offered += 1 }
                    if outcome != .accepted { drop(to, "MAC: \(outcome.rawValue)") }
                }
                let sorted = port.sorter.decided
                port.sorter.decided = { [unowned self] frame, pools, reason, clock in
                    sorted?(frame, pools, reason, clock)
                    let to = addressees(frame.bytes, book)
                    if reason != .delivered {
                        drop(to, "sorter: \(reason)")
                    } else {
                        handed(to: pools, addressees: to, book, missing: "sorter: not selected")
                    }
                }
                let decided = port.transmitter.decided
                port.transmitter.decided = { [unowned self] request, toWire, local, reason, clock in
                    decided?(request, toWire, local, reason, clock)
                    switched(request, toWire: toWire, local: local, reason: reason, book)
                }
                let received = port.poolReceived
                port.poolReceived = { [unowned self] pool, frame, clock, looped in
                    received?(pool, frame, clock, looped)
                    guard let n = book.byPool[pool] else { return }
                    given(n, (frame.bytes, addressees(frame.bytes, book).contains(n)), clock: clock, looped: looped)
                }
            }
            nic.dma.receiveDropped = { [unowned self] p, pool, frame, reason, _ in
                guard let n = portBooks[device]?[p]?.byPool[pool], let entry = take(n) else { return }
                if entry.expected { drop([n], "queue: \(reason)") }
            }
        }
        for (name, driver) in platform.vfDrivers {
            guard let n = number[name], let f = FunctionName(name, model: platform.model) else { continue }
            let book = portBooks[f.device]?[f.pf] ?? PortBook()
            driver.received = { [unowned self] frame, _ in taken(frame, by: n) }
            driver.posted = { [unowned self] frame, _ in posted(frame, by: n, book) }
        }
    }

    // The hooks' work, in methods (a hook's every use of an unowned `self` was checked and
    // counted again).

    /// The transmit switch decided a frame a VF's driver posted.
    func switched(_ request: TransmitRequest, toWire: Bool, local: UInt64, reason: TransmitSwitch.DropReason, _ book: PortBook) {
        guard let sender = book.byPool[request.pool] else { return }
        if let sent = books[sender].sending.popFirst(), !Self.same(sent, request.frame.bytes) { books[sender].corrupted += 1 }
        if reason == .sent, toWire { books[sender].toWire += 1 }
        let to = addressees(request.frame.bytes, book).filter { $0 != sender }
        if reason != .sent {
            drop(to, "transmit switch: \(reason)")
        } else {
            handed(to: local, addressees: to, book, missing: "transmit switch: not looped back")
        }
    }

    /// VF `n`'s driver took `frame` from its ring.
    func taken(_ frame: EthernetFrame, by n: Int) {
        guard let entry = take(n) else { return }
        if !Self.same(entry.bytes, frame.bytes) { books[n].corrupted += 1 }
        if entry.expected {
            books[n].delivered += 1
            books[n].deliveredBytes += UInt64(frame.bytes.count)
        }
    }

    /// VF `n`'s driver posted `frame` on its Tx ring.
    func posted(_ frame: EthernetFrame, by n: Int, _ book: PortBook) {
        books[n].posted += 1
        books[n].postedBytes += UInt64(frame.bytes.count)
        books[n].sending.append(frame.bytes)
        for to in addressees(frame.bytes, book) where to != n { books[to].offered += 1 }
    }

    /// Byte for byte the same frame (compared as memory: `==` compared byte by byte).
    static func same(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && (a.isEmpty || a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } })
    }

    /// VF `n`'s pool was given a frame at `clock`, from the wire or looped back: in the order the
    /// packet buffer takes them (a clock's looped frames wait until its wire frames are in).
    func given(_ n: Int, _ entry: (bytes: [UInt8], expected: Bool), clock: UInt64, looped: Bool) {
        if books[n].loopedClock != clock { release(n) }
        if looped {
            books[n].loopedClock = clock
            books[n].looped.append(entry)
        } else {
            books[n].pool.append(entry)
        }
    }

    /// The held looped frames join the pool (their clock is over).
    func release(_ n: Int) {
        for entry in books[n].looped { books[n].pool.append(entry) }
        books[n].looped.removeAll(keepingCapacity: true)
    }

    /// The oldest frame in VF `n`'s pool (the next one its queue delivers or drops: later than
    /// the clock it was given in, so any held frames are in).
    func take(_ n: Int) -> (bytes: [UInt8], expected: Bool)? {
        release(n)
        return books[n].pool.popFirst()
    }

    /// One VM's accounts summed.
    func total(vm: String) -> Account {
        let names = platform.model.vm?.first { $0.name == vm }?.functions ?? []
        var sum = Account()
        for name in names {
            guard let n = number[name] else { continue }
            let a = books[n]
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
            if vm.forward == "macswap" {
                line += "; forwarding (macswap): \(drivers.reduce(0) { $0 + $1.forwardDrops }) dropped with the Tx ring full"
            }
            let unsent = drivers.reduce(0) { $0 + $1.unsent }
            if unsent > 0 { line += "; \(unsent) still queued to send" }
            lines.append(line)
        }
        return lines
    }
}
