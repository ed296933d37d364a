import NIC
import PCIe

/// The remapping hardware's registers (VT-d §10.4), memory-mapped at the DRHD base the ACPI
/// DMAR table would give (0xFED9_0000 here): one table in the spec's order, 64-bit registers
/// as two dwords; what software writes acts on the `IOMMU` (global command, root table,
/// context-cache and IOTLB invalidation, interrupt remapping table, fault recording).
public final class IOMMURegisters {
    public static let base: UInt64 = 0xFED9_0000
    public static let size: UInt64 = 0x1000
    /// Where CAP.FRO and ECAP.IRO put the fault recording and IOTLB registers.
    public static let faultRecordingOffset = 0x220, iotlbOffset = 0xF0

    public let iommu: IOMMU
    public private(set) var file: RegisterFile
    /// GSTS.QIES: invalidations come through the queue (and the register interface is off).
    public private(set) var queuedInvalidation = false
    /// Descriptors processed from the queue.
    public private(set) var queuedDescriptors: UInt64 = 0

    public static func map(faultRecords: Int) -> RegisterMap {
        // CAP: ND 2 (256 domains), SAGAW 39- and 48-bit, MGAW 47, SLLPS 2 MiB, FRO, NFR.
        let cap: UInt64 = 2 | 0b00110 << 8 | 47 << 16 | UInt64(faultRecordingOffset / 16) << 24 | 1 << 34 | UInt64(faultRecords - 1) << 40
        // ECAP: QI, DT, IR, PT, IRO.
        let ecap: UInt64 = 1 << 1 | 1 << 2 | 1 << 3 | 1 << 6 | UInt64(iotlbOffset / 16) << 8
        var r: [MMIORegister] = [
            MMIORegister("VER", offset: 0x00, .ro, reset: 0x10),
            MMIORegister("CAP_LO", offset: 0x08, .ro, reset: UInt32(truncatingIfNeeded: cap)),
            MMIORegister("CAP_HI", offset: 0x0C, .ro, reset: UInt32(cap >> 32)),
            MMIORegister("ECAP_LO", offset: 0x10, .ro, reset: UInt32(truncatingIfNeeded: ecap)),
            MMIORegister("ECAP_HI", offset: 0x14, .ro, reset: UInt32(ecap >> 32)),
            MMIORegister("GCMD", offset: 0x18, fields: [RegisterField("SIRTP", lsb: 24, .wo), RegisterField("IRE", lsb: 25, .wo),
                                                        RegisterField("QIE", lsb: 26, .wo), RegisterField("SRTP", lsb: 30, .wo), RegisterField("TE", lsb: 31, .wo)]),
            MMIORegister("GSTS", offset: 0x1C, fields: [RegisterField("IRTPS", lsb: 24, .ro), RegisterField("IRES", lsb: 25, .ro),
                                                        RegisterField("QIES", lsb: 26, .ro), RegisterField("RTPS", lsb: 30, .ro), RegisterField("TES", lsb: 31, .ro)]),
            MMIORegister("RTADDR_LO", offset: 0x20, fields: [RegisterField("RTA", lsb: 12, width: 20)]),
            MMIORegister("RTADDR_HI", offset: 0x24),
            MMIORegister("CCMD_LO", offset: 0x28, fields: [RegisterField("DID", lsb: 0, width: 16), RegisterField("SID", lsb: 16, width: 16)]),
            MMIORegister("CCMD_HI", offset: 0x2C, fields: [RegisterField("CIRG", lsb: 29, width: 2), RegisterField("ICC", lsb: 31)]),
            MMIORegister("FSTS", offset: 0x34, fields: [RegisterField("PFO", lsb: 0, .rw1c), RegisterField("PPF", lsb: 1, .ro),
                                                        RegisterField("IQE", lsb: 4, .rw1c), RegisterField("FRI", lsb: 8, width: 8, .ro)]),
            MMIORegister("FECTL", offset: 0x38, fields: [RegisterField("IP", lsb: 30, .ro), RegisterField("IM", lsb: 31, reset: 1)]),
            MMIORegister("FEDATA", offset: 0x3C),
            MMIORegister("FEADDR", offset: 0x40),
            // Queued invalidation (§6.5.2): head, tail (in 16-byte descriptors, bits 18:4) and
            // the queue's address and size (2^QS pages).
            MMIORegister("IQH_LO", offset: 0x80, fields: [RegisterField("QH", lsb: 4, width: 15, .ro)]),
            MMIORegister("IQH_HI", offset: 0x84, .ro),
            MMIORegister("IQT_LO", offset: 0x88, fields: [RegisterField("QT", lsb: 4, width: 15)]),
            MMIORegister("IQT_HI", offset: 0x8C),
            MMIORegister("IQA_LO", offset: 0x90, fields: [RegisterField("QS", lsb: 0, width: 3), RegisterField("IQA", lsb: 12, width: 20)]),
            MMIORegister("IQA_HI", offset: 0x94),
            MMIORegister("IRTA_LO", offset: 0xB8, fields: [RegisterField("S", lsb: 0, width: 4), RegisterField("EIME", lsb: 11),
                                                           RegisterField("IRTA", lsb: 12, width: 20)]),
            MMIORegister("IRTA_HI", offset: 0xBC),
            MMIORegister("IVA_LO", offset: iotlbOffset, fields: [RegisterField("AM", lsb: 0, width: 6), RegisterField("IH", lsb: 6),
                                                                 RegisterField("ADDR", lsb: 12, width: 20)]),
            MMIORegister("IVA_HI", offset: iotlbOffset + 4),
            MMIORegister("IOTLB_LO", offset: iotlbOffset + 8),
            MMIORegister("IOTLB_HI", offset: iotlbOffset + 12, fields: [RegisterField("DID", lsb: 0, width: 16), RegisterField("IIRG", lsb: 28, width: 2),
                                                                        RegisterField("IVT", lsb: 31)]),
        ]
        for k in 0..<faultRecords {
            let at = faultRecordingOffset + 16 * k
            r += [MMIORegister("FRCD[\(k)]_0", offset: at, .ro), MMIORegister("FRCD[\(k)]_1", offset: at + 4, .ro),
                  MMIORegister("FRCD[\(k)]_2", offset: at + 8, .ro),
                  MMIORegister("FRCD[\(k)]_3", offset: at + 12, fields: [RegisterField("FR_HIGH", lsb: 0, width: 31, .ro), RegisterField("F", lsb: 31, .rw1c)])]
        }
        return RegisterMap(family: "VT-d", pools: 0, pfWindow: Int(size), registers: r.sorted { $0.offset < $1.offset })
    }

    /// The table's offsets and fields, for software that programs the IOMMU (the VMM).
    public static let layout = map(faultRecords: 1)
    public static func offset(_ register: String) -> Int { layout.register(named: register)!.offset }
    public static func field(_ register: String, _ field: String) -> RegisterField { layout.register(named: register)!.field(field)! }

    public init(iommu: IOMMU) {
        self.iommu = iommu
        file = RegisterFile(map: Self.map(faultRecords: iommu.faultRecords))
    }

    func value(_ name: String) -> UInt32 { file.peek(name) }
    func field(_ register: String, _ field: String) -> UInt32 { file.peek(register, field: field) }
    func qword(_ name: String) -> UInt64 { UInt64(value("\(name)_HI")) << 32 | UInt64(value("\(name)_LO")) }

    /// A CPU load at `offset`: the fault status and records reflect the IOMMU's faults.
    public func read(offset: Int) -> UInt32 {
        refreshFaults()
        return file.read(offset: offset)
    }

    /// A CPU store: GCMD acts (SRTP latches RTADDR, TE turns translation on or off, SIRTP and
    /// IRE likewise for interrupt remapping; GSTS follows), CCMD and IOTLB with their ICC/IVT
    /// bit invalidate and clear it, writing 1 to a record's F bit or PFO clears it.
    public func write(offset: Int, value: UInt32, byteEnables: UInt8 = 0xF) {
        refreshFaults()
        let before = faultBits()
        file.write(offset: offset, value: value, byteEnables: byteEnables)
        guard let k = file.map.index(at: offset & ~3) else { return }
        switch file.map.registers[k].name {
        case "GCMD":
            var status = self.value("GSTS")
            let gsts = file.map.register(named: "GSTS")!, gcmd = file.map.registers[k]
            func set(_ name: String, _ on: Bool) { status = gsts.field(name)!.setting(on ? 1 : 0, in: status) }
            func command(_ name: String) -> Bool { gcmd.field(name)!.value(in: value) == 1 }
            if command("SRTP") {
                iommu.rootTable = qword("RTADDR") & ~0xFFF
                iommu.iotlb.invalidateContexts()
                set("RTPS", true)
            }
            if command("SIRTP") {
                iommu.interruptTable = qword("IRTA") & ~0xFFF
                iommu.interruptTableSize = UInt8(field("IRTA_LO", "S"))
                set("IRTPS", true)
            }
            iommu.translationEnabled = command("TE")
            iommu.interruptRemappingEnabled = command("IRE")
            queuedInvalidation = command("QIE")
            if !queuedInvalidation { file.hardwareStore(index: file.map.index(named: "IQH_LO")!, 0) }
            set("TES", iommu.translationEnabled)
            set("IRES", iommu.interruptRemappingEnabled)
            set("QIES", queuedInvalidation)
            file.hardwareStore(index: file.map.index(named: "GSTS")!, status)
        case "CCMD_HI" where field("CCMD_HI", "ICC") == 1:
            // Global, domain-selective or device-selective: IOVSim's context cache holds
            // domains by source-id; a device-selective one forgets that requester.
            let granularity = field("CCMD_HI", "CIRG")
            iommu.iotlb.invalidateContexts(sourceID: granularity == 3 ? UInt16(field("CCMD_LO", "SID")) : nil)
            file.hardwareStore(index: k, file.map.registers[k].field("ICC")!.setting(0, in: self.value("CCMD_HI")))   // done
        case "IQT_LO" where queuedInvalidation:
            processQueue()
        case "IOTLB_HI" where field("IOTLB_HI", "IVT") == 1:
            let domain = UInt16(field("IOTLB_HI", "DID"))
            switch field("IOTLB_HI", "IIRG") {
            case 1: iommu.iotlb.invalidate(.global)
            case 2: iommu.iotlb.invalidate(.domain(domain))
            default: iommu.iotlb.invalidate(.pages(domain: domain, address: qword("IVA") & ~0xFFF, mask: Int(field("IVA_LO", "AM"))))
            }
            file.hardwareStore(index: k, file.map.registers[k].field("IVT")!.setting(0, in: self.value("IOTLB_HI")))   // done
        default:
            break
        }
        // Software cleared record F bits or PFO: the IOMMU forgets those.
        let after = faultBits()
        if before.records != after.records || before.overflow != after.overflow { iommu.acknowledgeFaults(records: after.records, overflow: after.overflow) }
    }

    /// Processes the invalidation queue from IQH to IQT (VT-d §6.5.2): context-cache (type 1:
    /// global, domain or device), IOTLB (type 2: global, domain, or page with the address mask),
    /// device-TLB (3) and interrupt entry cache (4, IOVSim caches no IRTEs) descriptors, and
    /// invalidation wait (5: with SW, the status data written to the address). An unknown type
    /// stops the queue with FSTS.IQE set; IQH stays at it.
    func processQueue() {
        let base = qword("IQA") & ~0xFFF
        let entries = UInt64(256) << UInt64(field("IQA_LO", "QS"))
        var head = UInt64(field("IQH_LO", "QH")), tail = UInt64(field("IQT_LO", "QT"))
        tail %= entries
        let fsts = file.map.register(named: "FSTS")!
        while head != tail {
            let at = base + 16 * head
            let low = iommu.memory.read64(at), high = iommu.memory.read64(at + 8)
            let granularity = (low >> 4) & 3, domain = UInt16(truncatingIfNeeded: low >> 16)
            switch low & 0xF {
            case 1: iommu.iotlb.invalidateContexts(sourceID: granularity == 3 ? UInt16(truncatingIfNeeded: low >> 32) : nil)
            case 2:
                switch granularity {
                case 1: iommu.iotlb.invalidate(.global)
                case 2: iommu.iotlb.invalidate(.domain(domain))
                default: iommu.iotlb.invalidate(.pages(domain: domain, address: high & ~0xFFF, mask: Int(high & 0x3F)))
                }
            case 3:
                // Device-TLB invalidate (VT-d §6.5.2.5): SID in bits 47:32; the address in bits
                // 63:12 of the high qword, S in bit 0.
                let range = TLP.invalidationRange(address: high & ~0xFFF, size: high & 1 != 0)
                iommu.invalidateDeviceTLB(sourceID: UInt16(truncatingIfNeeded: low >> 32), page: range.page, pages: range.pages)
            case 4: break
            case 5:
                // A wait waits for every device-TLB invalidation before it (§6.5.2.8): the queue
                // stops here until their completions arrive.
                if iommu.pendingDeviceInvalidations > 0 {
                    file.hardwareStore(index: file.map.index(named: "IQH_LO")!, UInt32(head << 4))
                    return
                }
                if low >> 5 & 1 == 1 { iommu.memory.write32(high & ~3, UInt32(truncatingIfNeeded: low >> 32)) }
            default:
                file.hardwareStore(index: file.map.index(named: "FSTS")!, fsts.field("IQE")!.setting(1, in: value("FSTS")))
                file.hardwareStore(index: file.map.index(named: "IQH_LO")!, UInt32(head << 4))
                return
            }
            queuedDescriptors += 1
            head = (head + 1) % entries
        }
        file.hardwareStore(index: file.map.index(named: "IQH_LO")!, UInt32(head << 4))
    }

    /// The valid bits of the fault records and PFO, as the registers hold them.
    func faultBits() -> (records: [Bool], overflow: Bool) {
        ((0..<iommu.faultRecords).map { field("FRCD[\($0)]_3", "F") == 1 }, field("FSTS", "PFO") == 1)
    }

    /// Copies the IOMMU's fault records into FRCD and FSTS (PPF, FRI, PFO).
    func refreshFaults() {
        for k in 0..<iommu.faultRecords {
            let record = iommu.slots[k]?.register ?? (0, 0)
            let words = [UInt32(truncatingIfNeeded: record.0), UInt32(record.0 >> 32), UInt32(truncatingIfNeeded: record.1), UInt32(record.1 >> 32)]
            for (w, word) in words.enumerated() { file.hardwareStore(index: file.map.index(named: "FRCD[\(k)]_\(w)")!, word) }
        }
        let fsts = file.map.register(named: "FSTS")!
        var status = value("FSTS")   // IQE stays as the queue left it
        status = fsts.field("PPF")!.setting(iommu.faults.isEmpty ? 0 : 1, in: status)
        status = fsts.field("PFO")!.setting(iommu.primaryFaultOverflow ? 1 : 0, in: status)
        file.hardwareStore(index: file.map.index(named: "FSTS")!, status)
    }
}
