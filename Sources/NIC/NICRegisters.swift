import PCIe
import RTL

/// The NIC's registers behind its BARs: one register file per PF (a port each, as on the
/// 82576 and 82599), reached through the PF's BAR0 by memory TLPs. A VF's BAR0 shows its own
/// window of its pool's registers (`VFRegisterWindow`); an offset outside it reads zeros and
/// ignores writes, like an unimplemented offset.
///
/// The filters the sorter and the transmit switch decide with are decoded from the registers
/// again only after software wrote to them (hardware counting does not change them).
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
    let rateSelect: (index: Int, field: RegisterField)?, rateFactor: Int?
    /// What a mailbox write or a VF reset did that the DMA engine acts on.
    public var mailboxEffect: ((Mailbox.Effect) -> Void)?

    /// The part's VF register window is the 82576's (else the 82599's): read per access.
    let is82576: Bool

    public init(map: RegisterMap, pfs: Int, msix: MSIXTables = MSIXTables(pf: nil, vf: nil)) {
        self.msix = msix
        is82576 = map.family == "82576"
        mailbox = Mailbox(map: map)
        rateFactors = Array(repeating: Array(repeating: 0, count: map.queues), count: pfs)
        rateSelect = map.index(named: "RTTDQSEL").flatMap { k in map.registers[k].field("TXDQ_IDX").map { (k, $0) } }
        rateFactor = map.index(named: "RTTBCNRC")
        ports = Array(repeating: RegisterFile(map: map), count: pfs)
        writes = Array(repeating: 0, count: pfs)
        decoded = Array(repeating: nil, count: pfs)
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
            value = ports[p].read(offset: pfOffset)
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
            let effects = mailbox.write(port: p, index: k, data: value & ConfigWrite.byteMask(byteEnables), file: &ports[p])
            writes[p] += 1
            written?(p, k)
            for effect in effects { mailboxEffect?(effect) }
            return
        }
        ports[p].write(offset: pfOffset, value: value, byteEnables: byteEnables)
        // A doorbell or an interrupt mask does not touch the filters: no decode again for it.
        if k.map({ filterInputs[p].isEmpty || filterInputs[p].contains($0) }) ?? true { writes[p] += 1 }
        if let k {
            if let (select, field) = rateSelect, let factor = rateFactor, k == select || k == factor {
                let queue = Int(field.value(in: ports[p].values[select])) % max(1, rateFactors[p].count)
                if k == select { ports[p].hardwareStore(index: factor, rateFactors[p][queue]) } else { rateFactors[p][queue] = ports[p].values[factor] }
            }
            written?(p, k)
        }
    }

    /// A Function Level Reset of VF `vf` of PF `p`: the mailbox's VF reset (VFLRE, queues off).
    public func functionLevelReset(port p: Int, vf: Int) {
        guard p < ports.count, vf < ports[p].map.pools else { return }
        softwareVersion &+= 1
        let effects = mailbox.functionLevelReset(port: p, vf: vf, file: &ports[p])
        writes[p] += 1   // the reset clears the VF's VFRE / VFTE bits
        for effect in effects { mailboxEffect?(effect) }
    }

    /// A register's value as hardware reads it (a read of the one value, so that no copy of
    /// the file is held while hardware stores into it).
    @inline(__always)
    public func value(port p: Int, index k: Int) -> UInt32 { ports[p].values[k] }

    /// Hardware counts one event in a statistics register.
    public func hardwareAdd(port p: Int, index k: Int, _ amount: UInt32 = 1) { ports[p].hardwareAdd(index: k, amount) }

    /// Hardware stores a register's value (a head it moved, an enable bit it cleared); not a
    /// software write, so the decoded filters stay.
    public func hardwareStore(port p: Int, index k: Int, value: UInt32) {
        ports[p].hardwareStore(index: k, value)
    }

    /// Changes whenever a register write may have changed port `p`'s filters (what `filters`
    /// decodes again for).
    public func filtersVersion(port p: Int) -> UInt64 { writes[p] }

    /// The port's receive filters and transmit settings as its registers set them now.
    public func filters(port p: Int) -> (tables: FilterTables<Concrete>, settings: TransmitSwitch.Settings<Concrete>) {
        if let d = decoded[p], d.writes == writes[p] { return (d.tables, d.settings) }
        var file = ports[p]
        let log = RegisterFile.ReadLog()
        file.readLog = log
        let tables = file.filterTables, settings = file.transmitSettings
        filterInputs[p] = RegisterIndexed(log.indices)
        decoded[p] = (writes[p], tables, settings)
        return (tables, settings)
    }

    /// Hardware counts into a pool's statistics register (no register there: nothing).
    public func count(_ statistic: Statistic, port p: Int, pool: Int, _ amount: UInt32 = 1) {
        guard pool < statistics.count, let k = statistics[pool][statistic.rawValue] else { return }
        ports[p].hardwareAdd(index: k, amount)
    }

    /// A malicious-driver event: `pool` sent a frame that failed an enabled anti-spoof check
    /// (82576: WVBR bit of the pool's queue, as igb_spoof_check reads it; 82599: SSVPC counts).
    public func spoofEvent(port p: Int, pool: Int) {
        if ports[p].map.family == "82576" {
            ports[p].hardwareSet("WVBR", bits: 1 << UInt32(pool))
        } else if let k = ports[p].map.index(named: "SSVPC") {
            ports[p].hardwareAdd(index: k, 1)
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
