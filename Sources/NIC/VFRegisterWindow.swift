import RTL

/// What a VF's BAR0 shows: its own view of its pool's registers, each VF-view offset redirected
/// to the PF-side register that holds it for that VF. ONE function of (VF index, VF-view offset)
/// per part, generic over the algebra, so the prover can show a VF reaches only its own
/// registers. An offset the view does not have misses: reads return 0, writes are ignored. The
/// device's STATUS (and on the 82599 LINKS) is shared by all VFs, read-only.
public enum VFRegisterWindow {
    /// Where a VF-view offset lands in the PF's register space.
    public struct Target<A: BitVectorAlgebra> {
        /// The offset is in the VF's view.
        public var hit: Bit<A>
        public var pfOffset: Bits<A, 20>
        /// Writes reach the target (the shared status registers are read-only from a VF).
        public var writable: Bit<A>

        @usableFromInline
        init(hit: Bit<A>, pfOffset: Bits<A, 20>, writable: Bit<A>) {
            self.hit = hit
            self.pfOffset = pfOffset
            self.writable = writable
        }
    }

    /// The VF-view offsets of a VF's own registers by the VF driver's names (igbvf E1000_*,
    /// ixgbevf IXGBE_VF*/VT*): control, status, interrupts (EITR0 and IVAR0 are the first of
    /// their arrays), mailbox and mailbox memory. The decoders below map these offsets.
    public static func viewOffsets(family: String) -> [String: Int] {
        family == "82576" ? i82576View : i82599View
    }

    public static let i82576View: [String: Int] = [
        "CTRL": 0x0000, "STATUS": 0x0008, "MBMEM": 0x0800, "MAILBOX": 0x0C40, "EICS": 0x1520, "EIMS": 0x1524, "EIMC": 0x1528,
        "EIAC": 0x152C, "EIAM": 0x1530, "EICR": 0x1580, "EITR0": 0x1680, "IVAR0": 0x1700, "IVAR_MISC": 0x1740,
    ]
    public static let i82599View: [String: Int] = [
        "CTRL": 0x0000, "STATUS": 0x0008, "LINKS": 0x0010, "EICR": 0x0100, "EICS": 0x0104, "EIMS": 0x0108, "EIMC": 0x010C,
        "EIAC": 0x0110, "EIAM": 0x0114, "IVAR0": 0x0120, "IVAR_MISC": 0x0140, "MBMEM": 0x0200, "MAILBOX": 0x02FC, "PSRTYPE": 0x0300,
        "EITR0": 0x0820,
    ]

    /// Where a VF sees its queue `queue`'s ring register `name` (RDBAL, TDT, ...) in its BAR0:
    /// 82576 (igbvf E1000_RDBAL(q) ...) Rx at 0x2800 + 0x100 q, Tx at 0x3800 + 0x100 q; 82599
    /// (ixgbevf IXGBE_VFRDBAL(q) ...) Rx at 0x1000 + 0x40 q, Tx at 0x2000 + 0x40 q.
    public static func queueRegisterOffset(_ name: String, queue q: Int, family: String) -> Int? {
        let i82576 = family == "82576"
        let rx = i82576 ? RegisterMap.i82576RxQueueRegisters : RegisterMap.i82599RxQueueRegisters
        let tx = i82576 ? RegisterMap.i82576TxQueueRegisters : RegisterMap.i82599TxQueueRegisters
        if let r = rx.first(where: { $0.name == name }) { return queueBase(receive: true, queue: q, i82576: i82576) + r.offset }
        if let r = tx.first(where: { $0.name == name }) { return queueBase(receive: false, queue: q, i82576: i82576) + r.offset }
        return nil
    }

    @usableFromInline
    static func queueBase(receive: Bool, queue q: Int, i82576: Bool) -> Int {
        i82576 ? (receive ? 0x2800 : 0x3800) + 0x100 * q : (receive ? 0x1000 : 0x2000) + 0x40 * q
    }

    /// A priority decoder being built: the first matching rule gives the target.
    @usableFromInline
    struct Decoder<A: BitVectorAlgebra> {
        @usableFromInline let offset: Bits<A, 20>
        @usableFromInline var hit = Bit<A>(0), target = Bits<A, 20>.zero, readOnly = Bit<A>(0)

        @inlinable init(_ offset: Bits<A, 16>) { self.offset = offset.zeroExtended() }

        @inlinable func at(_ vfOffset: Int) -> Bit<A> { offset .== Bits(UInt64(vfOffset)) }

        /// Dword offsets `low ... high` of the view.
        @inlinable func within(_ low: Int, _ high: Int) -> Bit<A> {
            (offset .>= Bits(UInt64(low))) & (offset .<= Bits(UInt64(high))) & ((offset & 3) .== 0)
        }

        @inlinable mutating func on(_ matches: Bit<A>, _ pf: Bits<A, 20>) {
            target = mux(matches & ~hit, pf, target)
            hit = hit | matches
        }

        /// A device register every VF reads and none writes.
        @inlinable mutating func shared(_ vfOffset: Int, _ pf: Int) {
            let m = at(vfOffset)
            on(m, Bits(UInt64(pf)))
            readOnly = readOnly | m
        }

        /// One queue's registers: `registers` offsets in the view's block at `vfBase`, in the
        /// PF's block at `pfBase`.
        @inlinable mutating func queue(_ registers: [QueueRegister], vfBase: Int, pfBase: Bits<A, 20>) {
            for r in registers { on(at(vfBase + r.offset), pfBase + Bits(UInt64(r.offset))) }
        }

        @inlinable var result: Target<A> {
            let aligned = (offset & 3) .== 0
            return Target(hit: hit & aligned, pfOffset: target, writable: hit & aligned & ~readOnly)
        }
    }

    /// The 82576 VF view (igbvf; QEMU igbvf.c `vf_to_pf_addr`, sriov-facts §1.3): VF `vf` (0-7)
    /// accessing `offset` of its BAR0 (16 KiB).
    @inlinable
    public static func i82576<A>(vf: Bits<A, 3>, offset: Bits<A, 16>, hooks: WindowHooks = WindowHooks()) -> Target<A> {
        let n: Bits<A, 20> = vf.zeroExtended()
        var d = Decoder<A>(offset)
        let o = d.offset
        // Control and interrupts: the per-VF mirrors at 0x10000 + 0x100 n.
        let mirror = Bits<A, 20>(0x10000) + n * Bits(0x100)
        d.on(d.at(0x0000) | d.at(0x0004), mirror)                    // CTRL (and its duplicate)
        for (name, delta) in [("EICS", 0x20), ("EIMS", 0x24), ("EIMC", 0x28), ("EIAC", 0x2C), ("EIAM", 0x30), ("EICR", 0x80)] {
            d.on(d.at(i82576View[name]!), mirror + Bits(UInt64(delta)))   // -> PVTEICS(n) ...
        }
        // EITR 0-2: the PF's EITR(22 - 3n) ... EITR(24 - 3n).
        d.on(d.within(0x1680, 0x1688), o - Bits(0x1680) + Bits(0x16D8) - n * Bits(0xC))
        d.on(d.at(0x1700), Bits<A, 20>(0x11700) + n * 4)              // IVAR0 -> VTIVAR(n)
        d.on(d.at(0x1740), Bits<A, 20>(0x11720) + n * 4)              // IVAR_MISC -> VTIVAR_MISC(n)
        d.on(d.at(0x0C40), Bits<A, 20>(0x0C40) + n * 4)               // V2PMAILBOX(0) -> V2PMAILBOX(n)
        d.on(d.within(0x0800, 0x083C), o + (n + hooks.mailboxDelta()) * Bits(0x40))   // VMBMEM(0) -> VMBMEM(n)
        for (_, vfOffset) in RegisterMap.i82576VFStatistics {
            d.on(d.at(vfOffset), mirror + Bits(UInt64(vfOffset - 0xF00)))  // VFGPRC ... -> PVFGPRC(n) ...
        }
        // The two queues' ring registers: queue 0 of the view is the PF's queue n, queue 1 is
        // queue n + 8 (E1000_*_A(0), *_A(1)).
        let low = n .< Bits(4)
        d.queue(RegisterMap.i82576RxQueueRegisters, vfBase: queueBase(receive: true, queue: 0, i82576: true),
                pfBase: mux(low, Bits<A, 20>(0x2800) + n * Bits(0x100), Bits<A, 20>(0xC000) + n * Bits(0x40)))
        d.queue(RegisterMap.i82576RxQueueRegisters, vfBase: queueBase(receive: true, queue: 1, i82576: true), pfBase: Bits<A, 20>(0xC000) + (n + 8) * Bits(0x40))
        d.queue(RegisterMap.i82576TxQueueRegisters, vfBase: queueBase(receive: false, queue: 0, i82576: true),
                pfBase: mux(low, Bits<A, 20>(0x3800) + n * Bits(0x100), Bits<A, 20>(0xE000) + n * Bits(0x40)))
        d.queue(RegisterMap.i82576TxQueueRegisters, vfBase: queueBase(receive: false, queue: 1, i82576: true), pfBase: Bits<A, 20>(0xE000) + (n + 8) * Bits(0x40))
        d.shared(0x0008, 0x0008)                                      // STATUS
        return d.result
    }

    /// The 82599 VF view (ixgbevf, ixgbe_vf.h offsets): VF `vf` (0-63) accessing `offset` of its
    /// BAR0 (16 KiB), in 64-pool mode (two queue pairs per pool: the view's queue q is the PF's
    /// queue 2n + q). The VF's own control, interrupt, mailbox and statistics registers live
    /// at `RegisterMap.i82599VFPrivateBase + 0x1000 n`; the mailbox memory is the PF's
    /// PFMBMEM(n).
    @inlinable
    public static func i82599<A>(vf: Bits<A, 6>, offset: Bits<A, 16>, hooks: WindowHooks = WindowHooks()) -> Target<A> {
        let n: Bits<A, 20> = vf.zeroExtended()
        var d = Decoder<A>(offset)
        let o = d.offset
        let own = Bits<A, 20>(UInt64(RegisterMap.i82599VFPrivateBase)) + n * Bits(0x1000)
        // VFCTRL, VTEICR ... VTEIAM, VTIVAR 0-3, VTIVAR_MISC, VFMAILBOX, VFPSRTYPE, VTEITR 0-2:
        // the same offset in the VF's private block.
        let ownRegisters = d.at(0x0000) | d.within(0x0100, 0x0114) | d.within(0x0120, 0x012C) | d.at(0x0140) | d.at(0x02FC) | d.at(0x0300)
            | d.within(0x0820, 0x0828)
        d.on(ownRegisters, own + o)
        d.on(d.within(0x0200, 0x023C), o - Bits(0x200) + Bits(0x13000) + (n + hooks.mailboxDelta()) * Bits(0x40))   // VFMBMEM -> PFMBMEM(n)
        for (_, vfOffset) in RegisterMap.i82599VFStatistics {
            d.on(d.at(vfOffset), own + Bits(UInt64(vfOffset < 0x2000 ? 0xE00 + vfOffset - 0x1000 : 0xF00 + vfOffset - 0x2000)))
        }
        for q in 0..<2 {
            let queue: Bits<A, 20> = n * 2 + Bits(UInt64(q))
            let rx = mux(queue .< Bits(64), Bits<A, 20>(0x1000) + queue * Bits(0x40), Bits<A, 20>(0xD000) + (queue - Bits(64)) * Bits(0x40))
            d.queue(RegisterMap.i82599RxQueueRegisters, vfBase: queueBase(receive: true, queue: q, i82576: false), pfBase: rx)
            d.queue(RegisterMap.i82599TxQueueRegisters, vfBase: queueBase(receive: false, queue: q, i82576: false), pfBase: Bits<A, 20>(0x6000) + queue * Bits(0x40))
        }
        d.shared(0x0008, 0x0008)                                      // VFSTATUS -> STATUS
        d.shared(0x0010, 0x42A4)                                      // VFLINKS -> LINKS
        return d.result
    }
}

/// Test-only mutations of the VF register windows (see `TranslationHooks` in Host).
public struct WindowHooks: Sendable, Equatable {
    /// The mailbox memory decodes to the next VF's (an off-by-one in the window's decoder).
    public var mailboxOfNextVF: Bool
    public init(mailboxOfNextVF: Bool = false) { self.mailboxOfNextVF = mailboxOfNextVF }

    @inlinable func mailboxDelta<A>() -> Bits<A, 20> { Bits(mailboxOfNextVF ? 1 : 0) }
}
