import PCIe

/// The model file schema (DESIGN.md §6), device part: what `Models/*.toml` may say. Keys are
/// snake_case in the file; every number may be written in hex (`0x10fb`). Optional tables and
/// keys are optional here; everything else is required.
public struct ModelFile: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    public var device: DeviceModel
}

/// The SR-IOV endpoint: its PFs in function-number order.
public struct DeviceModel: Codable, Sendable, Equatable {
    public var pf: [PFModel]
}

public struct PFModel: Codable, Sendable, Equatable {
    public var vendorID: UInt16
    public var deviceID: UInt16
    public var revision: UInt8
    /// 24-bit class code: base class, sub-class, programming interface (0x020000 = Ethernet).
    public var classCode: UInt32
    public var subsystemVendorID: UInt16
    public var subsystemID: UInt16
    public var interruptPin: UInt8?
    public var bar: [BARModel]?
    public var expansionROMSize: UInt64?
    public var queues: QueuesModel?

    public var powerManagement: OffsetModel?
    public var msi: OffsetModel?
    public var msix: MSIXModel?
    public var pcie: PCIeModel?
    public var aer: OffsetModel?
    public var dsn: DSNModel?
    public var ari: ARIModel?
    public var acs: ACSModel?
    public var ats: ATSModel?
    public var sriov: SRIOVModel?

    enum CodingKeys: String, CodingKey {
        case vendorID = "vendor_id", deviceID = "device_id", revision, classCode = "class"
        case subsystemVendorID = "subsystem_vendor_id", subsystemID = "subsystem_id", interruptPin = "interrupt_pin"
        case bar, expansionROMSize = "expansion_rom_size", queues
        case powerManagement = "power_management", msi, msix, pcie, aer, dsn, ari, acs, ats, sriov
    }
}

public struct BARModel: Codable, Sendable, Equatable {
    public var index: Int
    public var type: BARDefinition.Kind
    public var prefetchable: Bool?
    public var size: UInt64
}

public struct QueuesModel: Codable, Sendable, Equatable {
    public var rx: Int
    public var tx: Int
}

public struct OffsetModel: Codable, Sendable, Equatable {
    public var offset: Int
}

public struct MSIXModel: Codable, Sendable, Equatable {
    public var offset: Int
    public var tableSize: Int
    public var tableBAR: Int
    public var tableOffset: UInt32
    public var pbaBAR: Int
    public var pbaOffset: UInt32

    enum CodingKeys: String, CodingKey {
        case offset, tableSize = "table_size", tableBAR = "table_bar", tableOffset = "table_offset"
        case pbaBAR = "pba_bar", pbaOffset = "pba_offset"
    }
}

public struct PCIeModel: Codable, Sendable, Equatable {
    public var offset: Int
    public var flr: Bool?
    /// 1 = 2.5 GT/s, 2 = 5 GT/s, 3 = 8 GT/s.
    public var linkSpeed: UInt32
    public var linkWidth: UInt32
    /// Max_Payload_Size Supported in bytes (128 ... 4096).
    public var maxPayload: Int?

    enum CodingKeys: String, CodingKey {
        case offset, flr, linkSpeed = "link_speed", linkWidth = "link_width", maxPayload = "max_payload"
    }
}

public struct DSNModel: Codable, Sendable, Equatable {
    public var offset: Int
    public var serialNumber: UInt64
    enum CodingKeys: String, CodingKey { case offset, serialNumber = "serial_number" }
}

public struct ARIModel: Codable, Sendable, Equatable {
    public var offset: Int
    public var nextFunction: UInt8
    enum CodingKeys: String, CodingKey { case offset, nextFunction = "next_function" }
}

public struct ACSModel: Codable, Sendable, Equatable {
    public var offset: Int
    /// ACS Capability bits 6:0 (SV, TB, RR, CR, UF, EC, DT).
    public var capabilities: UInt16
}

public struct ATSModel: Codable, Sendable, Equatable {
    public var offset: Int
    public var invalidateQueueDepth: UInt8
    public var pageAlignedRequest: Bool
    enum CodingKeys: String, CodingKey {
        case offset, invalidateQueueDepth = "invalidate_queue_depth", pageAlignedRequest = "page_aligned_request"
    }
}

public struct SRIOVModel: Codable, Sendable, Equatable {
    public var offset: Int
    public var initialVFs: UInt16
    public var totalVFs: UInt16
    public var functionDependencyLink: UInt8?
    public var vfDeviceID: UInt16
    public var supportedPageSizes: UInt32
    public var vfMigration: Bool?
    /// First VF Offset and VF Stride by ARI Capable Hierarchy and NumVFs.
    public var routing: [RoutingModel]
    public var vfBAR: [BARModel]
    public var vf: VFModel

    enum CodingKeys: String, CodingKey {
        case offset, initialVFs = "initial_vfs", totalVFs = "total_vfs", functionDependencyLink = "function_dependency_link"
        case vfDeviceID = "vf_device_id", supportedPageSizes = "supported_page_sizes", vfMigration = "vf_migration"
        case routing, vfBAR = "vf_bar", vf
    }
}

public struct RoutingModel: Codable, Sendable, Equatable {
    /// Omitted: either setting.
    public var ari: Bool?
    /// `[low, high]` NumVFs values; omitted: all.
    public var numVFs: [UInt16]?
    public var firstVFOffset: UInt16
    public var vfStride: UInt16
    enum CodingKeys: String, CodingKey {
        case ari, numVFs = "num_vfs", firstVFOffset = "first_vf_offset", vfStride = "vf_stride"
    }
}

/// What each VF has in its own config space.
public struct VFModel: Codable, Sendable, Equatable {
    public var msix: MSIXModel?
    public var pcie: PCIeModel?
    public var aer: OffsetModel?
    public var ari: ARIModel?
    public var ats: ATSModel?
}
