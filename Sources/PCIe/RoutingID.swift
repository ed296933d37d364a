import RTL

/// SR-IOV routing-ID arithmetic (SR-IOV 1.1 §2.1.2 and §3.3.10-3.3.11; Linux
/// `pci_iov_virtfn_bus` / `pci_iov_virtfn_devfn`): written once, generic over the algebra, so
/// the simulator and the prover compute VF routing IDs with the same code.
///
/// A routing ID (RID) is 16 bits: Bus[15:8] and an 8-bit function address. Outside an ARI
/// hierarchy the low 8 bits are Device[7:3] Function[2:0]; inside one (PCIe 3.0 §6.13) they
/// are one 8-bit Function Number with an implied Device 0.
public enum RoutingID {
    /// The RID of VF `vfIndex` (0-based; the spec's VF number is vfIndex + 1):
    /// PF RID + First VF Offset + vfIndex * VF Stride, modulo 2^16 as the 16-bit RID field
    /// holds it. A layout whose sum leaves the 16-bit space wraps; the proofs catch that.
    @inlinable
    public static func vf<A>(
        pf: Bits<A, 16>, firstVFOffset: Bits<A, 16>, vfStride: Bits<A, 16>, vfIndex: Bits<A, 16>
    ) -> Bits<A, 16> {
        pf + firstVFOffset + vfIndex * vfStride
    }

    /// Bus number: RID[15:8].
    @inlinable
    public static func bus<A>(_ rid: Bits<A, 16>) -> Bits<A, 8> { rid.extract(from: 8) }

    /// The 8-bit function address: RID[7:0] (devfn outside ARI, Function Number inside).
    @inlinable
    public static func devfn<A>(_ rid: Bits<A, 16>) -> Bits<A, 8> { rid.extract(from: 0) }

    /// Device number outside an ARI hierarchy: RID[7:3]; inside one it is implicitly 0.
    @inlinable
    public static func device<A>(_ rid: Bits<A, 16>, ari: Bit<A>) -> Bits<A, 5> {
        mux(ari, 0, rid.extract(from: 3))
    }

    /// Function number: RID[2:0] outside ARI, RID[7:0] inside.
    @inlinable
    public static func function<A>(_ rid: Bits<A, 16>, ari: Bit<A>) -> Bits<A, 8> {
        mux(ari, devfn(rid), devfn(rid) & 0x07)
    }

    /// The bus VF `vfIndex` needs, computed 32 bits wide so a layout that runs past bus 255
    /// shows as a value above 255 instead of wrapping (Linux `pci_iov_virtfn_bus`:
    /// `bus + ((devfn + offset + stride * id) >> 8)`, in C `int` arithmetic).
    @inlinable
    public static func vfBus<A>(
        pf: Bits<A, 16>, firstVFOffset: Bits<A, 16>, vfStride: Bits<A, 16>, vfIndex: Bits<A, 16>
    ) -> Bits<A, 32> {
        let wide: (Bits<A, 16>) -> Bits<A, 32> = { $0.zeroExtended() }
        return (wide(pf) + wide(firstVFOffset) + wide(vfIndex) * wide(vfStride)) >> 8
    }

    /// The highest bus number a layout uses with `numVFs` enabled: the bus of its last VF, or
    /// the PF's own bus with none (Linux `pci_iov_bus_range`, which reserves these buses at
    /// enumeration). Above 255 means the layout cannot exist.
    @inlinable
    public static func lastBus<A>(
        pf: Bits<A, 16>, firstVFOffset: Bits<A, 16>, vfStride: Bits<A, 16>, numVFs: Bits<A, 16>
    ) -> Bits<A, 32> {
        let last = vfBus(pf: pf, firstVFOffset: firstVFOffset, vfStride: vfStride, vfIndex: numVFs - 1)
        return mux(numVFs .== 0, bus(pf).zeroExtended(), last)
    }
}
