import RTL

/// Single Root I/O Virtualization extended capability, ID 0x0010, 64 bytes (SR-IOV 1.1 §3.3;
/// sriov-facts.md §4.2). The register layout is here; the rules that couple its fields
/// (NumVFs frozen while VF Enable is set, VF Enable refused above TotalVFs, First VF Offset and
/// VF Stride following NumVFs and ARI Capable Hierarchy) are `SRIOVRules`, generic.
public struct SRIOVCapability: Capability {
    public var name: String { "SR-IOV" }
    public var length: Int { 0x40 }
    public var isExtended: Bool { true }

    public var initialVFs: UInt16
    public var totalVFs: UInt16
    public var functionDependencyLink: UInt8
    public var vfDeviceID: UInt16
    public var supportedPageSizes: UInt32
    public var vfMigrationCapable: Bool
    /// Only the lowest-numbered PF of a device has ARI Capable Hierarchy (SR-IOV 1.1 §3.3.3.5).
    public var hasARICapableHierarchy: Bool
    public var vfBARs: [BARDefinition]
    /// First VF Offset and VF Stride at reset (NumVFs = 0, ARI Capable Hierarchy clear).
    public var resetRouting: VFRouting

    public init(initialVFs: UInt16, totalVFs: UInt16, functionDependencyLink: UInt8, vfDeviceID: UInt16,
                supportedPageSizes: UInt32, vfMigrationCapable: Bool = false, hasARICapableHierarchy: Bool,
                vfBARs: [BARDefinition], resetRouting: VFRouting) {
        self.initialVFs = initialVFs
        self.totalVFs = totalVFs
        self.functionDependencyLink = functionDependencyLink
        self.vfDeviceID = vfDeviceID
        self.supportedPageSizes = supportedPageSizes
        self.vfMigrationCapable = vfMigrationCapable
        self.hasARICapableHierarchy = hasARICapableHierarchy
        self.vfBARs = vfBARs
        self.resetRouting = resetRouting
    }

    // Register offsets within the capability.
    public static let capabilitiesOffset = 0x04
    public static let controlOffset = 0x08
    public static let statusOffset = 0x0A
    public static let initialVFsOffset = 0x0C
    public static let totalVFsOffset = 0x0E
    public static let numVFsOffset = 0x10
    public static let functionDependencyLinkOffset = 0x12
    public static let firstVFOffsetOffset = 0x14
    public static let vfStrideOffset = 0x16
    public static let vfDeviceIDOffset = 0x1A
    public static let supportedPageSizesOffset = 0x1C
    public static let systemPageSizeOffset = 0x20
    public static let vfBAR0Offset = 0x24
    public static let vfMigrationStateArrayOffset = 0x3C

    // SR-IOV Control bits.
    public static let vfEnable: UInt32 = 1 << 0
    public static let vfMigrationEnable: UInt32 = 1 << 1
    public static let vfMigrationInterruptEnable: UInt32 = 1 << 2
    public static let vfMemorySpaceEnable: UInt32 = 1 << 3
    public static let ariCapableHierarchy: UInt32 = 1 << 4

    public func registers(at offset: Int, next: Int) -> [ConfigRegister] {
        let migration: AccessKind = vfMigrationCapable ? .rw : .ro
        var registers = [
            CapabilityHeader.extended(id: 0x0010, version: 1, offset: offset, next: next, name: name),
            ConfigRegister("SR-IOV Capabilities", offset: offset + 0x04, size: 4, fields: [
                RegisterField("vfMigrationCapable", lsb: 0, width: 1, .ro, reset: vfMigrationCapable ? 1 : 0),
                RegisterField("ariCapableHierarchyPreserved", lsb: 1, width: 1, .ro),
                RegisterField("vfMigrationInterruptMessageNumber", lsb: 21, width: 11, .ro),
            ]),
            ConfigRegister("SR-IOV Control", offset: offset + 0x08, size: 2, fields: [
                RegisterField("vfEnable", lsb: 0, width: 1, .rw),
                RegisterField("vfMigrationEnable", lsb: 1, width: 1, migration),
                RegisterField("vfMigrationInterruptEnable", lsb: 2, width: 1, migration),
                RegisterField("vfMSE", lsb: 3, width: 1, .rw),
                RegisterField("ariCapableHierarchy", lsb: 4, width: 1, hasARICapableHierarchy ? .rw : .rsvdP),
            ]),
            ConfigRegister("SR-IOV Status", offset: offset + 0x0A, size: 2, fields: [
                RegisterField("vfMigrationStatus", lsb: 0, width: 1, .rw1c),
            ]),
            ConfigRegister("InitialVFs", offset: offset + 0x0C, size: 2, .ro, reset: UInt32(initialVFs)),
            ConfigRegister("TotalVFs", offset: offset + 0x0E, size: 2, .ro, reset: UInt32(totalVFs)),
            ConfigRegister("NumVFs", offset: offset + 0x10, size: 2, .rw),
            ConfigRegister("Function Dependency Link", offset: offset + 0x12, size: 1, .ro, reset: UInt32(functionDependencyLink)),
            ConfigRegister("First VF Offset", offset: offset + 0x14, size: 2, .ro, reset: UInt32(resetRouting.firstVFOffset)),
            ConfigRegister("VF Stride", offset: offset + 0x16, size: 2, .ro, reset: UInt32(resetRouting.vfStride)),
            ConfigRegister("VF Device ID", offset: offset + 0x1A, size: 2, .ro, reset: UInt32(vfDeviceID)),
            ConfigRegister("Supported Page Sizes", offset: offset + 0x1C, size: 4, .ro, reset: supportedPageSizes),
            // System Page Size: RW, but SRIOVRules keeps it to one supported size.
            ConfigRegister("System Page Size", offset: offset + 0x20, size: 4, .rw, reset: 0x1),
            ConfigRegister("VF Migration State Array Offset", offset: offset + 0x3C, size: 4, .ro),
        ]
        var used = Set<Int>()
        for bar in vfBARs {
            registers += bar.registers(at: offset + Self.vfBAR0Offset + 4 * bar.index, prefix: "VF BAR")
            for slot in 0..<bar.slots { used.insert(bar.index + slot) }
        }
        for index in 0..<6 where !used.contains(index) {
            registers.append(ConfigRegister("VF BAR\(index)", offset: offset + Self.vfBAR0Offset + 4 * index, size: 4, .ro))
        }
        return registers
    }
}

/// First VF Offset and VF Stride for one (NumVFs, ARI Capable Hierarchy) setting.
public struct VFRouting: Sendable, Hashable {
    public var firstVFOffset: UInt16
    public var vfStride: UInt16
    public init(firstVFOffset: UInt16, vfStride: UInt16) {
        self.firstVFOffset = firstVFOffset
        self.vfStride = vfStride
    }
}

/// A device's table of First VF Offset / VF Stride: the spec lets both change with NumVFs and
/// ARI Capable Hierarchy (SR-IOV 1.1 §3.3.10-11). The first entry that matches wins.
public struct VFRoutingTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// nil: either setting of ARI Capable Hierarchy.
        public var ari: Bool?
        /// NumVFs values this entry covers.
        public var numVFs: ClosedRange<UInt16>
        public var routing: VFRouting
        public init(ari: Bool?, numVFs: ClosedRange<UInt16>, routing: VFRouting) {
            self.ari = ari
            self.numVFs = numVFs
            self.routing = routing
        }
    }

    public var entries: [Entry]
    public init(entries: [Entry]) { self.entries = entries }

    /// The routing for a setting; NumVFs = 0 reads as 1 (offset and stride are then unused).
    public func routing(numVFs: UInt16, ari: Bool) -> VFRouting? {
        let n = max(numVFs, 1)
        return entries.first { ($0.ari == nil || $0.ari == ari) && $0.numVFs.contains(n) }?.routing
    }
}

/// The rules coupling SR-IOV fields, generic so the prover can check them too
/// (SR-IOV 1.1 §3.3.3, §3.3.7; sriov-facts.md §1.1 QEMU CVE-2025-54567, §8).
public enum SRIOVRules {
    /// SR-IOV Control after a write whose generic merge gave `merged`: VF Enable may be set only
    /// while NumVFs <= TotalVFs; ARI Capable Hierarchy is frozen while VF Enable is set.
    @inlinable
    public static func control<A>(old: Bits<A, 16>, merged: Bits<A, 16>, numVFs: Bits<A, 16>, totalVFs: Bits<A, 16>) -> Bits<A, 16> {
        let vfEnableBit: Bits<A, 16> = 0x1
        let ariBit: Bits<A, 16> = 0x10
        let enabling = merged[bit: 0] & ~old[bit: 0]
        let refused = enabling & (numVFs .> totalVFs)
        let afterEnable = mux(refused, merged & ~vfEnableBit, merged)
        let frozenARI = (afterEnable & ~ariBit) | (old & ariBit)
        return mux(old[bit: 0], frozenARI, afterEnable)
    }

    /// NumVFs after a write: unchanged while VF Enable is set (SR-IOV 1.1 §3.3.7).
    @inlinable
    public static func numVFs<A>(old: Bits<A, 16>, merged: Bits<A, 16>, vfEnable: Bit<A>) -> Bits<A, 16> {
        mux(vfEnable, old, merged)
    }

    /// System Page Size after a write: only one bit, one the device supports, and only while
    /// VF Enable is clear; anything else leaves it as it was (the spec leaves it undefined).
    @inlinable
    public static func systemPageSize<A>(old: Bits<A, 32>, merged: Bits<A, 32>, supported: Bits<A, 32>, vfEnable: Bit<A>) -> Bits<A, 32> {
        let oneBit = merged.isNonZero & ((merged & (merged - 1)) .== 0)
        let isSupported = (merged & supported) .== merged
        return mux(vfEnable | ~(oneBit & isSupported), old, merged)
    }
}
