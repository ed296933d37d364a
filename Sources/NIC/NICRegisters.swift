import PCIe
import RTL

/// The NIC's registers behind its BARs: one register file per PF (a port each, as on the
/// 82576 and 82599), reached through the PF's BAR0 by memory TLPs. A VF's BAR0 shows its own
/// window of its pool's registers (`VFRegisterWindow`); an offset outside it reads zeros and
/// ignores writes, like an unimplemented offset.
///
/// The filters the sorter and the transmit switch decide with are decoded from the registers
/// again only after software wrote to them (hardware counting does not change them).
///
/// Software's accesses (`read`, `write`, `functionLevelReset`: MMIO, in the endpoint's tick)
/// and hardware's (`value`, the stores and counts, `filters`: the NIC's logic) meet here within
/// a clock. With `clock` set, each side sees what the other changed from the next clock
/// (`RegisterViews`), so the order the endpoint and the NIC's logic tick in cannot change a
/// load's value or what hardware does (DESIGN.md §3).
public final class NICRegisters: MemoryMappedRegisters {
    public private(set) var ports: [RegisterFile]
    /// Bumped by every software access (a read may clear bits) and VF reset: the only ways a
    /// tail or a mailbox register changes (hardware stores heads, causes, masks and counters).
    public private(set) var softwareVersion: UInt64 = 0
    /// Software writes per port to the registers the filters are decoded from: the decoded
    /// filters are stale when this moved.
    public private(set) var writes: [UInt64]
    /// Per port, the registers the last decode of the filters read (empty: not decoded yet).
    var filterInputs: [RegisterIndexed<Void>]
    /// The VF register window's decisions (`VFRegisterWindow`), by VF << 16 | offset: the PF
    /// register offset and whether a write goes through, nil outside the window. The same for
    /// every port and never changed by a register (a VF's doorbell asked it per write).
    var windowDecisions: [UInt32: (offset: Int, writable: Bool)?] = [:]
    var decoded: [(writes: UInt64, tables: FilterTables<Concrete>, settings: TransmitSwitch.Settings<Concrete>)?]
    /// Per pool, the register index of each statistics counter (`Statistic`), or nil.
    let statistics: [[Int?]]
    /// Sees every software write that reached a register: (port, register index). The DMA
    /// engine listens for its doorbells (tails, queue enables, rate factors).
    public var written: ((Int, Int) -> Void)?

    /// The functions' MSI-X tables and PBAs (in the BAR each capability names).
    public let msix: MSIXTables
    /// The PF/VF mailboxes and reset handshakes (the same registers on every port).
    let mailbox: Mailbox
    /// Per port, each Tx queue's rate factor (RTTBCNRC as software wrote it while RTTDQSEL
    /// selected the queue): RTTBCNRC is one register in front of a table (82576 §8.12.x,
    /// 82599 §8.2.3.10.x), so a write of RTTDQSEL shows the selected queue's value at once.
    public private(set) var rateFactors: [[UInt32]]
    /// RTTDQSEL with its TXDQ_IDX field, and RTTBCNRC (nil: the part has no such pair).
    let rate: (select: Int, field: RegisterField, factor: Int)?
    /// What a mailbox write or a VF reset did that the DMA engine acts on.
    public var mailboxEffect: ((Mailbox.Effect) -> Void)?

    /// The part's VF register window is the 82576's (else the 82599's): read per access.
    let is82576: Bool

    /// The simulator whose clock separates the two sides' changes (none: both act at once,
    /// as between clocks).
    public var clock: Simulator? {
        get { clockReference.simulator }
        set {
            clockReference = SimulatorReference(newValue)
            msix.clock = clockReference
        }
    }
    var clockReference = SimulatorReference(nil)
    /// What each side sees of the other's changes in the clock being stepped.
    let views: RegisterViews

    public init(map: RegisterMap, pfs: Int, msix: MSIXTables = MSIXTables(pf: nil, vf: nil)) {
        self.msix = msix
        is82576 = map.family == "82576"
        mailbox = Mailbox(map: map)
        rateFactors = Array(repeating: Array(repeating: 0, count: map.queues), count: pfs)
        rate = map.index(named: "RTTDQSEL").flatMap { select in
            map.registers[select].field("TXDQ_IDX").flatMap { field in map.index(named: "RTTBCNRC").map { (select, field, $0) } }
        }
        ports = Array(repeating: RegisterFile(map: map), count: pfs)
        writes = Array(repeating: 0, count: pfs)
        decoded = Array(repeating: nil, count: pfs)
        views = RegisterViews(ports: pfs, registers: map.registers.count)
        filterInputs = Array(repeating: RegisterIndexed(), count: pfs)
        statistics = (0..<map.pools).map { pool in Statistic.allCases.map { $0.register(pool: pool, map: map).flatMap(map.index(named:)) } }
    }

    /// The port and PF register offset an access reaches, and whether a write may change it.
    func route(_ function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64) -> (port: Int, offset: Int, writable: Bool)? {
        guard bar == 0 else { return nil }
        switch function {
        case .pf(let p):
            return p < ports.count && offset < ports[p].map.pfWindow ? (p, Int(offset), true) : nil
        case .vf(let p, let i):
            guard p < ports.count, i < ports[p].map.pools, offset < 0x4000 else { return nil }
            // The window's decision is a function of the VF and the offset only: remembered.
            let key = UInt32(i) << 16 | UInt32(offset)
            if let known = windowDecisions[key] { return known.map { (p, $0.offset, $0.writable) } }
            let t = is82576
                ? VFRegisterWindow.i82576(vf: Bits<Concrete, 3>(UInt64(i)), offset: Bits(offset))
                : VFRegisterWindow.i82599(vf: Bits<Concrete, 6>(UInt64(i)), offset: Bits(offset))
            let decision = t.hit.isSet ? (offset: Int(t.pfOffset.value), writable: t.writable.isSet) : nil
            windowDecisions[key] = .some(decision)
            return decision.map { (p, $0.offset, $0.writable) }
        }
    }

    public func read(_ function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64, byteEnables: UInt8) -> UInt32 {
        let value: UInt32
        if let (p, pfOffset, _) = route(function, bar: bar, offset: offset) {
            softwareVersion &+= 1
            // The register read (itself, or the one whose bits it sets and shows, EIMS).
            let k = ports[p].map.resolve(pfOffset)
            value = software(port: p, reach: RegisterViews.Reach(k, k.flatMap(ports[p].map.bitsTarget))) { $0.read(offset: pfOffset) }
        } else {
            value = msix.read(function, bar: bar, offset: offset) ?? 0
        }
        return value & ConfigWrite.byteMask(byteEnables)
    }

    public func write(_ function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64, value: UInt32, byteEnables: UInt8) {
        guard let (p, pfOffset, writable) = route(function, bar: bar, offset: offset) else {
            msix.write(function, bar: bar, offset: offset, value: value, byteEnables: byteEnables)
            return
        }
        guard writable else { return }
        softwareVersion &+= 1
        let k = ports[p].map.resolve(pfOffset)
        if let k, mailbox.handles(k) {
            let effects = software(port: p, reach: mailbox.reach) {
                mailbox.write(port: p, index: k, data: value & ConfigWrite.byteMask(byteEnables), file: &$0)
            }
            filtersWritten(port: p)
            written?(p, k)
            for effect in effects { mailboxEffect?(effect) }
            return
        }
        guard let k else { return }
        // The register the write acts on (itself, or the one it sets or clears bits of), and
        // RTTBCNRC, which shows the rate factor of the queue RTTDQSEL selects.
        let reach = RegisterViews.Reach(k, ports[p].map.bitsTarget(k), rate.flatMap { k == $0.select || k == $0.factor ? $0.factor : nil })
        software(port: p, reach: reach) { file in
            file.write(offset: pfOffset, value: value, byteEnables: byteEnables)
            if let (select, field, factor) = rate, k == select || k == factor {
                let queue = Int(field.value(in: file.values[select])) % max(1, rateFactors[p].count)
                if k == select { file.hardwareStore(index: factor, rateFactors[p][queue]) } else { rateFactors[p][queue] = file.values[factor] }
            }
        }
        // A doorbell or an interrupt mask does not touch the filters: no decode again for it.
        if filterInputs[p].isEmpty || filterInputs[p].contains(k) { filtersWritten(port: p) }
        written?(p, k)
    }

    /// The clock being stepped, if one is (else accesses act at once on both sides).
    @inline(__always)
    func stepping() -> UInt64? { clockReference.steppedClock }

    /// A software access to port `p`'s file, which reads or may change the registers in
    /// `reach`: on software's view of the file while a clock is stepped (`RegisterViews`).
    func software<R>(port p: Int, reach: some Collection<Int>, _ access: (inout RegisterFile) -> R) -> R {
        guard let now = stepping() else { return access(&ports[p]) }
        return views.software(port: p, &ports[p], reach: reach, at: now, access)
    }

    /// Software changed what the filters are decoded from: hardware decodes them again from the
    /// next clock.
    func filtersWritten(port p: Int) {
        if let now = stepping() { views.filtersWritten(port: p, version: writes[p], at: now) }
        writes[p] += 1
    }

    /// A Function Level Reset of VF `vf` of PF `p`: the mailbox's VF reset (VFLRE, queues off).
    public func functionLevelReset(port p: Int, vf: Int) {
        guard p < ports.count, vf < ports[p].map.pools else { return }
        softwareVersion &+= 1
        let effects = software(port: p, reach: mailbox.reach) { mailbox.functionLevelReset(port: p, vf: vf, file: &$0) }
        filtersWritten(port: p)   // the reset clears the VF's VFRE / VFTE bits
        for effect in effects { mailboxEffect?(effect) }
    }

    /// A register's value as hardware reads it: without software's changes in the clock being
    /// stepped (a read of the one value, so that no copy of the file is held while hardware
    /// stores into it).
    @inline(__always)
    public func value(port p: Int, index k: Int) -> UInt32 {
        if views.softwareChanged, let now = stepping(), let seen = views.hardwareView(p, k, at: now) { return seen }
        return ports[p].values[k]
    }

    /// Hardware counts one event in a statistics register (wrapping as a 32-bit register does).
    public func hardwareAdd(port p: Int, index k: Int, _ amount: UInt32 = 1) {
        hardwareStore(port: p, index: k, value: value(port: p, index: k) &+ amount)
    }

    /// Hardware stores a register's value (a head it moved, an enable bit it cleared); not a
    /// software write, so the decoded filters stay.
    public func hardwareStore(port p: Int, index k: Int, value: UInt32) {
        // The value it holds already, with no software change this clock that hardware's view
        // would differ by: nothing changes for either side.
        if !views.softwareChanged, ports[p].values[k] == value { return }
        guard let now = stepping() else { return ports[p].hardwareStore(index: k, value) }
        views.hardwareStore(p, k, value, file: &ports[p], at: now)
    }

    /// Changes whenever a register write may have changed port `p`'s filters (what `filters`
    /// decodes again for), as hardware sees it (software's writes in the clock being stepped
    /// count from the next).
    public func filtersVersion(port p: Int) -> UInt64 {
        if let now = stepping(), let seen = views.filterVersion(port: p, at: now) { return seen }
        return writes[p]
    }

    /// The port's receive filters and transmit settings as its registers set them now (as
    /// hardware sees them: without software's writes in the clock being stepped).
    public func filters(port p: Int) -> (tables: FilterTables<Concrete>, settings: TransmitSwitch.Settings<Concrete>) {
        let version = filtersVersion(port: p)
        if let d = decoded[p], d.writes == version { return (d.tables, d.settings) }
        var file = ports[p]
        if version != writes[p], let now = stepping() { views.applyHardwareViews(port: p, at: now, to: &file.values) }
        let log = RegisterFile.ReadLog()
        file.readLog = log
        let tables = file.filterTables, settings = file.transmitSettings
        filterInputs[p] = RegisterIndexed(log.indices)
        decoded[p] = (version, tables, settings)
        return (tables, settings)
    }

    /// Hardware counts into a pool's statistics register (no register there: nothing).
    public func count(_ statistic: Statistic, port p: Int, pool: Int, _ amount: UInt32 = 1) {
        guard pool < statistics.count, let k = statistics[pool][statistic.rawValue] else { return }
        hardwareAdd(port: p, index: k, amount)
    }

    /// A malicious-driver event: `pool` sent a frame that failed an enabled anti-spoof check
    /// (82576: WVBR bit of the pool's queue, as igb_spoof_check reads it; 82599: SSVPC counts).
    public func spoofEvent(port p: Int, pool: Int) {
        if ports[p].map.family == "82576" {
            if let k = ports[p].map.index(named: "WVBR") { hardwareStore(port: p, index: k, value: value(port: p, index: k) | 1 << UInt32(pool)) }
        } else if let k = ports[p].map.index(named: "SSVPC") {
            hardwareAdd(port: p, index: k)
        }
    }

    /// Per-pool statistics the hardware counts (82576 PVF*, 82599 VF*).
    public enum Statistic: Int, CaseIterable, Sendable {
        case goodPacketsReceived, goodOctetsReceived, multicastPacketsReceived, goodPacketsTransmitted, goodOctetsTransmitted
        case loopbackPacketsReceived, loopbackOctetsReceived

        func register(pool: Int, map: RegisterMap) -> String? {
            let names: [String?] = map.family == "82576"
                ? ["PVFGPRC", "PVFGORC", "PVFMPRC", "PVFGPTC", "PVFGOTC", "PVFGPRLBC", "PVFGORLBC"]
                : ["VFGPRC", "VFGORC_LSB", "VFMPRC", "VFGPTC", "VFGOTC_LSB", nil, nil]
            return names[rawValue].map { "\($0)[\(pool)]" }
        }
    }
}
