import RTL

/// What a VF's BAR0 shows: its own view of its pool's registers, each VF-view offset redirected
/// to the PF's register for that VF (the 82576's igbvf layout; QEMU igbvf.c `vf_to_pf_addr`,
/// sriov-facts §1.3). ONE function of (VF index, VF-view offset), generic over the algebra, so
/// the prover can show a VF reaches only its own registers. An offset the view does not have
/// misses: reads return 0, writes are ignored. STATUS is the one shared register, read-only.
public enum VFRegisterWindow {
    /// Where a VF-view offset lands in the PF's register space.
    public struct Target<A: BitVectorAlgebra> {
        /// The offset is in the VF's view.
        public var hit: Bit<A>
        public var pfOffset: Bits<A, 20>
        /// Writes reach the target (STATUS is read-only from a VF).
        public var writable: Bit<A>

        @usableFromInline
        init(hit: Bit<A>, pfOffset: Bits<A, 20>, writable: Bit<A>) {
            self.hit = hit
            self.pfOffset = pfOffset
            self.writable = writable
        }
    }

    /// The 82576 VF view: VF `vf` (0-7) accessing `offset` of its BAR0 (16 KiB).
    @inlinable
    public static func i82576<A>(vf: Bits<A, 3>, offset: Bits<A, 16>) -> Target<A> {
        let n: Bits<A, 20> = vf.zeroExtended()
        let o: Bits<A, 20> = offset.zeroExtended()
        var hit = Bit<A>(0), target = Bits<A, 20>.zero
        func on(_ matches: Bit<A>, _ pf: Bits<A, 20>) {
            target = mux(matches & ~hit, pf, target)
            hit = hit | matches
        }
        func at(_ vfOffset: UInt64) -> Bit<A> { o .== Bits(vfOffset) }
        // Control and interrupts: the per-VF mirrors at 0x10000 + 0x100 n.
        let mirror = Bits<A, 20>(0x10000) + n * Bits(0x100)
        on(at(0x0000) | at(0x0004), mirror)                          // CTRL (and its duplicate)
        for (vfOffset, delta) in [(0x1520, 0x20), (0x1524, 0x24), (0x1528, 0x28), (0x152C, 0x2C), (0x1530, 0x30), (0x1580, 0x80)] as [(UInt64, UInt64)] {
            on(at(vfOffset), mirror + Bits(delta))                   // EICS, EIMS, EIMC, EIAC, EIAM, EICR
        }
        // EITR 0-2: the PF's EITR(22 - 3n) ... EITR(24 - 3n).
        let eitr = (o .>= Bits(0x1680)) & (o .<= Bits(0x1688)) & ((o & 3) .== 0)
        on(eitr, o - Bits(0x1680) + Bits(0x16D8) - n * Bits(0xC))
        on(at(0x1700), Bits<A, 20>(0x11700) + n * 4)                  // IVAR0 -> VTIVAR(n)
        on(at(0x1740), Bits<A, 20>(0x11720) + n * 4)                  // IVAR_MISC -> VTIVAR_MISC(n)
        on(at(0x0C40), Bits<A, 20>(0x0C40) + n * 4)                   // V2PMAILBOX(0) -> V2PMAILBOX(n)
        let mailbox = (o .>= Bits(0x0800)) & (o .<= Bits(0x083C))     // VMBMEM(0) -> VMBMEM(n)
        on(mailbox, o + n * Bits(0x40))
        // The two queues' ring registers: queue 0 of the view is the PF's queue n, queue 1 is
        // queue n + 8 (E1000_*_A(0), *_A(1)).
        let queue0 = mux(n .< Bits(4), Bits<A, 20>(0x2800) + n * Bits(0x100), Bits<A, 20>(0xC000) + n * Bits(0x40))
        let queue1 = Bits<A, 20>(0xC000) + (n + 8) * Bits(0x40)
        let tx0 = mux(n .< Bits(4), Bits<A, 20>(0x3800) + n * Bits(0x100), Bits<A, 20>(0xE000) + n * Bits(0x40))
        let tx1 = Bits<A, 20>(0xE000) + (n + 8) * Bits(0x40)
        for delta in [0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x28] as [UInt64] {
            on(at(0x2800 + delta), queue0 + Bits(delta))
            on(at(0x2900 + delta), queue1 + Bits(delta))
        }
        for delta in [0x00, 0x04, 0x08, 0x10, 0x14, 0x18, 0x28, 0x38, 0x3C] as [UInt64] {
            on(at(0x3800 + delta), tx0 + Bits(delta))
            on(at(0x3900 + delta), tx1 + Bits(delta))
        }
        // STATUS: the device's, read-only.
        let status = at(0x0008)
        on(status, Bits(0x0008))
        let aligned = (o & 3) .== 0
        return Target(hit: hit & aligned, pfOffset: target, writable: hit & aligned & ~status)
    }
}
