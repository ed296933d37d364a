import RTL

/// Where the IOMMU's walk reads its tables (DESIGN.md §1): the simulator serves reads from
/// host memory, the prover from the tables the VMM configured, as terms. The walk itself
/// (`SecondLevelTranslation`) is written once over the algebra.
public protocol TranslationTables {
    associatedtype A: BitVectorAlgebra
    /// The little-endian 64-bit word at host-physical `address` (8-byte aligned), and whether
    /// the read succeeded (the address is in host memory).
    func read(_ address: Bits<A, 64>) -> (value: Bits<A, 64>, ok: Bit<A>)
}
